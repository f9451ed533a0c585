import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { expectAwsError, forEachBackend, motoEndpoint, openMotoBackend, unique, type Backend } from './backends.js';

// S3 server-side copies (CopyObject, and the multipart copy: CreateMultipartUpload,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, with the ranged GetObject
// that probes the source), the same tests against the sandbox and against moto through
// claw's SDK clients. Where moto 5.2.1 does not do what S3 does (part order, unknown
// uploads, ranges, part numbers, CopySourceIfMatch), the S3 behaviour is
// tested on the sandbox in s3-copy-sandbox.contract.test.ts and moto's is pinned under
// "moto quirks" below.

const MIB = 1024 * 1024;
const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const etagOf = (b: Uint8Array) => `"${md5hex(b)}"`;
/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, -<parts>. */
const multipartEtagOf = (parts: Uint8Array[]) =>
  `"${createHash('md5')
    .update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))
    .digest('hex')}-${parts.length}"`;

async function bucketOf(b: Backend): Promise<string> {
  const bucket = unique('claw-cp');
  await b.seed.createBucket(bucket);
  return bucket;
}

const bytesOf = async (s3: S3Api, Bucket: string, Key: string) => Buffer.from(await (await s3.getObject({ Bucket, Key })).Body!.transformToByteArray());

/** A multipart copy of `source` in the given inclusive ranges; returns the part ETags. */
async function copyInParts(
  s3: S3Api,
  bucket: string,
  key: string,
  source: string,
  ranges: [number, number][],
  create: { ContentType?: string; Metadata?: Record<string, string> } = {},
) {
  const { UploadId } = await s3.createMultipartUpload({ Bucket: bucket, Key: key, ...create });
  const etags: string[] = [];
  for (const [i, [a, z]] of ranges.entries()) {
    const out = await s3.uploadPartCopy({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, CopySource: source, CopySourceRange: `bytes=${a}-${z}` });
    etags.push(out.CopyPartResult!.ETag!);
  }
  return { uploadId: UploadId!, etags };
}

