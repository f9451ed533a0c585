import { parseStamp, snapshotPrefix, type SnapshotSummary, type UnparsableEntry } from './backup.js';

// The tiered retention of backup snapshots (openclaw-lab), by age = now − snapshot time:
//   age < 24 h        keep the earliest snapshot of each UTC hour
//   24 h ≤ age ≤ 7 d  keep the earliest of each UTC day   (the 00:00 one when the timer is aligned)
//   7 d < age ≤ 30 d  keep the earliest of each UTC Friday (Friday 00:00 when aligned)
//   older             delete
// "Earliest" is over every snapshot of that hour/day in the bucket: real timers drift, so
// the first one stands in for the aligned one. Guards: the newest snapshot is always kept
// (a stalled timer must not lead to deleting them all), a snapshot in the future (clock
// skew) is kept, and only snapshots/<stamp>/ prefixes are ever planned (never latest/).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const HOUR_TIER_MS = DAY;
export const DAY_TIER_MS = 7 * DAY;
export const FRIDAY_TIER_MS = 30 * DAY;
const FRIDAY = 5;

export type RetentionTier = 'future' | 'hour' | 'day' | 'friday' | 'expired';

export interface SnapshotVerdict {
  stamp: string;
  time: string;
  ageMs: number;
  tier: RetentionTier;
  action: 'keep' | 'delete';
  /** Why it is kept: its tier's rule, the newest guard or the clock-skew guard. */
  keptBy: 'tier' | 'newest' | 'future' | null;
  reason: string;
}

export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Position (1-based) of each stamp within its group, by time; stamps sorted ascending. */
function ranks(sorted: readonly { stamp: string }[], key: (stamp: string) => string): Map<string, number> {
  const seen = new Map<string, number>();
  const out = new Map<string, number>();
  for (const s of sorted) {
    const k = key(s.stamp);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    out.set(s.stamp, n);
  }
  return out;
}

const hourOf = (stamp: string) => stamp.slice(0, 13);
const dayOf = (stamp: string) => stamp.slice(0, 10);

/** One verdict per snapshot, newest first. Every stamp must parse (a caller's bug otherwise). */
export function retentionVerdicts(stamps: readonly string[], now: Date): SnapshotVerdict[] {
  const parsed = [...new Set(stamps)].map((stamp) => {
    const t = parseStamp(stamp);
    if (!t) throw new Error(`retentionVerdicts: ${JSON.stringify(stamp)} is not a snapshot stamp`);
    return { stamp, t: t.getTime() };
  });
  parsed.sort((a, b) => a.t - b.t);
  const byHour = ranks(parsed, hourOf);
  const byDay = ranks(parsed, dayOf);
  const newest = parsed.at(-1)?.stamp;

  const verdicts = parsed.map(({ stamp, t }): SnapshotVerdict => {
    const ageMs = now.getTime() - t;
    const base = { stamp, time: new Date(t).toISOString(), ageMs };
    const keep = (tier: RetentionTier, reason: string, keptBy: SnapshotVerdict['keptBy'] = 'tier'): SnapshotVerdict => ({ ...base, tier, action: 'keep', keptBy, reason: `kept: ${reason}` });
    const drop = (tier: RetentionTier, reason: string): SnapshotVerdict =>
      // The newest is kept whatever its tier says, and says what the tier would have done.
      stamp === newest ? keep(tier, `newest snapshot, always kept (else: ${reason})`, 'newest') : { ...base, tier, action: 'delete', keptBy: null, reason: `delete: ${reason}` };

    if (ageMs < 0) return keep('future', 'in the future (clock skew?)', 'future');
    if (ageMs < HOUR_TIER_MS) {
      const n = byHour.get(stamp)!;
      const what = `of hour ${stamp.slice(11, 13)}:00 (< 24 h)`;
      return n === 1 ? keep('hour', `first ${what}`) : drop('hour', `${ordinal(n)} ${what}`);
    }
    if (ageMs <= DAY_TIER_MS) {
      const n = byDay.get(stamp)!;
      const what = `of day ${dayOf(stamp)} (≤ 7 d)`;
      return n === 1 ? keep('day', `first ${what}`) : drop('day', `${ordinal(n)} ${what}`);
    }
    if (ageMs <= FRIDAY_TIER_MS) {
      if (new Date(t).getUTCDay() !== FRIDAY) return drop('friday', `not a Friday, ${dayOf(stamp)} (≤ 30 d)`);
      const n = byDay.get(stamp)!;
      const what = `of Friday ${dayOf(stamp)} (≤ 30 d)`;
      return n === 1 ? keep('friday', `first ${what}`) : drop('friday', `${ordinal(n)} ${what}`);
    }
    return drop('expired', 'older than 30 d');
  });
  return verdicts.reverse();
}

export interface PlannedSnapshot extends SnapshotVerdict {
  prefix: string;
  objects: number;
  bytes: number;
}

export interface Tally {
  count: number;
  objects: number;
  bytes: number;
}

export interface BackupPrunePlan {
  now: string;
  /** Newest first. */
  snapshots: PlannedSnapshot[];
  keep: Tally;
  delete: Tally;
  /** Prefixes under snapshots/ that are not snapshots: never touched. */
  untouched: UnparsableEntry[];
}

const tally = (xs: readonly PlannedSnapshot[]): Tally => ({
  count: xs.length,
  objects: xs.reduce((s, x) => s + x.objects, 0),
  bytes: xs.reduce((s, x) => s + x.bytes, 0),
});

export function planBackupPrune(input: { snapshots: readonly SnapshotSummary[]; unparsable: readonly UnparsableEntry[]; now: Date }): BackupPrunePlan {
  const byStamp = new Map(input.snapshots.map((s) => [s.stamp, s]));
  const snapshots = retentionVerdicts([...byStamp.keys()], input.now).map((v): PlannedSnapshot => {
    const s = byStamp.get(v.stamp)!;
    return { ...v, prefix: snapshotPrefix(v.stamp), objects: s.objects, bytes: s.bytes };
  });
  return {
    now: input.now.toISOString(),
    snapshots,
    keep: tally(snapshots.filter((s) => s.action === 'keep')),
    delete: tally(snapshots.filter((s) => s.action === 'delete')),
    untouched: [...input.unparsable],
  };
}

// What executing a plan did (src/aws/backup.ts applyBackupPrune).

export interface DeletedSnapshot {
  stamp: string;
  prefix: string;
  /** Objects found under the prefix right before deleting, and of those the ones deleted. */
  found: number;
  deleted: number;
  bytes: number;
}

export interface KeyFailure {
  key: string;
  code: string;
  message: string;
}

export interface BackupPruneResult {
  snapshots: DeletedSnapshot[];
  failed: KeyFailure[];
  deletedObjects: number;
  deletedBytes: number;
}

/** The prefixes a plan deletes: each exactly `snapshots/<stamp>/`. */
export function prefixesToDelete(plan: BackupPrunePlan): string[] {
  return plan.snapshots.filter((s) => s.action === 'delete').map((s) => s.prefix);
}
