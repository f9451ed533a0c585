import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { expectAwsError, SEED_DIR } from './backends.js';

// S3 server-side copies, sandbox only: what S3 does and moto 5.2.1 does not (part
// order, unknown uploads, ranges and part numbers, CopySourceIfMatch, the 5 GiB copy
// limit; pinned as moto quirks in s3-copy.contract.test.ts), and how the sandbox keeps copied content
// (generated content stays a descriptor, size-only stays size-only).

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const BUCKET = 'claw-copy-test';
const md5hex = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

let home: string;
let sb: Sandbox;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-copy-'));
  sb = await openSandbox({ home, seedDir: SEED_DIR });
  await sb.admin.createBucket(BUCKET);
});
afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

const s3 = () => sb.clients.s3;
const record = (key: string) =>
  sb.admin
    .state()
    .buckets.find((b) => b.name === BUCKET)!
    .objects.find((o) => o.key === key)!;
const bytesOf = async (key: string) => Buffer.from(await (await s3().getObject({ Bucket: BUCKET, Key: key })).Body!.transformToByteArray());
const create = async (key = 'dst') => (await s3().createMultipartUpload({ Bucket: BUCKET, Key: key })).UploadId!;
const partCopy = (uploadId: string, PartNumber: number, source: string, range?: string, key = 'dst') =>
  s3().uploadPartCopy({
    Bucket: BUCKET,
    Key: key,
    UploadId: uploadId,
    PartNumber,
    CopySource: `${BUCKET}/${source}`,
    ...(range && { CopySourceRange: range }),
  });
const complete = (uploadId: string, parts: { PartNumber: number; ETag: string }[], key = 'dst') =>
  s3().completeMultipartUpload({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } });

describe('multipart copy: S3 checks moto does not make', () => {
  it('parts listed out of order are InvalidPartOrder', async () => {
    await sb.admin.putObject(BUCKET, 'src', { size: 11 * MIB, seed: 'order' });
    const id = await create();
    const a = await partCopy(id, 1, 'src', `bytes=0-${5 * MIB - 1}`);
    const b = await partCopy(id, 2, 'src', `bytes=${5 * MIB}-${11 * MIB - 1}`);
    const err = await expectAwsError(
      complete(id, [
        { PartNumber: 2, ETag: b.CopyPartResult!.ETag! },
        { PartNumber: 1, ETag: a.CopyPartResult!.ETag! },
      ]),
      'InvalidPartOrder',
      400,
    );
    expect(err.message).toBe('The list of parts was not in ascending order. Parts must be ordered by part number.');
  });

  it("an aborted, completed, unknown or other key's upload id is NoSuchUpload (404)", async () => {
    await sb.admin.putObject(BUCKET, 'src', 'data');
    const aborted = await create();
    await s3().abortMultipartUpload({ Bucket: BUCKET, Key: 'dst', UploadId: aborted });
    await expectAwsError(partCopy(aborted, 1, 'src'), 'NoSuchUpload', 404);
    await expectAwsError(complete(aborted, [{ PartNumber: 1, ETag: `"${md5hex(Buffer.from('data'))}"` }]), 'NoSuchUpload', 404);
    await expectAwsError(complete('no-such-upload', [{ PartNumber: 1, ETag: '"x"' }]), 'NoSuchUpload', 404);
    const other = await create('other');
    await expectAwsError(partCopy(other, 1, 'src'), 'NoSuchUpload', 404);
    const done = await create();
    const p = await partCopy(done, 1, 'src');
    await complete(done, [{ PartNumber: 1, ETag: p.CopyPartResult!.ETag! }]);
    await expectAwsError(complete(done, [{ PartNumber: 1, ETag: p.CopyPartResult!.ETag! }]), 'NoSuchUpload', 404);
  });

  it('ranges must be bytes=first-last inside the source, part numbers 1..10000 (InvalidArgument)', async () => {
    await sb.admin.putObject(BUCKET, 'src', 'data');
    const id = await create();
    for (const range of ['bytes=0-4', 'bytes=3-1', 'bytes=x', 'bytes=0-', '0-1']) await expectAwsError(partCopy(id, 1, 'src', range), 'InvalidArgument', 400);
    for (const n of [0, 10_001, 1.5]) await expectAwsError(partCopy(id, n, 'src'), 'InvalidArgument', 400);
    expect((await partCopy(id, 10_000, 'src', 'bytes=1-2')).CopyPartResult!.ETag).toBe(`"${md5hex(Buffer.from('at'))}"`);
  });

  it('a missing source is NoSuchKey / NoSuchBucket, as for CopyObject', async () => {
    const id = await create();
    await expectAwsError(partCopy(id, 1, 'nope'), 'NoSuchKey', 404);
    await expectAwsError(
      s3().uploadPartCopy({ Bucket: BUCKET, Key: 'dst', UploadId: id, PartNumber: 1, CopySource: 'claw-no-such-bucket/k' }),
      'NoSuchBucket',
      404,
    );
  });

  it('a source over 5 GiB cannot be copied in one request; in parts it can (size-only stays size-only)', async () => {
    await sb.admin.putObject(BUCKET, 'disk.raw', { size: 6 * GIB });
    const err = await expectAwsError(s3().copyObject({ Bucket: BUCKET, Key: 'copy.raw', CopySource: `${BUCKET}/disk.raw` }), 'InvalidRequest', 400);
    expect(err.message).toBe('The specified copy source is larger than the maximum allowable size for a copy source: 5368709120');
    const id = await create('copy.raw');
    const a = await partCopy(id, 1, 'disk.raw', `bytes=0-${3 * GIB - 1}`, 'copy.raw');
    const b = await partCopy(id, 2, 'disk.raw', `bytes=${3 * GIB}-${6 * GIB - 1}`, 'copy.raw');
    const done = await complete(
      id,
      [
        { PartNumber: 1, ETag: a.CopyPartResult!.ETag! },
        { PartNumber: 2, ETag: b.CopyPartResult!.ETag! },
      ],
      'copy.raw',
    );
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(record('copy.raw')).toMatchObject({ size: 6 * GIB });
    expect(record('copy.raw')).not.toHaveProperty('bodyBase64');
    expect(record('copy.raw')).not.toHaveProperty('generated');
    await expect(s3().getObject({ Bucket: BUCKET, Key: 'copy.raw' })).rejects.toBeInstanceOf(SandboxUnsupportedError);
  });
});