forEachBackend('S3 copyObject', (backend) => {
  it('copies bytes, ETag, content type and metadata (MetadataDirective COPY, the default); LastModified is now', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putObject({
      Bucket: bucket,
      Key: 'latest/db.sqlite',
      Body: 'rows',
      ContentType: 'application/x-sqlite3',
      Metadata: { 'Src-Sha': 'abc' },
    });
    const before = Date.now();
    const out = await b.clients.s3.copyObject({ Bucket: bucket, Key: 'snapshots/2026-03-06-12-00/db.sqlite', CopySource: `${bucket}/latest/db.sqlite` });
    expect(out.CopyObjectResult?.ETag).toBe(etagOf(Buffer.from('rows')));
    expect(Math.abs(out.CopyObjectResult!.LastModified!.getTime() - before)).toBeLessThan(60_000);
    const head = await b.clients.s3.headObject({ Bucket: bucket, Key: 'snapshots/2026-03-06-12-00/db.sqlite' });
    expect(head).toMatchObject({ ContentLength: 4, ETag: etagOf(Buffer.from('rows')), ContentType: 'application/x-sqlite3', Metadata: { 'src-sha': 'abc' } });
    expect((await bytesOf(b.clients.s3, bucket, 'snapshots/2026-03-06-12-00/db.sqlite')).toString()).toBe('rows');
  });

  it("COPY ignores the request's type and metadata; REPLACE takes them (no type: binary/octet-stream)", async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'src', Body: 'x', ContentType: 'text/plain', Metadata: { a: '1' } });
    await b.clients.s3.copyObject({ Bucket: bucket, Key: 'kept', CopySource: `${bucket}/src`, ContentType: 'text/html', Metadata: { z: '9' } });
    expect(await b.clients.s3.headObject({ Bucket: bucket, Key: 'kept' })).toMatchObject({ ContentType: 'text/plain', Metadata: { a: '1' } });
    await b.clients.s3.copyObject({
      Bucket: bucket,
      Key: 'typed',
      CopySource: `${bucket}/src`,
      MetadataDirective: 'REPLACE',
      ContentType: 'text/html',
      Metadata: { 'New-Key': 'v' },
    });
    const typed = await b.clients.s3.headObject({ Bucket: bucket, Key: 'typed' });
    expect([typed.ContentType, typed.Metadata]).toEqual(['text/html', { 'new-key': 'v' }]);
    await b.clients.s3.copyObject({ Bucket: bucket, Key: 'bare', CopySource: `${bucket}/src`, MetadataDirective: 'REPLACE' });
    const bare = await b.clients.s3.headObject({ Bucket: bucket, Key: 'bare' });
    expect([bare.ContentType, bare.Metadata]).toEqual(['binary/octet-stream', {}]);
  });

  it('copying an object onto itself is InvalidRequest unless the metadata is replaced', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'v', Metadata: { a: '1' } });
    const err = await expectAwsError(b.clients.s3.copyObject({ Bucket: bucket, Key: 'k', CopySource: `${bucket}/k` }), 'InvalidRequest', 400);
    expect(err.message).toMatch(/^This copy request is illegal because it is trying to copy an object to itself/);
    await b.clients.s3.copyObject({ Bucket: bucket, Key: 'k', CopySource: `${bucket}/k`, MetadataDirective: 'REPLACE', Metadata: { b: '2' } });
    expect((await b.clients.s3.headObject({ Bucket: bucket, Key: 'k' })).Metadata).toEqual({ b: '2' });
  });

  it('a missing source key is NoSuchKey; a missing source or destination bucket NoSuchBucket (404 all)', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'src', Body: 'x' });
    await expectAwsError(b.clients.s3.copyObject({ Bucket: bucket, Key: 'dst', CopySource: `${bucket}/nope` }), 'NoSuchKey', 404);
    await expectAwsError(b.clients.s3.copyObject({ Bucket: bucket, Key: 'dst', CopySource: `${unique('claw-missing')}/src` }), 'NoSuchBucket', 404);
    await expectAwsError(b.clients.s3.copyObject({ Bucket: unique('claw-missing'), Key: 'dst', CopySource: `${bucket}/src` }), 'NoSuchBucket', 404);
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket })).Contents?.map((o) => o.Key)).toEqual(['src']);
  });

  it('CopySource is URI-encoded and may start with a slash', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const key = 'latest/config dir/ünï+code & more.json';
    await b.clients.s3.putObject({ Bucket: bucket, Key: key, Body: '{}' });
    const source = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    await b.clients.s3.copyObject({ Bucket: bucket, Key: 'copy.json', CopySource: source });
    expect((await bytesOf(b.clients.s3, bucket, 'copy.json')).toString()).toBe('{}');
  });

  it("a copy of a multipart object gets the MD5 of its content as ETag, not the source's", async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = randomBytes(6 * MIB);
    await b.seed.putObject(bucket, 'src', body);
    const parts = [body.subarray(0, 5 * MIB), body.subarray(5 * MIB)];
    const { uploadId, etags } = await copyInParts(b.clients.s3, bucket, 'multi', `${bucket}/src`, [
      [0, 5 * MIB - 1],
      [5 * MIB, 6 * MIB - 1],
    ]);
    await b.clients.s3.completeMultipartUpload({
      Bucket: bucket,
      Key: 'multi',
      UploadId: uploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
    });
    expect((await b.clients.s3.headObject({ Bucket: bucket, Key: 'multi' })).ETag).toBe(multipartEtagOf(parts));
    const out = await b.clients.s3.copyObject({ Bucket: bucket, Key: 'single', CopySource: `${bucket}/multi` });
    expect(out.CopyObjectResult?.ETag).toBe(etagOf(body));
  });
});

