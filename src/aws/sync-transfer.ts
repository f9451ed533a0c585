import { createHash } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { rename, rm, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { SHA256_METADATA } from '../core/bootstrap.js';
import { ContentHasher, parseEtag } from '../core/etag.js';
import { contentTypeFor, S3_DEFAULT_CONTENT_TYPE } from '../core/content-type.js';
import { machineMimeTypes } from '../fs/mime-types.js';
import { openRegular } from '../fs/regular-file.js';
import { safeLocalPath } from '../fs/sync-local.js';
import type { TempArea } from '../fs/sync-temp.js';
import { UPLOAD_PART_SIZE } from '../core/upload.js';
import type { S3Api } from './clients.js';

// One object at a time, each way. Uploads carry the sha256 of the bytes they sent in the
// object's metadata; downloads verify what they wrote (sha256, else a single-part ETag's
// MD5, and the length) in claw's own temporary folder and rename it over the destination
// only when complete, so a killed run never leaves a half file in place.

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

/** A file that changed while it was read for an upload: nothing of it was stored. */
export class FileChangedError extends Error {
  constructor(path: string) {
    super(`${path} changed while it was being read (its size, time or content); it was not stored: run the push again once it is quiet`);
    this.name = 'FileChangedError';
  }
}

const sameFile = (a: Stats, b: Stats) => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

export interface UploadOptions {
  /** Follow a symbolic link to its file (the aws CLI's default); false refuses one that appeared since the plan. */
  follow: boolean;
}

/**
 * Upload one file, opened once (only a regular file: never blocking on a FIFO swapped
 * in since the plan). The sha256 stored in the object's metadata is always of the bytes
 * sent. Below the part size: read whole (again, up to three times, if it changed during
 * the read), hashed, PutObject. Above: a first pass hashes it for the metadata (S3 takes
 * it when the upload starts), the multipart upload of UPLOAD_PART_SIZE parts hashes what
 * it sends, and when that differs, or the size or time moved, the upload fails before it
 * completes (aborted: nothing stored). Answers the bytes sent.
 */
export async function uploadFile(
  io: TransferIo,
  path: string,
  bucket: string,
  key: string,
  plannedSize: number,
  o: UploadOptions = { follow: true },
): Promise<number> {
  // As the aws CLI: its guess from the name, else what S3 stores for an upload that names none.
  const typed = { ContentType: contentTypeFor(key, await machineMimeTypes()) ?? S3_DEFAULT_CONTENT_TYPE };
  if (plannedSize < UPLOAD_PART_SIZE) {
    for (let attempt = 1; ; attempt++) {
      const { handle, stats } = await openRegular(path, { follow: o.follow });
      let body: Buffer;
      let after: Stats;
      try {
        body = await handle.readFile({ signal: io.signal });
        after = await handle.stat();
      } finally {
        await handle.close();
      }
      if (!sameFile(stats, after) || body.byteLength !== after.size) {
        if (attempt < 3) continue;
        throw new FileChangedError(path);
      }
      const sha256 = createHash('sha256').update(body).digest('hex');
      await io.s3.putObject({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, Metadata: { [SHA256_METADATA]: sha256 }, ...typed });
      io.onBytes(body.byteLength);
      return body.byteLength;
    }
  }
  const run = io.large ?? ((fn) => fn());
  return run(async () => {
    if (io.signal?.aborted) throw new Error('aborted before it started');
    const { handle, stats } = await openRegular(path, { follow: o.follow });
    try {
      const first = createHash('sha256');
      for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1024 * 1024, signal: io.signal }) as AsyncIterable<Buffer>)
        first.update(chunk);
      const sha256 = first.digest('hex');
      async function* sent(): AsyncGenerator<Buffer> {
        const h = createHash('sha256');
        let n = 0;
        for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
          h.update(chunk);
          n += chunk.byteLength;
          yield chunk;
        }
        // Before the last part is acknowledged the body ends here: a mismatch fails (and aborts) the upload.
        if (n !== stats.size || h.digest('hex') !== sha256 || !sameFile(stats, await handle.stat())) throw new FileChangedError(path);
      }
      let sentBytes = 0;
      await io.s3.upload({
        Bucket: bucket,
        Key: key,
        Body: Readable.from(sent(), { objectMode: false }),
        ContentLength: stats.size,
        Metadata: { [SHA256_METADATA]: sha256 },
        ...typed,
        queueSize: PARTS_IN_FLIGHT,
        onProgress: (loaded) => {
          if (loaded > sentBytes) io.onBytes(loaded - sentBytes);
          sentBytes = Math.max(sentBytes, loaded);
        },
      });
      if (stats.size > sentBytes) io.onBytes(stats.size - sentBytes);
      return stats.size;
    } finally {
      await handle.close();
    }
  });
}

const KMS = new Set(['aws:kms', 'aws:kms:dsse']);

function asReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  const web = (body as { transformToWebStream?: () => WebReadableStream }).transformToWebStream;
  if (typeof web === 'function') return Readable.fromWeb(web.call(body));
  throw new Error('GetObject answered a body claw cannot stream');
}

/**
 * Download one object to `key` under `root`: stream into a file of this run's temporary
 * folder (sync-temp.ts) while hashing, check the length and the content (sha256
 * metadata when claw uploaded it, else the MD5 of a single-part ETag unless SSE-KMS
 * makes it no MD5), set the mtime to the object's LastModified, then rename it into
 * place, through folders checked to be real ones inside `root` (never a symbolic link).
 * Any failure removes the temporary file.
 */
export async function downloadObject(
  io: TransferIo,
  bucket: string,
  objectKey: string,
  dest: { root: string; key: string; temp: () => Promise<TempArea> },
): Promise<number> {
  const temp = (await dest.temp()).file();
  // Checked before a byte moves, and again right before the rename.
  await safeLocalPath(dest.root, dest.key);
  const out = await io.s3.getObject({ Bucket: bucket, Key: objectKey });
  if (!out.Body) throw new Error('GetObject answered no body');
  const body = asReadable(out.Body);
  // An abort can cut the response before the pipeline below listens: the pipeline reports
  // the premature close, this listener only keeps the socket's 'aborted' from going uncaught.
  body.on('error', () => {});
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
    if (out.ContentLength !== undefined && got.size !== out.ContentLength)
      throw new Error(`received ${got.size} bytes of ${out.ContentLength}; the download was cut short`);
    const sha256 = out.Metadata?.[SHA256_METADATA];
    const etag = parseEtag(out.ETag);
    if (sha256 !== undefined) {
      if (sha256.toLowerCase() !== got.sha256) throw new Error("the bytes received do not match the object's sha256 metadata");
    } else if (etag && etag.parts === undefined && !KMS.has(String(out.ServerSideEncryption ?? ''))) {
      if (etag.hex !== got.md5) throw new Error("the bytes received do not match the object's ETag (MD5)");
    }
    const when = out.LastModified ?? new Date();
    await utimes(temp, when, when);
    const path = await safeLocalPath(dest.root, dest.key);
    await rename(temp, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EXDEV') throw new Error(`not written: ${dirname(path)} is on another filesystem than ${dest.root}, where claw downloads first`);
      throw err;
    });
    return got.size;
  } catch (err) {
    body.destroy();
    await rm(temp, { force: true });
    throw err;
  }
}