describe('copies of generated and size-only content', () => {
  it('a copy of generated content is the same descriptor: readable, same bytes, nothing stored', async () => {
    await sb.admin.putObject(BUCKET, 'latest/openclaw.sqlite', { size: 300_000, seed: 'db' });
    const source = await bytesOf('latest/openclaw.sqlite');
    expect(`"${md5hex(source)}"`).toBe(record('latest/openclaw.sqlite').etag);
    await s3().copyObject({ Bucket: BUCKET, Key: 'snap/openclaw.sqlite', CopySource: `${BUCKET}/latest/openclaw.sqlite` });
    expect(record('snap/openclaw.sqlite')).toMatchObject({ generated: { seed: 'db' }, etag: record('latest/openclaw.sqlite').etag });
    expect(record('snap/openclaw.sqlite')).not.toHaveProperty('bodyBase64');
    expect(await bytesOf('snap/openclaw.sqlite')).toEqual(source);
  });

  it("a multipart copy of generated content keeps it generated, from the first range's offset", async () => {
    await sb.admin.putObject(BUCKET, 'big', { size: 12 * MIB, seed: 'workspace' });
    const whole = await bytesOf('big');
    const id = await create('tail');
    const a = await partCopy(id, 1, 'big', `bytes=${MIB}-${6 * MIB - 1}`, 'tail');
    const b = await partCopy(id, 2, 'big', `bytes=${6 * MIB}-${12 * MIB - 1}`, 'tail');
    expect(a.CopyPartResult!.ETag).toBe(`"${md5hex(whole.subarray(MIB, 6 * MIB))}"`);
    await complete(
      id,
      [
        { PartNumber: 1, ETag: a.CopyPartResult!.ETag! },
        { PartNumber: 2, ETag: b.CopyPartResult!.ETag! },
      ],
      'tail',
    );
    expect(record('tail').generated).toEqual({ seed: 'workspace', offset: MIB });
    expect(await bytesOf('tail')).toEqual(whole.subarray(MIB));
    // Nothing of the 23 MiB written is in the state file.
    expect((await stat(sb.statePath)).size).toBeLessThan(200_000);
  });

  it('parts that do not continue one stream are joined into a body', async () => {
    await sb.admin.putObject(BUCKET, 'g', { size: 6 * MIB, seed: 'g' });
    await sb.admin.putObject(BUCKET, 'b', 'tail');
    const id = await create();
    const a = await partCopy(id, 1, 'g', `bytes=0-${5 * MIB - 1}`);
    const b = await partCopy(id, 2, 'b');
    await complete(id, [
      { PartNumber: 1, ETag: a.CopyPartResult!.ETag! },
      { PartNumber: 2, ETag: b.CopyPartResult!.ETag! },
    ]);
    expect(await bytesOf('dst')).toEqual(Buffer.concat([(await bytesOf('g')).subarray(0, 5 * MIB), Buffer.from('tail')]));
  });

  it('a size-only multipart source copies size-only, with a plain ETag that every copy of it shares', async () => {
    await sb.admin.putObject(BUCKET, 'repo-seeds.tar.zst', { size: 20 * MIB });
    expect(record('repo-seeds.tar.zst').etag).toMatch(/-3"$/);
    const one = await s3().copyObject({ Bucket: BUCKET, Key: 'one', CopySource: `${BUCKET}/repo-seeds.tar.zst` });
    const two = await s3().copyObject({ Bucket: BUCKET, Key: 'two', CopySource: `${BUCKET}/repo-seeds.tar.zst` });
    expect(one.CopyObjectResult!.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(two.CopyObjectResult!.ETag).toBe(one.CopyObjectResult!.ETag);
    await expect(s3().getObject({ Bucket: BUCKET, Key: 'one' })).rejects.toThrow(/keeps only this object's size/);
  });

  it('an upload in progress is kept in the state file: it completes after a reopen', async () => {
    await sb.admin.putObject(BUCKET, 'src', 'persisted');
    const id = await create();
    const p = await partCopy(id, 1, 'src');
    const again = await openSandbox({ home, seedDir: SEED_DIR });
    await again.clients.s3.completeMultipartUpload({
      Bucket: BUCKET,
      Key: 'dst',
      UploadId: id,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.CopyPartResult!.ETag! }] },
    });
    expect(await (await again.clients.s3.getObject({ Bucket: BUCKET, Key: 'dst' })).Body!.transformToString()).toBe('persisted');
    expect(again.admin.state().multipartUploads).toEqual([]);
  });
});