forEachBackend('S3 multipart copy', (backend) => {
  it('parts copy byte ranges (ETag: their MD5); the object gets the multipart ETag, the bytes, and the upload type and metadata', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = randomBytes(11 * MIB + 123);
    await b.seed.putObject(bucket, 'big.tar.zst', body);
    const ranges: [number, number][] = [
      [0, 5 * MIB - 1],
      [5 * MIB, 10 * MIB - 1],
      [10 * MIB, body.length - 1],
    ];
    const parts = ranges.map(([a, z]) => body.subarray(a, z + 1));
    const { uploadId, etags } = await copyInParts(b.clients.s3, bucket, 'snap/big.tar.zst', `${bucket}/big.tar.zst`, ranges, {
      ContentType: 'application/zstd',
      Metadata: { 'Claw-Sync': 'yes' },
    });
    expect(etags).toEqual(parts.map(etagOf));
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket, Prefix: 'snap/' })).KeyCount).toBe(0); // nothing until complete
    const done = await b.clients.s3.completeMultipartUpload({
      Bucket: bucket,
      Key: 'snap/big.tar.zst',
      UploadId: uploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
    });
    expect(done).toMatchObject({ Bucket: bucket, Key: 'snap/big.tar.zst', ETag: multipartEtagOf(parts) });
    const head = await b.clients.s3.headObject({ Bucket: bucket, Key: 'snap/big.tar.zst' });
    expect(head).toMatchObject({ ContentLength: body.length, ETag: multipartEtagOf(parts), ContentType: 'application/zstd', Metadata: { 'claw-sync': 'yes' } });
    expect(md5hex(await bytesOf(b.clients.s3, bucket, 'snap/big.tar.zst'))).toBe(md5hex(body));
  });

  it('a part without a range copies the whole source; part numbers may skip', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = randomBytes(5 * MIB + 10);
    await b.seed.putObject(bucket, 'a', body);
    await b.seed.putObject(bucket, 'b', 'tail');
    const { UploadId } = await b.clients.s3.createMultipartUpload({ Bucket: bucket, Key: 'ab' });
    const one = await b.clients.s3.uploadPartCopy({ Bucket: bucket, Key: 'ab', UploadId, PartNumber: 1, CopySource: `${bucket}/a` });
    const three = await b.clients.s3.uploadPartCopy({ Bucket: bucket, Key: 'ab', UploadId, PartNumber: 3, CopySource: `${bucket}/b` });
    expect(one.CopyPartResult?.ETag).toBe(etagOf(body));
    await b.clients.s3.completeMultipartUpload({
      Bucket: bucket,
      Key: 'ab',
      UploadId,
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: one.CopyPartResult!.ETag },
          { PartNumber: 3, ETag: three.CopyPartResult!.ETag },
        ],
      },
    });
    expect(await bytesOf(b.clients.s3, bucket, 'ab')).toEqual(Buffer.concat([body, Buffer.from('tail')]));
    // Without a ContentType on the upload, S3's default.
    expect((await b.clients.s3.headObject({ Bucket: bucket, Key: 'ab' })).ContentType).toBe('binary/octet-stream');
  });

  it('completing is refused for a wrong ETag or a part never sent (InvalidPart), a small non-last part (EntityTooSmall), no parts (MalformedXML)', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = randomBytes(6 * MIB);
    await b.seed.putObject(bucket, 'src', body);
    const { uploadId, etags } = await copyInParts(b.clients.s3, bucket, 'dst', `${bucket}/src`, [
      [0, MIB - 1],
      [MIB, 6 * MIB - 1],
    ]);
    const complete = (Parts: { PartNumber: number; ETag: string }[]) =>
      b.clients.s3.completeMultipartUpload({ Bucket: bucket, Key: 'dst', UploadId: uploadId, MultipartUpload: { Parts } });
    await expectAwsError(
      complete([
        { PartNumber: 1, ETag: etags[0]! },
        { PartNumber: 2, ETag: etagOf(Buffer.from('other')) },
      ]),
      'InvalidPart',
      400,
    );
    await expectAwsError(
      complete([
        { PartNumber: 1, ETag: etags[0]! },
        { PartNumber: 3, ETag: etags[1]! },
      ]),
      'InvalidPart',
      400,
    );
    await expectAwsError(
      complete([
        { PartNumber: 1, ETag: etags[0]! },
        { PartNumber: 2, ETag: etags[1]! },
      ]),
      'EntityTooSmall',
      400,
    );
    await expectAwsError(complete([]), 'MalformedXML', 400);
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket })).Contents?.map((o) => o.Key)).toEqual(['src']);
    // A small last part is fine: the upload of part 2 alone completes.
    await complete([{ PartNumber: 2, ETag: etags[1]! }]);
    expect(md5hex(await bytesOf(b.clients.s3, bucket, 'dst'))).toBe(md5hex(body.subarray(MIB)));
  });

  it('abort drops the upload: nothing is written, and a second abort is NoSuchUpload (404)', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.seed.putObject(bucket, 'src', 'data');
    const { uploadId } = await copyInParts(b.clients.s3, bucket, 'dst', `${bucket}/src`, [[0, 3]]);
    expect((await b.clients.s3.abortMultipartUpload({ Bucket: bucket, Key: 'dst', UploadId: uploadId })).$metadata.httpStatusCode).toBe(204);
    await expectAwsError(b.clients.s3.abortMultipartUpload({ Bucket: bucket, Key: 'dst', UploadId: uploadId }), 'NoSuchUpload', 404);
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket })).Contents?.map((o) => o.Key)).toEqual(['src']);
  });
});

