import { formatStamp, LATEST_PREFIX, parseStamp, snapshotPrefix, SNAPSHOTS_PREFIX, type BackupListing } from './backup.js';
import { UsageError } from './errors.js';
import type { SyncPlan } from './sync-plan.js';
import { describeLocation, type SyncLocation } from './sync-location.js';

// restore / pull / push as plans of sync steps. Pure: which snapshot, where the
// pre-restore copy of latest/ goes, whether a step touches what is already there (and so
// needs a confirmation), and the guards that refuse a sync that would empty latest/.

export type BackupSyncStepId = 'keep-latest' | 'restore' | 'push' | 'pull';

export interface BackupSyncStep {
  id: BackupSyncStepId;
  title: string;
  plan: SyncPlan;
}

/** --snapshot must be a real UTC minute, checked before any AWS call. */
export function checkStamp(stamp: string): string {
  if (parseStamp(stamp) === undefined) {
    throw new UsageError(
      `--snapshot ${JSON.stringify(stamp.slice(0, 40))} is not a snapshot time`,
      'snapshots are named by UTC YYYY-MM-DD-HH-MM, e.g. --snapshot 2026-11-23-14-00 (claw backup list shows them)',
    );
  }
  return stamp;
}

/** The snapshot a --snapshot flag names: a real stamp that exists in the listing. */
export function requireSnapshot(listing: BackupListing, stamp: string): string {
  checkStamp(stamp);
  if (!listing.snapshots.some((s) => s.stamp === stamp)) {
    const newest = listing.snapshots[0]?.stamp;
    throw new UsageError(
      `no snapshot ${stamp} in s3://${listing.bucket}/snapshots/${newest ? ` (the newest is ${newest})` : ' (there are none)'}`,
      'claw backup list shows the snapshots',
    );
  }
  return stamp;
}

/**
 * Where the copy of latest/ taken before a restore or push goes: this minute's stamp, or
 * the next free minute when a snapshot already has it (never merge into the host's own).
 */
export function preRestoreStamp(now: Date, listing: BackupListing): string {
  const taken = new Set(listing.snapshots.map((s) => s.stamp));
  for (let t = now.getTime(); ; t += 60_000) {
    const stamp = formatStamp(new Date(t));
    if (!taken.has(stamp)) return stamp;
  }
}

export const latestOf = (bucket: string): SyncLocation => ({ kind: 's3', bucket, prefix: LATEST_PREFIX });
export const snapshotOf = (bucket: string, stamp: string): SyncLocation => ({ kind: 's3', bucket, prefix: snapshotPrefix(stamp) });

/** Something at the destination is overwritten or deleted: a confirmation is due. */
export function touchesExisting(plan: SyncPlan): boolean {
  return plan.deletes.length > 0 || plan.transfers.some((t) => t.reason === 'changed');
}

/** Nothing to move, delete, clean up or refuse. */
export const isNoop = (plan: SyncPlan): boolean => plan.transfers.length === 0 && plan.deletes.length === 0 && !plan.blocked?.length && !plan.staleTemp?.length;

/**
 * A source with nothing in it is refused outright: with --delete it would empty the
 * destination, and without it there is nothing to do, which is surely not what was meant.
 */
export function isEmptySource(plan: SyncPlan): boolean {
  return plan.transfers.length === 0 && plan.unchanged.count === 0;
}

export function requireNonEmptySource(plan: SyncPlan): void {
  if (!isEmptySource(plan)) return;
  throw new UsageError(
    `${describeLocation(plan.source)} is empty: nothing to sync${plan.deletes.length ? `, and --delete would remove all ${plan.deletes.length} objects at ${describeLocation(plan.destination)}` : ''}`,
    'check the source (claw backup list shows the snapshots)',
  );
}

/** A restore's source must not be latest/ itself or lie inside it. */
export function checkRestoreSource(src: SyncLocation, bucket: string): void {
  if (src.kind !== 's3') return;
  if (src.bucket === bucket && (src.prefix === '' || src.prefix.startsWith(LATEST_PREFIX) || LATEST_PREFIX.startsWith(src.prefix))) {
    throw new UsageError(`--from ${describeLocation(src)} overlaps latest/ of the same bucket`, 'restore from a snapshot (--snapshot STAMP) or another prefix');
  }
  if (src.bucket === bucket && SNAPSHOTS_PREFIX.startsWith(src.prefix)) {
    throw new UsageError(
      `--from ${describeLocation(src)} holds every snapshot, not one: restoring it would nest them all under latest/`,
      'restore one snapshot: --snapshot STAMP (claw backup list shows them)',
    );
  }
}

/**
 * A restore source that holds snapshots (another backup bucket's root or snapshots/,
 * found in its keys) would nest them under latest/: refused before anything changes.
 */
export function refuseNestedSnapshots(plan: SyncPlan): void {
  const nested = plan.transfers.find((t) => /^(.+\/)?snapshots\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\//.test(t.key));
  if (nested) {
    throw new UsageError(
      `--from ${describeLocation(plan.source)} holds snapshots (${nested.key}): restoring it would nest them under latest/`,
      'point --from at one snapshot (its snapshots/STAMP/ prefix), or use --snapshot STAMP for this bucket',
    );
  }
}

/** How to undo a restore or push: put the kept copy back, exactly. */
export function undoHint(bucketFlag: string, keptStamp: string): string {
  return `claw backup restore ${bucketFlag} --snapshot ${keptStamp} --delete`;
}
