import { DURATION_RE, parseDuration as parseFlagDuration } from '../core/flag-values.js';

// Relative times for the seed ("3d", "2h30m", "40s", "0m") and the UTC stamps claw's
// names are made of. Pure functions of their arguments: the clock is passed in.

/** A relative time of the seed ("3d", "2h30m", "0m"): the flags' duration grammar. */
export const AGO_RE = DURATION_RE;

/** Milliseconds of a relative time of the seed. */
export const parseDuration = (text: string): number => parseFlagDuration(text, 'sandbox seed time');

export function ago(now: Date, text: string): Date {
  return new Date(now.getTime() - parseDuration(text));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYYmmddHHMMSS` in UTC: the stamp in AMI names (`clawdinator-nixos-<stamp>`). */
export function compactStamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` + `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** `YYYY-MM-DD-HH-MM` in UTC: the backup snapshot folder name. */
export function snapshotStamp(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` + `-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}`;
}

export type Align = 'none' | 'hour' | 'day' | 'friday';

/** The latest instant at or before `d` on the given boundary (UTC). */
export function alignDown(d: Date, align: Align): Date {
  const t = new Date(d.getTime());
  if (align === 'none') return t;
  t.setUTCMinutes(0, 0, 0);
  if (align === 'hour') return t;
  t.setUTCHours(0);
  if (align === 'day') return t;
  const back = (t.getUTCDay() - 5 + 7) % 7; // 5 = Friday
  return new Date(t.getTime() - back * 86_400_000);
}
