import { RemoteError } from '../core/errors.js';
import type { S3Api } from './clients.js';
import { isConflict, isMissingKey, isNoSuchBucket, isNotImplemented, isPreconditionFailed } from './s3-errors.js';

// One small JSON object in S3 changed only by compare-and-swap on its ETag: the deploy
// lock and the unfinished-overwrite marker. A create is If-None-Match: *, a replace and a
// delete are If-Match: the ETag that was read, so two writers never overwrite each other.

export interface CasObject {
  Bucket: string;
  Key: string;
  /** The error for a bucket that is not there (each object names its own config key). */
  missingBucket(): Error;
}

const url = (o: CasObject) => `s3://${o.Bucket}/${o.Key}`;
const place = (o: CasObject) => ({ Bucket: o.Bucket, Key: o.Key });
function etagOf(out: { ETag?: string | undefined }, op: string, o: CasObject): string {
  if (!out.ETag) throw new RemoteError(`S3 ${op} of ${url(o)} answered without an ETag`);
  return out.ETag;
}

/** The object's text and ETag, or undefined when it is not there. */
export async function readCas(s3: S3Api, o: CasObject): Promise<{ text: string; etag: string } | undefined> {
  try {
    const out = await s3.getObject(place(o));
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    return { text, etag: etagOf(out, 'GetObject', o) };
  } catch (err) {
    if (isNoSuchBucket(err)) throw o.missingBucket();
    if (isMissingKey(err)) return undefined;
    throw err;
  }
}

/**
 * Write `body` only while the object is as expected: absent, or still at `etag`.
 * `conflict`: another writer created, replaced or deleted it since it was read.
 */
export async function writeCas(s3: S3Api, o: CasObject, body: string, expect: 'absent' | { etag: string }): Promise<{ etag: string } | 'conflict'> {
  const condition = expect === 'absent' ? { IfNoneMatch: '*' } : { IfMatch: expect.etag };
  try {
    const out = await s3.putObject({ ...place(o), Body: body, ContentType: 'application/json', ...condition });
    return { etag: etagOf(out, 'PutObject', o) };
  } catch (err) {
    if (isNoSuchBucket(err)) throw o.missingBucket();
    if (isPreconditionFailed(err) || isConflict(err) || isMissingKey(err)) return 'conflict';
    throw err;
  }
}

/**
 * Delete the object only while its ETag is `etag`. S3 (and moto) honour If-Match on
 * DeleteObject; a store that answers NotImplemented gets a re-read and compare first.
 */
export async function deleteCas(s3: S3Api, o: CasObject, etag: string): Promise<'deleted' | 'changed' | 'gone'> {
  try {
    await s3.deleteObject({ ...place(o), IfMatch: etag });
    return 'deleted';
  } catch (err) {
    if (isPreconditionFailed(err)) return 'changed';
    if (isMissingKey(err)) return 'gone';
    if (!isNotImplemented(err)) throw err;
  }
  const now = await readCas(s3, o);
  if (now === undefined) return 'gone';
  if (now.etag !== etag) return 'changed';
  await s3.deleteObject(place(o));
  return 'deleted';
}
