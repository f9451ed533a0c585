import { UsageError } from './errors.js';

// The values of flags that commander hands over as text: durations, whole numbers,
// refresh intervals. Each bad value is one UsageError naming the flag and an example.

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** `90s`, `30m`, `12h`, `7d`, `2w`, or a sum like `1d12h` or `0m`. */
export const DURATION_RE = /^(\d+[smhdw])+$/;

/** A duration (DURATION_RE) in milliseconds; anything else is a UsageError. */
export function parseDuration(raw: string, flag: string): number {
  const text = raw.trim();
  if (!DURATION_RE.test(text)) {
    throw new UsageError(`${flag} ${raw}: not a duration`, 'use a number and a unit: 90s, 30m, 12h, 7d, 2w');
  }
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNITS[unit!]!;
  return total;
}

/** A whole number from `min` to `max`: out of range is said as such, with an example. */
export function parseWholeNumber(raw: string, flag: string, range: { min: number; max: number; example: number }): number {
  const { min, max, example } = range;
  const expected = `${flag} ${raw}: expected a whole number from ${min} to ${max}`;
  const hint = `give a whole number from ${min} to ${max}, e.g. ${flag} ${example}`;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(expected, hint);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`${expected}${n > max ? ` (${raw} is more)` : ''}`, hint);
  return n;
}

/** A strictly positive whole number flag, e.g. --keep. */
export const parsePositiveInt = (raw: string, flag: string, max = 1_000_000, example = 3) => parseWholeNumber(raw, flag, { min: 1, max, example });

/** --interval: seconds between refreshes, 1 to 3600 (fractions allowed). */
export function parseInterval(raw: string): number {
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || n < 1 || n > 3600) {
    throw new UsageError(`--interval ${raw}: expected seconds between 1 and 3600`, 'e.g. --interval 30');
  }
  return n;
}

// The same checks as commander argument parsers (`.option('--keep <n>', '...', positiveIntFlag('--keep'))`):
// the option arrives in the command's typed options already parsed.

export const positiveIntFlag =
  (flag: string, max = 1_000_000, example = 3) =>
  (raw: string): number =>
    parsePositiveInt(raw, flag, max, example);

export const durationFlag =
  (flag: string) =>
  (raw: string): number =>
    parseDuration(raw, flag);

export const intervalFlag = parseInterval;
