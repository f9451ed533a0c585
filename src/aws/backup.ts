import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { groupSnapshots, LATEST_PREFIX, parseStamp, SNAPSHOTS_PREFIX, summarizeLatest, type BackupListing, type BackupObject } from '../core/backup.js';
import { prefixesToDelete, type BackupPrunePlan, type BackupPruneResult, type DeletedSnapshot, type KeyFailure } from '../core/backup-retention.js';
import { RemoteError, UsageError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { S3Api } from './clients.js';
import { isNoSuchBucket } from './s3-errors.js';
import { chunk, collectPages } from './paginate.js';

// The backup bucket over S3: one paginated listing of snapshots/ and one of latest/
// (concurrently), and the execution of a prune plan with DeleteObjects. The decisions
// are src/core/backup*.ts.

/** The bucket and how its name came about, for the "does not exist" line. */
export interface BackupBucket {
  name: string;
  origin: string;
}

export const DELETE_BATCH = 1000;

export function missingBackupBucket(bucket: BackupBucket): UsageError {
  return new UsageError(
    `backup bucket s3://${bucket.name} does not exist (${bucket.origin})`,
    'check --stack, or name the bucket with --bucket NAME; "claw config" shows backupBucketPattern',
  );
}

/** Every object under `prefix`, following continuation tokens (via collectPages' loop guard). */
export async function listPrefix(s3: S3Api, bucket: BackupBucket, prefix: string): Promise<BackupObject[]> {
  const page = async (input: { NextToken?: string | undefined }): Promise<ListObjectsV2CommandOutput & { NextToken?: string | undefined }> => {
    const out = await s3.listObjectsV2({ Bucket: bucket.name, Prefix: prefix, ...(input.NextToken ? { ContinuationToken: input.NextToken } : {}) });
    return { ...out, NextToken: out.IsTruncated ? out.NextContinuationToken : undefined };
  };
  try {
    const items = await collectPages(page, {}, (out) => out.Contents, `S3 ListObjectsV2 s3://${bucket.name}/${prefix}`);
    return items.map((o) => {
      if (o.Key === undefined) throw new RemoteError(`S3 ListObjectsV2 of s3://${bucket.name}/${prefix} answered an object without a key`);
      return { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ? new Date(o.LastModified).toISOString() : new Date(0).toISOString() };
    });
  } catch (err) {
    if (isNoSuchBucket(err)) throw missingBackupBucket(bucket);
    throw err;
  }
}

export async function readBackupListing(s3: S3Api, bucket: BackupBucket): Promise<BackupListing> {
  const [snapshotObjects, latestObjects] = await Promise.all([listPrefix(s3, bucket, SNAPSHOTS_PREFIX), listPrefix(s3, bucket, LATEST_PREFIX)]);
  return { bucket: bucket.name, latest: summarizeLatest(latestObjects), ...groupSnapshots(snapshotObjects) };
}

/** `snapshots/<stamp>/` exactly: the last guard before a key goes into DeleteObjects. */
function isSnapshotPrefix(prefix: string): boolean {
  const m = /^snapshots\/([^/]+)\/$/.exec(prefix);
  return m !== null && parseStamp(m[1]!) !== undefined;
}

/**
 * Delete the objects of the snapshots the plan deletes. snapshots/ is listed again right
 * before, and only keys under the planned prefixes are sent, at most 1000 per call;
 * per-key errors are collected, not thrown.
 */
export async function applyBackupPrune(s3: S3Api, bucket: BackupBucket, plan: BackupPrunePlan, o: { events: EventSink }): Promise<BackupPruneResult> {
  const prefixes = prefixesToDelete(plan);
  for (const p of prefixes) if (!isSnapshotPrefix(p)) throw new Error(`applyBackupPrune: ${p} is not a snapshot prefix`);
  const step = 'delete snapshots';
  o.events.emit({ type: 'step-started', step, detail: `${prefixes.length} snapshots in s3://${bucket.name}` });
  const fresh = prefixes.length ? await listPrefix(s3, bucket, SNAPSHOTS_PREFIX) : [];
  const planned = new Set(prefixes);
  const prefixOf = (key: string) => key.slice(0, key.indexOf('/', SNAPSHOTS_PREFIX.length) + 1);
  const doomed = fresh.filter((obj) => planned.has(prefixOf(obj.key)));

  const failed: KeyFailure[] = [];
  let done = 0;
  for (const batch of chunk(doomed, DELETE_BATCH)) {
    const out = await s3.deleteObjects({ Bucket: bucket.name, Delete: { Objects: batch.map((b) => ({ Key: b.key })), Quiet: true } });
    for (const e of out.Errors ?? []) failed.push({ key: e.Key ?? '?', code: e.Code ?? 'Unknown', message: e.Message ?? '' });
    done += batch.length;
    o.events.emit({ type: 'progress', step, done, total: doomed.length, unit: 'items' });
  }

  const failedKeys = new Set(failed.map((f) => f.key));
  const snapshots = plan.snapshots
    .filter((s) => s.action === 'delete')
    .map((s): DeletedSnapshot => {
      const mine = doomed.filter((d) => d.key.startsWith(s.prefix));
      const gone = mine.filter((d) => !failedKeys.has(d.key));
      return { stamp: s.stamp, prefix: s.prefix, found: mine.length, deleted: gone.length, bytes: gone.reduce((n, d) => n + d.size, 0) };
    });
  const result = {
    snapshots,
    failed,
    deletedObjects: snapshots.reduce((n, s) => n + s.deleted, 0),
    deletedBytes: snapshots.reduce((n, s) => n + s.bytes, 0),
  };
  o.events.emit({
    type: 'step-finished',
    step,
    outcome: failed.length ? 'failed' : 'ok',
    detail: `${result.deletedObjects} objects deleted${failed.length ? `, ${failed.length} failed` : ''}`,
  });
  return result;
}
