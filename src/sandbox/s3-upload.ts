import { UPLOAD_PART_SIZE } from '../core/upload.js';
import { createHash, type Hash } from 'node:crypto';
import { ReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { S3Api, UploadInput } from '../aws/clients.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import { multipartEtag } from './ids.js';
import type { ObjectRecord } from './state.js';
import { checkKey, lowerCaseMetadata, noSuchBucket } from './s3-common.js';
import type { SandboxWorld } from './world.js';

// The high-level upload (what @aws-sdk/lib-storage's Upload does for claw): the body is
// read part by part, progress is reported as each part completes, and the object gets
// the ETag S3 gives such an upload: a plain MD5 when the body fits in one part (Upload
// then sends a single PutObject), else the MD5 of the parts' MD5s with `-<parts>`.
// Large bodies are not kept in the state file, only their size and ETag, like the
// size-only seed objects (nothing in claw reads an object back).

/** The part size claw's SDK upload uses (src/aws/sdk-clients.ts): the ETags must agree. */
/** Bodies up to this size are stored in the state; larger ones only by size and ETag. */
export const KEPT_BODY_LIMIT = 1024 * 1024;

/** The total Upload knows before reading: ContentLength, a byte array's length, a file stream's size. */
function knownLength(input: UploadInput): number | undefined {
  if (input.ContentLength !== undefined) return input.ContentLength;
  const body = input.Body;
  if (body instanceof Uint8Array) return body.byteLength;
  if (body instanceof ReadStream) {
    const { start, end } = body as ReadStream & { start?: unknown; end?: unknown };
    if (typeof start === 'number' && typeof end === 'number') return end + 1 - start;
    try {
      return statSync(body.path).size;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function* chunksOf(body: unknown): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (body instanceof Readable) {
    for await (const chunk of body as AsyncIterable<unknown>) {
      if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
      else if (chunk instanceof Uint8Array) yield chunk;
      else throw new SandboxUnsupportedError('S3 upload: the Readable must yield Buffers, Uint8Arrays or strings');
    }
    return;
  }
  const kind = body === null ? 'null' : typeof body === 'object' ? (body.constructor?.name ?? 'object') : typeof body;
  throw new SandboxUnsupportedError(`S3 upload Body must be a Readable or a Uint8Array, not ${kind}`);
}

interface Parts {
  digests: Uint8Array[];
  whole: Hash;
  size: number;
  kept: Uint8Array[] | undefined;
}

/**
 * Read the body part by part. Progress goes out as Upload sends it: per completed part
 * with the running total, except that a body of one part is a single PutObject,
 * reported once at the end as (size, size). So part 1 is reported only once part 2 starts.
 */
async function readParts(input: UploadInput, total: number | undefined): Promise<Parts> {
  const parts: Parts = { digests: [], whole: createHash('md5'), size: 0, kept: [] };
  const progress = input.onProgress ?? (() => undefined);
  let part = createHash('md5');
  let inPart = 0;
  let firstUnreported = false;
  const closePart = () => {
    parts.digests.push(part.digest());
    part = createHash('md5');
    inPart = 0;
    if (parts.digests.length === 1) firstUnreported = true;
    else progress(parts.size, total);
  };
  for await (const chunk of chunksOf(input.Body)) {
    if (chunk.length === 0) continue;
    parts.whole.update(chunk);
    if (parts.kept) {
      parts.kept.push(chunk);
      if (parts.size + chunk.length > KEPT_BODY_LIMIT) parts.kept = undefined;
    }
    let at = 0;
    while (at < chunk.length) {
      if (firstUnreported) {
        progress(UPLOAD_PART_SIZE, total);
        firstUnreported = false;
      }
      const take = Math.min(chunk.length - at, UPLOAD_PART_SIZE - inPart);
      part.update(chunk.subarray(at, at + take));
      at += take;
      inPart += take;
      parts.size += take;
      if (inPart === UPLOAD_PART_SIZE) closePart();
    }
  }
  if (inPart > 0 || parts.digests.length === 0) closePart();
  if (parts.digests.length === 1) progress(parts.size, parts.size);
  return parts;
}

export function uploadOps(world: SandboxWorld): Pick<S3Api, 'upload'> {
  return {
    async upload(input: UploadInput): Promise<{ ETag?: string | undefined }> {
      const bucket = world.state.buckets.find((b) => b.name === input.Bucket);
      if (!bucket) throw noSuchBucket(input.Bucket);
      checkKey(input.Key);
      const total = knownLength(input);
      const parts = await readParts(input, total);
      const single = parts.digests.length === 1;
      if (!single && total !== undefined && Math.ceil(total / UPLOAD_PART_SIZE) !== parts.digests.length) {
        // What Upload does when the length it was told and the body disagree: a plain
        // Error, and the multipart upload is aborted (nothing is stored).
        throw new Error(
          `Expected ${Math.ceil(total / UPLOAD_PART_SIZE)} part(s) but uploaded ${parts.digests.length} part(s) (told ${total} bytes, the body had ${parts.size})`,
        );
      }
      const etag = single ? `"${parts.whole.digest('hex')}"` : multipartEtag(parts.digests);
      const record: ObjectRecord = {
        key: input.Key,
        size: parts.size,
        etag,
        lastModified: world.now().toISOString(),
        ...(parts.kept && { bodyBase64: Buffer.concat(parts.kept).toString('base64') }),
        // A single part goes up as PutObject, which the SDK sends as application/octet-stream;
        // CreateMultipartUpload sends no type, so S3's default shows (see headObject).
        ...(input.ContentType !== undefined ? { contentType: input.ContentType } : single && { contentType: 'application/octet-stream' }),
        ...(input.Metadata !== undefined && { metadata: lowerCaseMetadata(input.Metadata) }),
      };
      bucket.objects = [...bucket.objects.filter((o) => o.key !== input.Key), record];
      await world.persist();
      return { ETag: etag };
    },
  };
}
