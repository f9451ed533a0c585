// Relative times for the seed ("3d", "2h30m", "40s", "0m") and the UTC stamps claw's
// names are made of. Pure functions of their arguments: the clock is passed in.

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
export const AGO_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Milliseconds of a relative duration like `3d`, `2h30m`, `10m`, `45s`. */
export function parseDuration(text: string): number {
  const m = AGO_RE.exec(text);
  if (!m || text === '') throw new Error(`invalid relative time "${text}" (expected e.g. 3d, 2h30m, 10m, 45s)`);
  const [, d, h, min, s] = m;
  return (
    Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(min ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s
  );
}

export function ago(now: Date, text: string): Date {
  return new Date(now.getTime() - parseDuration(text));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYYmmddHHMMSS` in UTC: the stamp in AMI names (`clawdinator-nixos-<stamp>`). */
export function compactStamp(d: Date): string {
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/** `YYYY-MM-DD-HH-MM` in UTC: the backup snapshot folder name. */
export function snapshotStamp(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}`
  );
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
  return new Date(t.getTime() - back * UNIT_MS.d);
}
