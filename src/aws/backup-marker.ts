import { OVERWRITE_MARKER_KEY, parseMarker, type MarkerState, type OverwriteMarker } from '../core/backup-overwrite.js';
import { RefusedError, RemoteError } from '../core/errors.js';
import { missingBackupBucket, type BackupBucket } from './backup.js';
import type { S3Api } from './clients.js';
import { isMissingKey, isPreconditionFailed } from './lock.js';

// The unfinished-overwrite marker (src/core/backup-overwrite.ts) in the backup bucket:
// read, create or replace it conditionally, delete it. Every write is conditional on what
// was read, so two operators' runs never silently overwrite each other's marker; a
// condition that fails because S3's answer to our own write was lost (the SDK retried
// it) is recognised by the run id the marker carries.

const isNoSuchBucket = (err: unknown) => (err as Error | undefined)?.name === 'NoSuchBucket';
const isConflict = (err: unknown) => (err as Error | undefined)?.name === 'ConditionalRequestConflict' || (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 409;
const place = (bucket: BackupBucket) => ({ Bucket: bucket.name, Key: OVERWRITE_MARKER_KEY });
export const markerUrl = (bucket: BackupBucket) => `s3://${bucket.name}/${OVERWRITE_MARKER_KEY}`;

export async function readOverwriteMarker(s3: S3Api, bucket: BackupBucket): Promise<MarkerState> {
  try {
    const out = await s3.getObject(place(bucket));
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    if (!out.ETag) throw new RemoteError(`S3 GetObject of ${markerUrl(bucket)} answered without an ETag`);
    return parseMarker(text, out.ETag);
  } catch (err) {
    if (isNoSuchBucket(err)) throw missingBackupBucket(bucket);
    if (isMissingKey(err)) return { kind: 'none' };
    throw err;
  }
}

const describe = (s: MarkerState) =>
  s.kind === 'none' ? 'it is gone' : s.kind === 'unreadable' ? `it is now unreadable (${s.reason})` : `it is now ${s.marker.by}'s ${s.marker.command} from ${s.marker.source}`;

/**
 * Write `marker`: create it (`expect: 'absent'`) or replace the one read (`expect: etag`).
 * Returns the new ETag. When another run changed the marker in between: RefusedError.
 */
export async function writeOverwriteMarker(s3: S3Api, bucket: BackupBucket, marker: OverwriteMarker, expect: 'absent' | { etag: string }): Promise<string> {
  const condition = expect === 'absent' ? { IfNoneMatch: '*' } : { IfMatch: expect.etag };
  try {
    const out = await s3.putObject({ ...place(bucket), Body: `${JSON.stringify(marker, null, 2)}\n`, ContentType: 'application/json', ...condition });
    if (!out.ETag) throw new RemoteError(`S3 PutObject of ${markerUrl(bucket)} answered without an ETag`);
    return out.ETag;
  } catch (err) {
    if (isNoSuchBucket(err)) throw missingBackupBucket(bucket);
    if (!isPreconditionFailed(err) && !isConflict(err) && !isMissingKey(err)) throw err;
    const now = await readOverwriteMarker(s3, bucket);
    // Our own write, whose answer was lost: it is there as we wrote it.
    if (now.kind === 'found' && now.marker.run === marker.run && now.marker.keepFinished === marker.keepFinished) return now.etag;
    throw new RefusedError(
      `another push or restore changed ${markerUrl(bucket)} while this one started (${describe(now)})`,
      'two runs must not overwrite latest/ at once: see claw backup status, then run again',
    );
  }
}

/**
 * Delete the marker only while it is the one we wrote (`etag`). `changed`: another run
 * wrote it since, and it is left alone. A store that answers NotImplemented to a
 * conditional delete gets a re-read and compare first.
 */
export async function deleteOverwriteMarker(s3: S3Api, bucket: BackupBucket, etag: string): Promise<'deleted' | 'gone' | 'changed'> {
  try {
    await s3.deleteObject({ ...place(bucket), IfMatch: etag });
    return 'deleted';
  } catch (err) {
    if (isPreconditionFailed(err)) return 'changed';
    if (isMissingKey(err)) return 'gone';
    if ((err as Error | undefined)?.name !== 'NotImplemented') throw err;
  }
  const now = await readOverwriteMarker(s3, bucket);
  if (now.kind === 'none') return 'gone';
  if (now.etag !== etag) return 'changed';
  await s3.deleteObject(place(bucket));
  return 'deleted';
}
