import { describe, expect, it } from 'vitest';
import type { BackupListing, SnapshotSummary } from '../../src/core/backup.js';
import {
  checkRestoreSource,
  isNoop,
  refuseNestedSnapshots,
  preRestoreStamp,
  requireNonEmptySource,
  requireSnapshot,
  touchesExisting,
  undoHint,
} from '../../src/core/backup-sync.js';
import { UsageError } from '../../src/core/errors.js';
import type { SyncPlan } from '../../src/core/sync-plan.js';

const snap = (stamp: string): SnapshotSummary => ({ stamp, prefix: `snapshots/${stamp}/`, time: '', objects: 1, bytes: 1, lastModified: '' });
const listing = (...stamps: string[]): BackupListing => ({
  bucket: 'b-1',
  latest: { objects: 2, bytes: 10, newest: null },
  snapshots: stamps.map(snap),
  unparsable: [],
});
const plan = (p: Partial<SyncPlan>): SyncPlan => ({
  source: { kind: 's3', bucket: 'b-1', prefix: 'snapshots/2026-11-23-10-00/' },
  destination: { kind: 's3', bucket: 'b-1', prefix: 'latest/' },
  transfers: [],
  deletes: [],
  unchanged: { count: 0, bytes: 0 },
  ...p,
});

describe('restore / pull / push plans', () => {
  it('names an existing snapshot only, with the newest in the refusal', () => {
    const l = listing('2026-11-23-10-00', '2026-11-23-09-00');
    expect(requireSnapshot(l, '2026-11-23-09-00')).toBe('2026-11-23-09-00');
    expect(() => requireSnapshot(l, '2026-11-23-08-00')).toThrow(/no snapshot 2026-11-23-08-00 in s3:\/\/b-1\/snapshots\/ \(the newest is 2026-11-23-10-00\)/);
    expect(() => requireSnapshot(l, '2026-02-30-00-00')).toThrow(UsageError);
    expect(() => requireSnapshot(l, 'latest; rm -rf /')).toThrow(/is not a snapshot time/);
    expect(() => requireSnapshot(listing(), '2026-11-23-10-00')).toThrow(/there are none/);
  });

  it('keeps latest/ under this minute, or the next free minute: never merged into an existing snapshot', () => {
    const now = new Date('2026-11-23T10:00:42Z');
    expect(preRestoreStamp(now, listing())).toBe('2026-11-23-10-00');
    expect(preRestoreStamp(now, listing('2026-11-23-10-00', '2026-11-23-10-01'))).toBe('2026-11-23-10-02');
    expect(preRestoreStamp(new Date('2026-12-31T23:59:00Z'), listing('2026-12-31-23-59'))).toBe('2027-01-01-00-00');
  });

  it('asks only when something existing is overwritten or deleted', () => {
    expect(touchesExisting(plan({ transfers: [{ key: 'a', size: 1, op: 'copy', reason: 'new' }] }))).toBe(false);
    expect(touchesExisting(plan({ transfers: [{ key: 'a', size: 1, op: 'copy', reason: 'changed' }] }))).toBe(true);
    expect(touchesExisting(plan({ deletes: [{ key: 'a', size: 1 }] }))).toBe(true);
    expect(isNoop(plan({ unchanged: { count: 3, bytes: 9 } }))).toBe(true);
    expect(isNoop(plan({ deletes: [{ key: 'a', size: 1 }] }))).toBe(false);
  });

  it('refuses an empty source, saying what --delete would have removed', () => {
    expect(() => requireNonEmptySource(plan({ unchanged: { count: 1, bytes: 1 } }))).not.toThrow();
    expect(() => requireNonEmptySource(plan({ transfers: [{ key: 'a', size: 0, op: 'copy', reason: 'new' }] }))).not.toThrow();
    expect(() => requireNonEmptySource(plan({}))).toThrow(/s3:\/\/b-1\/snapshots\/2026-11-23-10-00\/ is empty: nothing to sync$/);
    expect(() =>
      requireNonEmptySource(
        plan({
          deletes: [
            { key: 'a', size: 1 },
            { key: 'b', size: 1 },
          ],
        }),
      ),
    ).toThrow(/--delete would remove all 2 objects at s3:\/\/b-1\/latest\//);
  });

  it('refuses a --from that overlaps latest/ of the same bucket', () => {
    const s3 = (bucket: string, prefix: string) => ({ kind: 's3' as const, bucket, prefix });
    expect(() => checkRestoreSource(s3('b-1', 'latest/'), 'b-1')).toThrow(/overlaps latest\//);
    expect(() => checkRestoreSource(s3('b-1', 'latest/x/'), 'b-1')).toThrow(UsageError);
    expect(() => checkRestoreSource(s3('b-1', ''), 'b-1')).toThrow(UsageError);
    expect(() => checkRestoreSource(s3('b-1', 'snapshots/2026-11-23-10-00/'), 'b-1')).not.toThrow();
    expect(() => checkRestoreSource(s3('other-bucket', 'latest/'), 'b-1')).not.toThrow();
    expect(() => checkRestoreSource(s3('b-1', 'snapshots/'), 'b-1')).toThrow(/holds every snapshot, not one/);
  });

  it("refuses a source that holds snapshots (another bucket's root or snapshots/): they would nest under latest/", () => {
    const from = (keys: string[]) => plan({ transfers: keys.map((key) => ({ key, size: 1, op: 'copy' as const, reason: 'new' as const })) });
    expect(() => refuseNestedSnapshots(from(['latest/a', 'snapshots/2026-11-23-10-00/a']))).toThrow(/holds snapshots \(snapshots\/2026-11-23-10-00\/a\)/);
    expect(() => refuseNestedSnapshots(from(['2026-11-23-10-00/a', 'x/snapshots/2026-11-23-10-00/b']))).toThrow(UsageError);
    expect(() => refuseNestedSnapshots(from(['openclaw.sqlite', 'snapshots-old/x', 'snapshots/manual/x']))).not.toThrow();
  });

  it('undoes by restoring the kept copy exactly', () => {
    expect(undoHint('--stack lab', '2026-11-23-10-02')).toBe('claw backup restore --stack lab --snapshot 2026-11-23-10-02 --delete');
  });
});