describe('conditions and ranges', () => {
  it('CopySourceIfMatch: another ETag is PreconditionFailed (412) for CopyObject and UploadPartCopy; the current one copies', async () => {
    await sb.admin.putObject(BUCKET, 'src', 'now');
    const stale = `"${md5hex(Buffer.from('before'))}"`;
    const current = record('src').etag;
    await expectAwsError(s3().copyObject({ Bucket: BUCKET, Key: 'dst', CopySource: `${BUCKET}/src`, CopySourceIfMatch: stale }), 'PreconditionFailed', 412);
    const id = await create();
    await expectAwsError(
      s3().uploadPartCopy({ Bucket: BUCKET, Key: 'dst', UploadId: id, PartNumber: 1, CopySource: `${BUCKET}/src`, CopySourceIfMatch: stale }),
      'PreconditionFailed',
      412,
    );
    await s3().uploadPartCopy({ Bucket: BUCKET, Key: 'dst', UploadId: id, PartNumber: 1, CopySource: `${BUCKET}/src`, CopySourceIfMatch: current });
    await s3().copyObject({ Bucket: BUCKET, Key: 'dst', CopySource: `${BUCKET}/src`, CopySourceIfMatch: current.replace(/"/g, '') });
    expect((await bytesOf('dst')).toString()).toBe('now');
  });

  it('a range of generated content is computed for that range alone; a size-only object has no range to give', async () => {
    await sb.admin.putObject(BUCKET, 'big', { size: 3 * GIB, seed: 'huge' });
    await sb.admin.putObject(BUCKET, 'small', { size: 100, seed: 'huge' });
    const out = await s3().getObject({ Bucket: BUCKET, Key: 'big', Range: 'bytes=17-49' });
    expect(out.ContentRange).toBe(`bytes 17-49/${3 * GIB}`);
    expect(Buffer.from(await out.Body!.transformToByteArray())).toEqual((await bytesOf('small')).subarray(17, 50));
    await sb.admin.putObject(BUCKET, 'sized', { size: 10 });
    await expect(s3().getObject({ Bucket: BUCKET, Key: 'sized', Range: 'bytes=0-0' })).rejects.toBeInstanceOf(SandboxUnsupportedError);
  });
});

describe('copy input the sandbox refuses', () => {
  it('a CopySource without a key, or an unknown MetadataDirective, is InvalidArgument', async () => {
    await sb.admin.putObject(BUCKET, 'src', 'x');
    for (const CopySource of [BUCKET, `${BUCKET}/`, '/src', '']) {
      await expectAwsError(s3().copyObject({ Bucket: BUCKET, Key: 'dst', CopySource }), 'InvalidArgument', 400);
    }
    await expectAwsError(
      s3().copyObject({ Bucket: BUCKET, Key: 'dst', CopySource: `${BUCKET}/src`, MetadataDirective: 'MERGE' as 'COPY' }),
      'InvalidArgument',
      400,
    );
  });

  it.each([
    [
      'CopyObject If-None-Match',
      () => s3().copyObject({ Bucket: BUCKET, Key: 'd', CopySource: `${BUCKET}/src`, CopySourceIfNoneMatch: '"x"' }),
      /"CopySourceIfNoneMatch"/,
    ],
    ['CopyObject from a version', () => s3().copyObject({ Bucket: BUCKET, Key: 'd', CopySource: `${BUCKET}/src?versionId=3` }), /versionId/],
    ['CreateMultipartUpload checksum', () => s3().createMultipartUpload({ Bucket: BUCKET, Key: 'd', ChecksumAlgorithm: 'SHA256' }), /"ChecksumAlgorithm"/],
    [
      'CompleteMultipartUpload part checksum',
      () =>
        s3().completeMultipartUpload({
          Bucket: BUCKET,
          Key: 'd',
          UploadId: 'u',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"', ChecksumSHA256: 'abc' }] },
        }),
      /"ChecksumSHA256"/,
    ],
  ] as const)('%s: SandboxUnsupportedError', async (_label, call, message) => {
    await sb.admin.putObject(BUCKET, 'src', 'x');
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnsupportedError);
    expect((err as Error).message).toMatch(message);
  });
});
