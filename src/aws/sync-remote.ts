import { RemoteError, UsageError } from '../core/errors.js';
import type { SyncEntry } from '../core/sync-plan.js';
import { chunk } from './paginate.js';
import type { S3Api } from './clients.js';
import { isNoSuchBucket } from './s3-errors.js';

// The S3 side of a sync: a paginated listing (size, ETag and LastModified come with
// it, so no object is ever HEADed) and batched deletes.

/** ListObjectsV2's largest page. */
const PAGE = 1000;
/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

/** A sync side's bucket is missing: callers that named the bucket another way say so in their own words. */
export class NoSuchBucketError extends UsageError {
  constructor(readonly bucket: string) {
    super(`bucket s3://${bucket} does not exist`, 'check the bucket name in the s3:// URL (and --region / --profile)');
  }
}

export const noSuchBucket = (bucket: string): UsageError => new NoSuchBucketError(bucket);

/**
 * Every object under `prefix`, as keys relative to it. "Folder" markers (a key ending
 * in "/" with no bytes, as consoles create) are not objects to sync.
 */
export async function listS3(s3: S3Api, bucket: string, prefix: string, pageSize = PAGE): Promise<SyncEntry[]> {
  const entries: SyncEntry[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  try {
    do {
      const page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ...(token ? { ContinuationToken: token } : {}) });
      for (const o of page.Contents ?? []) {
        if (!o.Key || !o.Key.startsWith(prefix)) continue;
        const size = o.Size ?? 0;
        if (o.Key.endsWith('/') && size === 0) continue;
        entries.push({ key: o.Key.slice(prefix.length), size, etag: o.ETag, lastModified: o.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (token !== undefined) {
        if (seen.has(token)) throw new RemoteError(`S3 ListObjectsV2 of s3://${bucket}/${prefix}: the continuation token repeated; refusing to loop`);
        seen.add(token);
      }
    } while (token !== undefined);
  } catch (err) {
    if (isNoSuchBucket(err)) throw noSuchBucket(bucket);
    throw err;
  }
  return entries;
}

export interface DeleteOutcome {
  deleted: number;
  failures: { key: string; op: string; message: string }[];
}

/**
 * Delete keys (relative to `prefix`) in batches of 1000; a key S3 reports in Errors,
 * or every key of a batch whose call failed, is a failure. Stops between batches on abort.
 */
export async function deleteS3(
  s3: S3Api,
  bucket: string,
  prefix: string,
  keys: readonly string[],
  signal?: AbortSignal,
  onDeleted?: (n: number) => void,
): Promise<DeleteOutcome> {
  const out: DeleteOutcome = { deleted: 0, failures: [] };
  for (const batch of chunk(keys, DELETE_BATCH)) {
    if (signal?.aborted) break;
    try {
      const res = await s3.deleteObjects({ Bucket: bucket, Delete: { Objects: batch.map((k) => ({ Key: prefix + k })), Quiet: true } });
      const failed = new Set<string>();
      for (const e of res.Errors ?? []) {
        const key = (e.Key ?? '').slice(prefix.length);
        failed.add(key);
        out.failures.push({ key, op: 'delete', message: `${e.Code ?? 'Error'}: ${e.Message ?? 'not deleted'}` });
      }
      out.deleted += batch.length - failed.size;
      onDeleted?.(batch.length - failed.size);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
      for (const key of batch) out.failures.push({ key, op: 'delete', message });
    }
  }
  return out;
}