forEachBackend('S3 getObject Range (the probe of a multipart copy)', (backend) => {
  it("answers one range with 206, Content-Range, its bytes, and the whole object's ETag, type and metadata", async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'hello world', ContentType: 'text/plain', Metadata: { a: '1' } });
    const get = async (Range: string) => {
      const out = await b.clients.s3.getObject({ Bucket: bucket, Key: 'k', Range });
      return [out.$metadata.httpStatusCode, out.ContentRange, out.ContentLength, await out.Body!.transformToString()];
    };
    expect(await get('bytes=0-0')).toEqual([206, 'bytes 0-0/11', 1, 'h']);
    expect(await get('bytes=6-')).toEqual([206, 'bytes 6-10/11', 5, 'world']);
    expect(await get('bytes=-5')).toEqual([206, 'bytes 6-10/11', 5, 'world']);
    expect(await get('bytes=3-100')).toEqual([206, 'bytes 3-10/11', 8, 'lo world']);
    const probe = await b.clients.s3.getObject({ Bucket: bucket, Key: 'k', Range: 'bytes=0-0' });
    expect(probe).toMatchObject({ ETag: etagOf(Buffer.from('hello world')), ContentType: 'text/plain', Metadata: { a: '1' } });
  });

  it('a range past the end is InvalidRange (416); a header S3 cannot use is ignored (the whole object, 200)', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'hello world' });
    const err = (await b.clients.s3.getObject({ Bucket: bucket, Key: 'k', Range: 'bytes=20-30' }).catch((e: unknown) => e)) as Error & {
      $metadata?: { httpStatusCode?: number };
    };
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['InvalidRange', 416]);
    for (const Range of ['bytes=x', 'bytes=0-1,3-4']) {
      const out = await b.clients.s3.getObject({ Bucket: bucket, Key: 'k', Range });
      expect([out.$metadata.httpStatusCode, out.ContentRange, await out.Body!.transformToString()]).toEqual([200, undefined, 'hello world']);
    }
  });
});

describe.skipIf(!motoEndpoint().endpoint)('S3 copies: moto quirks (documentation of moto, not of claw)', () => {
  it('ignores CopySourceIfMatch (S3: PreconditionFailed 412 on another ETag)', async () => {
    const b = openMotoBackend(motoEndpoint().endpoint!);
    const bucket = await bucketOf(b);
    await b.seed.putObject(bucket, 'src', 'data');
    const stale = etagOf(Buffer.from('older'));
    await b.clients.s3.copyObject({ Bucket: bucket, Key: 'dst', CopySource: `${bucket}/src`, CopySourceIfMatch: stale });
    const { UploadId } = await b.clients.s3.createMultipartUpload({ Bucket: bucket, Key: 'mp' });
    await b.clients.s3.uploadPartCopy({ Bucket: bucket, Key: 'mp', UploadId, PartNumber: 1, CopySource: `${bucket}/src`, CopySourceIfMatch: stale });
    await b.close();
  });

  it('completes parts listed out of order (S3: InvalidPartOrder)', async () => {
    const b = openMotoBackend(motoEndpoint().endpoint!);
    const bucket = await bucketOf(b);
    const body = randomBytes(10 * MIB + 1);
    await b.seed.putObject(bucket, 'src', body);
    const { uploadId, etags } = await copyInParts(b.clients.s3, bucket, 'dst', `${bucket}/src`, [
      [0, 5 * MIB - 1],
      [5 * MIB, 10 * MIB - 1],
      [10 * MIB, 10 * MIB],
    ]);
    const parts = [1, 0, 2].map((i) => ({ PartNumber: i + 1, ETag: etags[i]! }));
    const done = await b.clients.s3.completeMultipartUpload({ Bucket: bucket, Key: 'dst', UploadId: uploadId, MultipartUpload: { Parts: parts } });
    expect(done.ETag).toMatch(/-3"$/);
    await b.close();
  });

  it('answers an aborted upload with HTTP 500 (S3: NoSuchUpload), and takes any range and part number', async () => {
    const b = openMotoBackend(motoEndpoint().endpoint!);
    const bucket = await bucketOf(b);
    await b.seed.putObject(bucket, 'src', 'data');
    const { UploadId } = await b.clients.s3.createMultipartUpload({ Bucket: bucket, Key: 'dst' });
    const copy = (PartNumber: number, CopySourceRange: string) =>
      b.clients.s3.uploadPartCopy({ Bucket: bucket, Key: 'dst', UploadId, PartNumber, CopySource: `${bucket}/src`, CopySourceRange });
    await copy(10_001, 'bytes=0-99');
    await copy(1, 'bytes=3-1');
    await b.clients.s3.abortMultipartUpload({ Bucket: bucket, Key: 'dst', UploadId });
    const err = (await b.clients.s3
      .completeMultipartUpload({ Bucket: bucket, Key: 'dst', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etagOf(Buffer.from('d')) }] } })
      .catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
    expect(err.$metadata?.httpStatusCode).toBe(500);
    await b.close();
  });

  it('UploadPartCopy from a missing key is a bodiless 404, NotFound to the SDK (S3: NoSuchKey)', async () => {
    const b = openMotoBackend(motoEndpoint().endpoint!);
    const bucket = await bucketOf(b);
    const { UploadId } = await b.clients.s3.createMultipartUpload({ Bucket: bucket, Key: 'dst' });
    const err = (await b.clients.s3
      .uploadPartCopy({ Bucket: bucket, Key: 'dst', UploadId, PartNumber: 1, CopySource: `${bucket}/nope` })
      .catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
    await b.close();
  });
});
