import { createHash, randomBytes } from 'node:crypto';
import type {
  AbortMultipartUploadCommandInput,
  AbortMultipartUploadCommandOutput,
  CompleteMultipartUploadCommandInput,
  CompleteMultipartUploadCommandOutput,
  CreateMultipartUploadCommandInput,
  CreateMultipartUploadCommandOutput,
  UploadPartCopyCommandInput,
  UploadPartCopyCommandOutput,
} from '@aws-sdk/client-s3';
import type { S3Api } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { multipartEtag } from './ids.js';
import { checkKey, lowerCaseMetadata, noSuchBucket } from './s3-common.js';
import { contentMd5, joinContent, rangeContent } from './s3-content.js';
import { copySource, MAX_COPY_SOURCE } from './s3-copy.js';
import type { MultipartUploadRecord, ObjectRecord, UploadPartRecord } from './state.js';
import { liveState, type SandboxWorld } from './world.js';

// The multipart copy (what copies over 5 GiB need): CreateMultipartUpload, UploadPartCopy
// of byte ranges, CompleteMultipartUpload with S3's checks (parts ascending, ETags
// matching, every part but the last at least 5 MiB), AbortMultipartUpload. Uploads in
// progress live in the state file; a part keeps its content like an object does.

export const MIN_PART_SIZE = 5 * 1024 * 1024;

const badRequest = (code: string, message: string) => awsError(code, message, 400, { Code: code });
const noSuchUpload = (uploadId: string | undefined) =>
  awsError('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, {
    Code: 'NoSuchUpload',
    UploadId: uploadId,
  });
const invalidPart = () =>
  badRequest(
    'InvalidPart',
    "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
  );
const bare = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

/** `bytes=first-last` within an object of `size` bytes; the whole object without a range. */
function copyRange(range: string | undefined, size: number): [number, number] {
  if (range === undefined) return [0, size - 1];
  const m = /^bytes=(\d+)-(\d+)$/.exec(range);
  if (!m) {
    throw badRequest(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
    );
  }
  const [first, last] = [Number(m[1]), Number(m[2])];
  if (first > last || last >= size) throw badRequest('InvalidArgument', `Range specified is not valid for source object of size: ${size}`);
  return [first, last];
}

