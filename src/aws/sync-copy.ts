import { candidatePartSizes, MAX_PARTS, parseEtag } from '../core/etag.js';
import { mapBounded } from '../core/pool.js';
import { UPLOAD_PART_SIZE } from '../core/upload.js';
import type { TransferIo } from './sync-transfer.js';

// S3 to S3 without the bytes passing through claw: CopyObject up to S3's 5 GiB limit,
// a multipart copy (UploadPartCopy of byte ranges) above it.

const MiB = 1024 * 1024;
/** CopyObject's limit. */
export const COPY_THRESHOLD = 5 * 1024 * MiB;
/** Parts of one multipart copy in flight at once. */
const PARTS_IN_FLIGHT = 8;

export interface CopyOptions {
  /** Largest object copied with one CopyObject (default 5 GiB); injectable so a test can run a multipart copy on a small object. */
  copyThreshold?: number | undefined;
  /** Part size of a multipart copy (default: the source's own part size when its ETag reveals it, else 16 MiB). */
  copyPartSize?: number | undefined;
}

/** CopySource is "bucket/key", URI-encoded (each key segment; the "/" stay). */
export const copySource = (bucket: string, key: string): string => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

/**
 * The part size for a multipart copy: the source's own (from its ETag's part count) so
 * the copy gets the same ETag and later syncs compare them directly; else claw's part
 * size; always few enough parts for S3's 10,000.
 */
export function copyPartSize(size: number, sourceEtag: string | undefined): number {
  const parts = parseEtag(sourceEtag)?.parts;
  const guess = (parts !== undefined && parts > 1 ? candidatePartSizes(size, parts)[0] : undefined) ?? UPLOAD_PART_SIZE;
  const least = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return Math.max(guess, least);
}

type Where = { bucket: string; key: string };

/**
 * Copy one object of `size` bytes; answers the bytes copied. A single-part source (or
 * none known) up to the threshold is one CopyObject; a multipart source is copied part
 * for part at its own part size, so the copy keeps its ETag and later syncs can compare
 * the two (CopyObject would give the copy a plain MD5 ETag).
 */
export async function copyS3Object(io: TransferIo, from: Where, to: Where, size: number, o: CopyOptions = {}, sourceEtag?: string): Promise<number> {
  const CopySource = copySource(from.bucket, from.key);
  const multipartSource = (parseEtag(sourceEtag)?.parts ?? 1) > 1;
  if (size <= (o.copyThreshold ?? COPY_THRESHOLD) && !multipartSource) {
    await io.s3.copyObject({ Bucket: to.bucket, Key: to.key, CopySource, MetadataDirective: 'COPY' });
    io.onBytes(size);
    return size;
  }
  // A multipart copy does not carry the metadata over and the engine makes no HEAD
  // requests: a one-byte ranged GET answers the metadata, content type and ETag.
  const probe = await io.s3.getObject({ Bucket: from.bucket, Key: from.key, Range: 'bytes=0-0' });
  await probe.Body?.transformToByteArray();
  const partSize = o.copyPartSize ?? copyPartSize(size, probe.ETag);
  const created = await io.s3.createMultipartUpload({
    Bucket: to.bucket,
    Key: to.key,
    ...(probe.Metadata ? { Metadata: probe.Metadata } : {}),
    ...(probe.ContentType ? { ContentType: probe.ContentType } : {}),
  });
  const UploadId = created.UploadId;
  if (!UploadId) throw new Error('CreateMultipartUpload answered no UploadId');
  try {
    const ranges = Array.from({ length: Math.ceil(size / partSize) }, (_, i) => ({
      PartNumber: i + 1,
      start: i * partSize,
      end: Math.min(size, (i + 1) * partSize) - 1,
    }));
    const parts = await mapBounded(ranges, PARTS_IN_FLIGHT, async (r) => {
      if (io.signal?.aborted) throw new Error('aborted');
      const res = await io.s3.uploadPartCopy({
        Bucket: to.bucket,
        Key: to.key,
        UploadId,
        PartNumber: r.PartNumber,
        CopySource,
        CopySourceRange: `bytes=${r.start}-${r.end}`,
        // Every part from the same version of the source, even if it is overwritten meanwhile.
        ...(probe.ETag ? { CopySourceIfMatch: probe.ETag } : {}),
      });
      const ETag = res.CopyPartResult?.ETag;
      if (!ETag) throw new Error(`UploadPartCopy of part ${r.PartNumber} answered no ETag`);
      io.onBytes(r.end - r.start + 1);
      return { PartNumber: r.PartNumber, ETag };
    });
    await io.s3.completeMultipartUpload({ Bucket: to.bucket, Key: to.key, UploadId, MultipartUpload: { Parts: parts } });
  } catch (err) {
    // Best effort: a dangling upload costs storage until the bucket's lifecycle rule ends it.
    await io.s3.abortMultipartUpload({ Bucket: to.bucket, Key: to.key, UploadId }).catch(() => undefined);
    throw err;
  }
  return size;
}
