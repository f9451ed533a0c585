import { OVERWRITE_MARKER_KEY, parseMarker, type MarkerState, type OverwriteMarker } from '../core/backup-overwrite.js';
import { RefusedError } from '../core/errors.js';
import { missingBackupBucket, type BackupBucket } from './backup.js';
import type { S3Api } from './clients.js';
import { deleteCas, readCas, writeCas, type CasObject } from './s3-cas.js';

// The unfinished-overwrite marker (src/core/backup-overwrite.ts) in the backup bucket:
// read, create or replace it conditionally, delete it. Every write is conditional on what
// was read, so two operators' runs never silently overwrite each other's marker; a
// condition that fails because S3's answer to our own write was lost (the SDK retried
// it) is recognised by the run id the marker carries.

const objectOf = (bucket: BackupBucket): CasObject => ({ Bucket: bucket.name, Key: OVERWRITE_MARKER_KEY, missingBucket: () => missingBackupBucket(bucket) });
export const markerUrl = (bucket: BackupBucket) => `s3://${bucket.name}/${OVERWRITE_MARKER_KEY}`;

export async function readOverwriteMarker(s3: S3Api, bucket: BackupBucket): Promise<MarkerState> {
  const found = await readCas(s3, objectOf(bucket));
  return found === undefined ? { kind: 'none' } : parseMarker(found.text, found.etag);
}

const describe = (s: MarkerState) =>
  s.kind === 'none'
    ? 'it is gone'
    : s.kind === 'unreadable'
      ? `it is now unreadable (${s.reason})`
      : `it is now ${s.marker.by}'s ${s.marker.command} from ${s.marker.source}`;

/**
 * Write `marker`: create it (`expect: 'absent'`) or replace the one read (`expect: etag`).
 * Returns the new ETag. When another run changed the marker in between: RefusedError.
 */
export async function writeOverwriteMarker(s3: S3Api, bucket: BackupBucket, marker: OverwriteMarker, expect: 'absent' | { etag: string }): Promise<string> {
  const written = await writeCas(s3, objectOf(bucket), `${JSON.stringify(marker, null, 2)}\n`, expect);
  if (written !== 'conflict') return written.etag;
  const now = await readOverwriteMarker(s3, bucket);
  // Our own write, whose answer was lost: it is there as we wrote it.
  if (now.kind === 'found' && now.marker.run === marker.run && now.marker.keepFinished === marker.keepFinished) return now.etag;
  throw new RefusedError(
    `another push or restore changed ${markerUrl(bucket)} while this one started (${describe(now)})`,
    'two runs must not overwrite latest/ at once: see claw backup status, then run again',
  );
}

/** Delete the marker only while it is the one we wrote (`etag`); `changed`: another run wrote it since, left alone. */
export const deleteOverwriteMarker = (s3: S3Api, bucket: BackupBucket, etag: string) => deleteCas(s3, objectOf(bucket), etag);
