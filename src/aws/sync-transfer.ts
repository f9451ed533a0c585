import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, utimes, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { SHA256_METADATA } from '../core/bootstrap.js';
import { ContentHasher, parseEtag } from '../core/etag.js';
import { PARTIAL_MARKER } from '../core/sync-location.js';
import { UPLOAD_PART_SIZE } from '../core/upload.js';
import type { S3Api } from './clients.js';

// One object at a time, each way. Uploads carry the body's sha256 in the object's
// metadata; downloads verify what they wrote (sha256, else a single-part ETag's MD5,
// and the length) in a temporary file beside the destination and rename it over the
// destination only when complete, so a killed run never leaves a half file in place.

export interface TransferIo {
  s3: S3Api;
  signal?: AbortSignal | undefined;
  /** Bytes moved since the last call (may be called many times per object). */
  onBytes: (n: number) => void;
  /**
   * Runs a multipart upload when a slot is free: each buffers up to PARTS_IN_FLIGHT
   * parts of 16 MiB, so their number is bounded (memory, sockets) apart from `concurrency`.
   */
  large?: (<T>(fn: () => Promise<T>) => Promise<T>) | undefined;
}

/** Parts of one multipart upload in flight (lib-storage's queueSize). */
export const PARTS_IN_FLIGHT = 4;

async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal }) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

/**
 * Upload one file. Below the part size: read once, PutObject the buffer. Above: one
 * hashing pass for the metadata, then a multipart upload of UPLOAD_PART_SIZE parts (so
 * the resulting ETag is one the next sync can compute). Answers the bytes sent.
 */
export async function uploadFile(io: TransferIo, path: string, bucket: string, key: string, plannedSize: number): Promise<number> {
  // The planned size picks the way (saving a stat per small file); what is read is what is sent.
  if (plannedSize < UPLOAD_PART_SIZE) {
    const body = await readFile(path, { signal: io.signal });
    const sha256 = createHash('sha256').update(body).digest('hex');
    await io.s3.putObject({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, Metadata: { [SHA256_METADATA]: sha256 } });
    io.onBytes(body.byteLength);
    return body.byteLength;
  }
  const run = io.large ?? ((fn) => fn());
  return run(async () => {
    if (io.signal?.aborted) throw new Error('aborted before it started');
    const { size } = await stat(path);
    const sha256 = await sha256File(path, io.signal);
    let sent = 0;
    await io.s3.upload({
      Bucket: bucket,
      Key: key,
      Body: createReadStream(path, { highWaterMark: 1024 * 1024 }),
      ContentLength: size,
      Metadata: { [SHA256_METADATA]: sha256 },
      queueSize: PARTS_IN_FLIGHT,
      onProgress: (loaded) => {
        if (loaded > sent) io.onBytes(loaded - sent);
        sent = Math.max(sent, loaded);
      },
    });
    if (size > sent) io.onBytes(size - sent);
    return size;
  });
}

/**
 * `<dir>/<name>.claw-partial-<random>`: beside the file, so the final rename stays on one
 * filesystem (a name too long for that becomes `.claw-partial-<random>`).
 */
export function partialPath(path: string): string {
  const suffix = `${PARTIAL_MARKER}${randomBytes(6).toString('hex')}`;
  const name = Buffer.byteLength(basename(path)) + suffix.length > 255 ? suffix : `${basename(path)}${suffix}`;
  return join(dirname(path), name);
}

const KMS = new Set(['aws:kms', 'aws:kms:dsse']);

function asReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  const web = (body as { transformToWebStream?: () => WebReadableStream }).transformToWebStream;
  if (typeof web === 'function') return Readable.fromWeb(web.call(body));
  throw new Error('GetObject answered a body claw cannot stream');
}

/**
 * Download one object to `path`: stream into a temporary file while hashing, check
 * the length and the content (sha256 metadata when claw uploaded it, else the MD5 of a
 * single-part ETag unless SSE-KMS makes it no MD5), set the mtime to the object's
 * LastModified, then rename over the destination. Any failure removes the temporary file.
 */
export async function downloadObject(io: TransferIo, bucket: string, key: string, path: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const out = await io.s3.getObject({ Bucket: bucket, Key: key });
  if (!out.Body) throw new Error('GetObject answered no body');
  const body = asReadable(out.Body);
  // An abort can cut the response before the pipeline below listens: the pipeline reports
  // the premature close, this listener only keeps the socket's 'aborted' from going uncaught.
  body.on('error', () => {});
  const temp = partialPath(path);
  const hasher = new ContentHasher([], { md5: true, sha256: true });
  try {
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hasher.update(chunk);
          io.onBytes(chunk.byteLength);
          yield chunk;
        }
      },
      createWriteStream(temp, { flags: 'wx' }),
      ...(io.signal ? [{ signal: io.signal }] : []),
    );
    const got = hasher.digest();
    if (out.ContentLength !== undefined && got.size !== out.ContentLength) throw new Error(`received ${got.size} bytes of ${out.ContentLength}; the download was cut short`);
    const sha256 = out.Metadata?.[SHA256_METADATA];
    const etag = parseEtag(out.ETag);
    if (sha256 !== undefined) {
      if (sha256.toLowerCase() !== got.sha256) throw new Error('the bytes received do not match the object\'s sha256 metadata');
    } else if (etag && etag.parts === undefined && !KMS.has(String(out.ServerSideEncryption ?? ''))) {
      if (etag.hex !== got.md5) throw new Error('the bytes received do not match the object\'s ETag (MD5)');
    }
    const when = out.LastModified ?? new Date();
    await utimes(temp, when, when);
    await rename(temp, path);
    return got.size;
  } catch (err) {
    body.destroy();
    await rm(temp, { force: true });
    throw err;
  }
}
