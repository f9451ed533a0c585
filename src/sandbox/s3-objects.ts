import type {
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { S3Api } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import { etagOf } from './ids.js';
import { sdkBody } from './s3-body.js';
import { contentBytes, hasContent, rangeContent, sizeOnly } from './s3-content.js';
import { checkKey, lowerCaseMetadata, noSuchBucket } from './s3-common.js';
import type { BucketRecord, ObjectRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// Single objects: PutObject (with S3's conditional writes: If-None-Match: * creates
// only, If-Match: <etag> compares and swaps), GetObject (whole, or one byte range) and
// DeleteObject (idempotent, also with If-Match). ETags compare without their quotes, as S3 does.

function bodyBytes(body: unknown): Uint8Array {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  const kind = body === null ? 'null' : typeof body === 'object' ? (body.constructor?.name ?? 'object') : typeof body;
  throw new SandboxUnsupportedError(`S3 PutObject Body must be a string, Buffer or Uint8Array, not ${kind} (streams are not simulated)`);
}

const noSuchKey = (key: string) => awsError('NoSuchKey', 'The specified key does not exist.', 404, { Code: 'NoSuchKey', Key: key });
const preconditionFailed = (condition: 'If-Match' | 'If-None-Match') =>
  awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Code: 'PreconditionFailed', Condition: condition });
const bareEtag = (etag: string) => etag.replace(/"/g, '');

/** If-Match: the object must exist (404 NoSuchKey) and carry that ETag (412). */
function checkIfMatch(existing: ObjectRecord | undefined, key: string, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  if (!existing) throw noSuchKey(key);
  if (bareEtag(ifMatch) !== bareEtag(existing.etag)) throw preconditionFailed('If-Match');
}

/**
 * GetObject's Range as S3 reads it: `bytes=first-last` (last capped at the end),
 * `bytes=first-`, `bytes=-suffix`; a first byte past the end is InvalidRange (416); a
 * header S3 cannot use (malformed, several ranges, first > last) is ignored: the whole object.
 */
function byteRange(range: string | undefined, size: number): [number, number] | undefined {
  if (range === undefined) return undefined;
  const m = /^bytes=(?:(\d+)-(\d*)|-(\d+))$/.exec(range);
  if (!m) return undefined;
  const unsatisfiable = () =>
    awsError('InvalidRange', 'The requested range is not satisfiable', 416, { Code: 'InvalidRange', ActualObjectSize: String(size), RangeRequested: range });
  if (m[3] !== undefined) {
    const suffix = Number(m[3]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (first > last) return undefined;
  if (first >= size) throw unsatisfiable();
  return [first, Math.min(last, size - 1)];
}

/** What a failDeletes-marked key answers to a single DeleteObject. */
function deleteFailure(code: string, message: string) {
  const status = code === 'AccessDenied' ? 403 : code === 'InternalError' ? 500 : code === 'SlowDown' ? 503 : 400;
  return awsError(code, message, status, { Code: code });
}

export function objectOps(world: SandboxWorld): Pick<S3Api, 'putObject' | 'getObject' | 'deleteObject'> {
  const bucketOf = (name: string | undefined): BucketRecord => {
    const bucket = world.state.buckets.find((b) => b.name === name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  };

  return {
    async putObject(input: PutObjectCommandInput): Promise<PutObjectCommandOutput> {
      rejectUnsupported('S3 PutObject', input, ['Bucket', 'Key', 'Body', 'Metadata', 'ContentType', 'ContentLength', 'IfNoneMatch', 'IfMatch']);
      const bucket = bucketOf(input.Bucket);
      const key = input.Key;
      checkKey(key);
      if (input.IfNoneMatch !== undefined && input.IfNoneMatch !== '*') {
        throw new SandboxUnsupportedError(`S3 PutObject IfNoneMatch must be "*" (create only), not ${JSON.stringify(input.IfNoneMatch)}`);
      }
      const bytes = bodyBytes(input.Body);
      if (input.ContentLength !== undefined && input.ContentLength !== bytes.length) {
        throw new SandboxUnsupportedError(`S3 PutObject ContentLength ${input.ContentLength} does not match the body's ${bytes.length} bytes`);
      }
      const existing = bucket.objects.find((o) => o.key === key);
      checkIfMatch(existing, key, input.IfMatch);
      if (input.IfNoneMatch === '*' && existing) throw preconditionFailed('If-None-Match');
      const etag = etagOf(bytes);
      const record: ObjectRecord = {
        key,
        size: bytes.length,
        etag,
        lastModified: world.now().toISOString(),
        bodyBase64: Buffer.from(bytes).toString('base64'),
        // Without a ContentType the SDK sends application/octet-stream, and S3 keeps it.
        contentType: input.ContentType ?? 'application/octet-stream',
        ...(input.Metadata !== undefined && { metadata: lowerCaseMetadata(input.Metadata) }),
      };
      bucket.objects = [...bucket.objects.filter((o) => o.key !== key), record];
      await world.persist();
      return { $metadata: okMetadata(), ETag: etag };
    },

    async getObject(input: GetObjectCommandInput): Promise<GetObjectCommandOutput> {
      rejectUnsupported('S3 GetObject', input, ['Bucket', 'Key', 'Range']);
      const bucket = bucketOf(input.Bucket);
      const key = input.Key ?? '';
      const object = bucket.objects.find((o) => o.key === key);
      if (!object) throw noSuchKey(key);
      // Seeded by size only, or uploaded over 1 MiB: there is no content to hand back,
      // and made-up bytes would not match the ETag.
      if (!hasContent(object)) throw sizeOnly(bucket.name, key, object.size);
      const range = byteRange(input.Range, object.size);
      const bytes = range ? contentBytes({ ...rangeContent(object, range[0], range[1]), size: range[1] - range[0] + 1 })! : contentBytes(object)!;
      return {
        $metadata: okMetadata(range ? 206 : 200),
        AcceptRanges: 'bytes',
        LastModified: new Date(object.lastModified),
        ContentLength: bytes.length,
        ...(range && { ContentRange: `bytes ${range[0]}-${range[1]}/${object.size}` }),
        ETag: object.etag,
        ContentType: object.contentType ?? 'binary/octet-stream',
        Metadata: { ...object.metadata },
        Body: sdkBody(bytes) as unknown as GetObjectCommandOutput['Body'],
      };
    },

    async deleteObject(input: DeleteObjectCommandInput): Promise<DeleteObjectCommandOutput> {
      rejectUnsupported('S3 DeleteObject', input, ['Bucket', 'Key', 'IfMatch']);
      const bucket = bucketOf(input.Bucket);
      const key = input.Key;
      checkKey(key);
      checkIfMatch(
        bucket.objects.find((o) => o.key === key),
        key,
        input.IfMatch,
      );
      const failure = bucket.deleteErrors?.[key];
      if (failure) throw deleteFailure(failure.code, failure.message);
      // A key that is not there is deleted all the same (204), as on S3.
      bucket.objects = bucket.objects.filter((o) => o.key !== key);
      await world.persist();
      return { $metadata: okMetadata(204) };
    },
  };
}
