import type {
  _Object,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  CommonPrefix,
  DeleteObjectsCommandInput,
  DeleteObjectsCommandOutput,
  HeadBucketCommandInput,
  HeadBucketCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import type { S3Api } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { decodeToken, encodeToken, requestFingerprint } from './paging.js';
import { lifecycleOps } from './s3-lifecycle.js';
import { headNotFound, noSuchBucket } from './s3-common.js';
import { copyOps } from './s3-copy.js';
import { multipartOps } from './s3-multipart.js';
import { objectOps } from './s3-objects.js';
import { uploadOps } from './s3-upload.js';
import type { BucketRecord, ObjectRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// S3 over the sandbox state: keys in UTF-8 byte order, CommonPrefixes that count once
// toward MaxKeys, continuation tokens bound to Bucket/Prefix/Delimiter. Single-object
// put/get/delete live in s3-objects.ts, uploads in s3-upload.ts, server-side copies in
// s3-copy.ts and s3-multipart.ts.

/** S3 orders keys by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface ListCursor {
  /** The last key consumed. */
  k: string;
  /** The last CommonPrefix returned, when the page ended on one. */
  p?: string;
}

const LIST_PARAMS = ['Bucket', 'Prefix', 'Delimiter', 'MaxKeys', 'ContinuationToken', 'StartAfter'] as const;

export function createS3(world: SandboxWorld): S3Api {
  const bucketOf = (name: string | undefined): BucketRecord | undefined => world.state.buckets.find((b) => b.name === name);

  return {
    ...uploadOps(world),
    ...objectOps(world),
    ...lifecycleOps(world),
    ...copyOps(world),
    ...multipartOps(world),

    async headBucket(input: HeadBucketCommandInput): Promise<HeadBucketCommandOutput> {
      rejectUnsupported('S3 HeadBucket', input, ['Bucket']);
      const bucket = bucketOf(input.Bucket);
      if (!bucket) throw headNotFound();
      return { $metadata: okMetadata(), BucketRegion: bucket.region };
    },

    async headObject(input: HeadObjectCommandInput): Promise<HeadObjectCommandOutput> {
      rejectUnsupported('S3 HeadObject', input, ['Bucket', 'Key']);
      const object = bucketOf(input.Bucket)?.objects.find((o) => o.key === input.Key);
      // A missing bucket and a missing key look the same to HEAD: 404, no body.
      if (!object) throw headNotFound();
      return {
        $metadata: okMetadata(),
        AcceptRanges: 'bytes',
        LastModified: new Date(object.lastModified),
        ContentLength: object.size,
        ETag: object.etag,
        // What S3 answers for an object stored without a Content-Type (a multipart upload's).
        ContentType: object.contentType ?? 'binary/octet-stream',
        Metadata: { ...object.metadata },
      };
    },

    async listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput> {
      const op = 'S3 ListObjectsV2';
      rejectUnsupported(op, input, LIST_PARAMS);
      const bucket = bucketOf(input.Bucket);
      if (!bucket) throw noSuchBucket(input.Bucket);
      if (input.MaxKeys !== undefined && (!Number.isInteger(input.MaxKeys) || input.MaxKeys < 0)) {
        throw awsError('InvalidArgument', 'Argument maxKeys must be an integer between 0 and 2147483647', 400, { Code: 'InvalidArgument' });
      }
      const maxKeys = Math.min(input.MaxKeys ?? 1000, 1000);
      const prefix = input.Prefix ?? '';
      const delimiter = input.Delimiter || undefined;
      const fp = requestFingerprint({ Bucket: input.Bucket, Prefix: input.Prefix, Delimiter: input.Delimiter }, []);
      let cursor: ListCursor | undefined;
      if (input.ContinuationToken !== undefined) {
        cursor = decodeToken<ListCursor>(op, fp, input.ContinuationToken);
        if (!cursor || typeof cursor.k !== 'string') {
          throw awsError('InvalidArgument', 'The continuation token provided is incorrect', 400, { Code: 'InvalidArgument' });
        }
      }
      const startAfter = cursor ? cursor.k : input.StartAfter;

      const contents: _Object[] = [];
      const prefixes: CommonPrefix[] = [];
      let count = 0;
      let truncated = false;
      let last: ListCursor | undefined;
      const sorted = [...bucket.objects].sort((a, b) => compareKeys(a.key, b.key));
      for (const obj of sorted) {
        if (!obj.key.startsWith(prefix)) continue;
        if (startAfter !== undefined && compareKeys(obj.key, startAfter) <= 0) continue;
        if (cursor?.p !== undefined && obj.key.startsWith(cursor.p)) continue;
        let common: string | undefined;
        if (delimiter !== undefined) {
          const at = obj.key.indexOf(delimiter, prefix.length);
          if (at >= 0) common = obj.key.slice(0, at + delimiter.length);
        }
        if (common !== undefined && common === last?.p) continue; // same group, already returned
        if (count >= maxKeys) {
          truncated = maxKeys > 0;
          break;
        }
        if (common !== undefined) prefixes.push({ Prefix: common });
        else contents.push(toObject(obj));
        last = common !== undefined ? { k: obj.key, p: common } : { k: obj.key };
        count++;
      }
      return {
        $metadata: okMetadata(),
        Name: bucket.name,
        Prefix: prefix,
        ...(input.Delimiter !== undefined && { Delimiter: input.Delimiter }),
        MaxKeys: maxKeys,
        KeyCount: count,
        IsTruncated: truncated,
        ...(input.ContinuationToken !== undefined && { ContinuationToken: input.ContinuationToken }),
        ...(truncated && last && { NextContinuationToken: encodeToken(op, fp, last) }),
        ...(input.StartAfter !== undefined && { StartAfter: input.StartAfter }),
        ...(contents.length > 0 && { Contents: contents }),
        ...(prefixes.length > 0 && { CommonPrefixes: prefixes }),
      };
    },

    async deleteObjects(input: DeleteObjectsCommandInput): Promise<DeleteObjectsCommandOutput> {
      rejectUnsupported('S3 DeleteObjects', input, ['Bucket', 'Delete']);
      const bucket = bucketOf(input.Bucket);
      if (!bucket) throw noSuchBucket(input.Bucket);
      const del = input.Delete;
      if (del) rejectUnsupported('S3 DeleteObjects Delete', del, ['Objects', 'Quiet']);
      const objects = del?.Objects ?? [];
      if (objects.length === 0 || objects.length > 1000) {
        throw awsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400, {
          Code: 'MalformedXML',
        });
      }
      const deleted: { Key: string }[] = [];
      const errors: { Key: string; Code: string; Message: string }[] = [];
      for (const o of objects) {
        rejectUnsupported('S3 DeleteObjects object', o, ['Key']);
        const key = o.Key ?? '';
        const failure = bucket.deleteErrors?.[key];
        if (failure) {
          errors.push({ Key: key, Code: failure.code, Message: failure.message });
          continue;
        }
        bucket.objects = bucket.objects.filter((x) => x.key !== key);
        // A key that did not exist counts as deleted, as on S3.
        deleted.push({ Key: key });
      }
      await world.persist();
      return {
        $metadata: okMetadata(),
        // Quiet mode reports only the failures.
        ...(!del?.Quiet && deleted.length > 0 && { Deleted: deleted }),
        ...(errors.length > 0 && { Errors: errors }),
      };
    },
  };
}

function toObject(o: ObjectRecord): _Object {
  return { Key: o.key, LastModified: new Date(o.lastModified), ETag: o.etag, Size: o.size, StorageClass: 'STANDARD' };
}
