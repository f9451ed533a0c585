import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `12h`, `7d`, `2w` (or a sum like `1d12h`) in milliseconds; anything else is a UsageError. */
export function parseDuration(raw: string, flag: string): number {
  const text = raw.trim();
  if (!/^(\d+[smhdw])+$/.test(text)) {
    throw new UsageError(`${flag} ${raw}: not a duration`, 'use a number and a unit: 90s, 30m, 12h, 7d, 2w');
  }
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNITS[unit!]!;
  return total;
}

/** A strictly positive integer flag, e.g. --keep: out of range is said as such, with an example. */
export function parsePositiveInt(raw: string, flag: string, max = 1_000_000, example = 3): number {
  const hint = `give a whole number from 1 to ${max}, e.g. ${flag} ${example}`;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`${flag} ${raw}: expected a whole number from 1 to ${max}`, hint);
  const n = Number(raw);
  if (n < 1 || n > max) throw new UsageError(`${flag} ${raw}: expected a whole number from 1 to ${max}${n > max ? ` (${raw} is more)` : ''}`, hint);
  return n;
}