export function multipartOps(
  world: SandboxWorld,
): Pick<S3Api, 'createMultipartUpload' | 'uploadPartCopy' | 'completeMultipartUpload' | 'abortMultipartUpload'> {
  const state = liveState(world);
  const bucketOf = (name: string | undefined) => {
    const bucket = state.buckets.find((b) => b.name === name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  };
  /** The upload, which must be for this bucket and key (another key's id is NoSuchUpload too). */
  const uploadOf = (bucket: string, key: string | undefined, uploadId: string | undefined): MultipartUploadRecord => {
    const upload = state.multipartUploads.find((u) => u.uploadId === uploadId && u.bucket === bucket && u.key === key);
    if (!upload) throw noSuchUpload(uploadId);
    return upload;
  };

  return {
    async createMultipartUpload(input: CreateMultipartUploadCommandInput): Promise<CreateMultipartUploadCommandOutput> {
      rejectUnsupported('S3 CreateMultipartUpload', input, ['Bucket', 'Key', 'ContentType', 'Metadata']);
      const bucket = bucketOf(input.Bucket);
      checkKey(input.Key);
      const uploadId = randomBytes(48).toString('base64url');
      state.multipartUploads.push({
        uploadId,
        bucket: bucket.name,
        key: input.Key,
        initiated: world.now().toISOString(),
        ...(input.ContentType !== undefined && { contentType: input.ContentType }),
        ...(input.Metadata !== undefined && { metadata: lowerCaseMetadata(input.Metadata) }),
        parts: [],
      });
      await world.persist();
      return { $metadata: okMetadata(), Bucket: bucket.name, Key: input.Key, UploadId: uploadId };
    },

    async uploadPartCopy(input: UploadPartCopyCommandInput): Promise<UploadPartCopyCommandOutput> {
      rejectUnsupported('S3 UploadPartCopy', input, ['Bucket', 'Key', 'UploadId', 'PartNumber', 'CopySource', 'CopySourceRange', 'CopySourceIfMatch']);
      const partNumber = input.PartNumber;
      if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
        throw badRequest('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
      }
      const bucket = bucketOf(input.Bucket);
      const upload = uploadOf(bucket.name, input.Key, input.UploadId);
      // CopySourceIfMatch keeps every part to one version of the source.
      const { object } = copySource(state, input.CopySource, input.CopySourceIfMatch);
      const [first, last] = copyRange(input.CopySourceRange, object.size);
      const size = object.size === 0 ? 0 : last - first + 1;
      if (size > MAX_COPY_SOURCE) {
        throw badRequest('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE}`);
      }
      const content = rangeContent(object, first, last);
      // A size-only source has no bytes to hash: the part's ETag is derived from the source's and the range.
      const md5 = contentMd5({ ...content, size }) ?? createHash('md5').update(`sandbox-range:${object.etag}:${first}-${last}`).digest('hex');
      const part: UploadPartRecord = { partNumber, etag: `"${md5}"`, size, lastModified: world.now().toISOString(), ...content };
      upload.parts = [...upload.parts.filter((p) => p.partNumber !== partNumber), part];
      await world.persist();
      return { $metadata: okMetadata(), CopyPartResult: { ETag: part.etag, LastModified: new Date(part.lastModified) } };
    },

    async completeMultipartUpload(input: CompleteMultipartUploadCommandInput): Promise<CompleteMultipartUploadCommandOutput> {
      rejectUnsupported('S3 CompleteMultipartUpload', input, ['Bucket', 'Key', 'UploadId', 'MultipartUpload']);
      const asked = input.MultipartUpload?.Parts ?? [];
      for (const p of asked) rejectUnsupported('S3 CompleteMultipartUpload part', p, ['PartNumber', 'ETag']);
      const bucket = bucketOf(input.Bucket);
      const upload = uploadOf(bucket.name, input.Key, input.UploadId);
      if (asked.length === 0) {
        throw badRequest('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
      }
      if (asked.some((p, i) => i > 0 && (p.PartNumber ?? 0) <= (asked[i - 1]!.PartNumber ?? 0))) {
        throw badRequest('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
      }
      const parts = asked.map((p) => {
        const part = upload.parts.find((x) => x.partNumber === p.PartNumber);
        if (!part || bare(part.etag) !== bare(p.ETag)) throw invalidPart();
        return part;
      });
      if (parts.slice(0, -1).some((p) => p.size < MIN_PART_SIZE)) {
        throw badRequest('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
      }
      const etag = multipartEtag(parts.map((p) => Buffer.from(bare(p.etag), 'hex')));
      const record: ObjectRecord = {
        key: upload.key,
        size: parts.reduce((n, p) => n + p.size, 0),
        etag,
        lastModified: world.now().toISOString(),
        ...joinContent(parts),
        ...(upload.contentType !== undefined && { contentType: upload.contentType }),
        ...(upload.metadata !== undefined && { metadata: upload.metadata }),
      };
      bucket.objects = [...bucket.objects.filter((o) => o.key !== upload.key), record];
      state.multipartUploads = state.multipartUploads.filter((u) => u !== upload);
      await world.persist();
      const path = upload.key.split('/').map(encodeURIComponent).join('/');
      return {
        $metadata: okMetadata(),
        Location: `https://${bucket.name}.s3.${bucket.region}.amazonaws.com/${path}`,
        Bucket: bucket.name,
        Key: upload.key,
        ETag: etag,
      };
    },

    async abortMultipartUpload(input: AbortMultipartUploadCommandInput): Promise<AbortMultipartUploadCommandOutput> {
      rejectUnsupported('S3 AbortMultipartUpload', input, ['Bucket', 'Key', 'UploadId']);
      const bucket = bucketOf(input.Bucket);
      const upload = uploadOf(bucket.name, input.Key, input.UploadId);
      state.multipartUploads = state.multipartUploads.filter((u) => u !== upload);
      await world.persist();
      return { $metadata: okMetadata(204) };
    },
  };
}
