import { parseStamp, snapshotPrefix, type SnapshotSummary, type UnparsableEntry } from './backup.js';

// The tiered retention of backup snapshots, as upstream's s3_snapshot_lifecycle.py decides
// it (openclaw-lab, ec2-spot/templates), by age = now - snapshot time:
//   age < 24 h         keep the earliest snapshot of each clock hour (among those under 24 h)
//   24 h <= age < 7 d  keep every snapshot taken in the 00 UTC hour (a 20-minute timer: three)
//   7 d <= age < 30 d  keep every snapshot in the 00 UTC hour of a Friday
//   age >= 30 d        delete
// Deliberately safer than upstream: the newest snapshot that is not in the future is always
// kept (a stalled timer must not lead to deleting them all); a snapshot stamped in the
// future (clock skew) is left alone, and so is anything under snapshots/ that is not a
// strict stamp (upstream deletes those); a day (or Friday) with no 00-hour snapshot keeps
// its first, so a timer that drifted past midnight still leaves one a day. Only
// snapshots/<stamp>/ prefixes are ever planned, never latest/.

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
  /** Why it is kept: its tier's rule, claw's one-a-day fallback, the newest guard or the clock-skew guard. */
  keptBy: 'tier' | 'first-of-day' | 'newest' | 'future' | null;
  reason: string;
}

export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
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
  const at = now.getTime();
  // Newest means newest not in the future: a skewed clock's stamp must not take its place.
  const newest = parsed.filter((p) => p.t <= at).at(-1)?.stamp;
  // Per day: its first snapshot, and whether it has one in the 00 UTC hour.
  const firstOfDay = new Map<string, string>();
  const hasMidnight = new Set<string>();
  for (const p of parsed) {
    if (!firstOfDay.has(dayOf(p.stamp))) firstOfDay.set(dayOf(p.stamp), p.stamp);
    if (new Date(p.t).getUTCHours() === 0) hasMidnight.add(dayOf(p.stamp));
  }
  // The hour rule counts only snapshots under 24 h (as upstream): in the hour that straddles
  // now - 24 h, the older one falls to the day rule and the younger one is its hour's first.
  const seenHours = new Map<string, number>();

  const verdicts = parsed.map(({ stamp, t }): SnapshotVerdict => {
    const ageMs = at - t;
    const base = { stamp, time: new Date(t).toISOString(), ageMs };
    const keep = (tier: RetentionTier, reason: string, keptBy: SnapshotVerdict['keptBy'] = 'tier'): SnapshotVerdict => ({
      ...base,
      tier,
      action: 'keep',
      keptBy,
      reason: `kept: ${reason}`,
    });
    const drop = (tier: RetentionTier, reason: string): SnapshotVerdict =>
      // The newest is kept whatever its tier says, and says what the tier would have done.
      stamp === newest
        ? keep(tier, `newest snapshot, always kept (else: ${reason})`, 'newest')
        : { ...base, tier, action: 'delete', keptBy: null, reason: `delete: ${reason}` };
    const day = dayOf(stamp);
    const midnight = new Date(t).getUTCHours() === 0;
    /** The 00-hour rule of the day and Friday tiers, with claw's one-a-day fallback. */
    const dailyRule = (tier: 'day' | 'friday', what: string, span: string): SnapshotVerdict => {
      if (midnight) return keep(tier, `taken in the 00 UTC hour of ${what} (${span})`);
      if (!hasMidnight.has(day) && firstOfDay.get(day) === stamp)
        return keep(tier, `first of ${what}, which has no 00 UTC snapshot (${span}; claw keeps one)`, 'first-of-day');
      return drop(tier, `not in the 00 UTC hour of ${what} (${span})`);
    };

    if (ageMs < 0) return keep('future', 'stamped in the future (clock skew?): left alone', 'future');
    if (ageMs < HOUR_TIER_MS) {
      const n = (seenHours.get(hourOf(stamp)) ?? 0) + 1;
      seenHours.set(hourOf(stamp), n);
      const what = `of hour ${stamp.slice(11, 13)}:00 on ${day} (< 24 h)`;
      return n === 1 ? keep('hour', `first ${what}`) : drop('hour', `${ordinal(n)} ${what}`);
    }
    if (ageMs < DAY_TIER_MS) return dailyRule('day', day, '24 h to 7 d');
    if (ageMs < FRIDAY_TIER_MS) {
      if (new Date(t).getUTCDay() !== FRIDAY) return drop('friday', `${day} is not a Friday (7 d to 30 d)`);
      return dailyRule('friday', `Friday ${day}`, '7 d to 30 d');
    }
    return drop('expired', '30 d or older');
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
