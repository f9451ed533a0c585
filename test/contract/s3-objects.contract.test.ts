import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { expectAwsError, forEachBackend, motoEndpoint, openMotoBackend, openSandboxBackend, unique, type Backend } from './backends.js';

// The S3 contract for image uploads and the images bucket's lifecycle (HeadObject, the
// high-level multipart upload, Get/PutBucketLifecycleConfiguration): the same tests
// against the sandbox and against moto through claw's SDK clients, so the moto half
// runs @aws-sdk/lib-storage for real (multipart above one 16 MiB part).

const MIB = 1024 * 1024;
const PART = 16 * MIB; // the part size src/aws/sdk-clients.ts gives lib-storage

const md5 = (body: Uint8Array) => createHash('md5').update(body).digest();
const plainEtag = (body: Uint8Array) => `"${md5(body).toString('hex')}"`;

/** S3's ETag for a multipart upload in `part`-sized parts: MD5 of the part MD5s, -<parts>. */
function multipartEtag(body: Uint8Array, part = PART): string {
  const digests: Buffer[] = [];
  for (let at = 0; at < body.length; at += part) digests.push(md5(body.subarray(at, at + part)));
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}"`;
}

/** Deterministic bytes that differ from part to part (so a reordered part changes the ETag). */
function bodyOf(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) out.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return out;
}

async function bucketOf(b: Backend): Promise<string> {
  const bucket = unique('claw-ct');
  await b.seed.createBucket(bucket);
  return bucket;
}

/** The rules `claw ami lifecycle --apply` writes. */
const CLAW_RULES: LifecycleRule[] = [
  { ID: 'claw-expire-images', Status: 'Enabled', Filter: { Prefix: 'clawdinator-nixos-' }, Expiration: { Days: 30 } },
  { ID: 'claw-expire-noncurrent', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
  { ID: 'claw-abort-multipart', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
];

forEachBackend('S3 headObject', (backend) => {
  it('answers size, ETag, LastModified, the content type the SDK sent and lower-cased metadata', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = bodyOf(3000);
    const before = Date.now();
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'img.raw', Body: body, Metadata: { 'Image-Sha256': 'abc123' } });
    const head = await b.clients.s3.headObject({ Bucket: bucket, Key: 'img.raw' });
    // Without ContentType the SDK sends application/octet-stream with the body.
    expect(head).toMatchObject({ ContentLength: 3000, ETag: plainEtag(body), ContentType: 'application/octet-stream', Metadata: { 'image-sha256': 'abc123' } });
    expect(head.LastModified).toBeInstanceOf(Date);
    expect(Math.abs(head.LastModified!.getTime() - before)).toBeLessThan(60_000);
  });

  it('a missing key and a missing bucket are both NotFound 404 (HEAD has no error body)', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await expectAwsError(b.clients.s3.headObject({ Bucket: bucket, Key: 'nope' }), 'NotFound', 404);
    await expectAwsError(b.clients.s3.headObject({ Bucket: unique('claw-missing'), Key: 'nope' }), 'NotFound', 404);
  });
});

forEachBackend('S3 upload (lib-storage on moto)', (backend) => {
  it('a body within one part is a single PutObject: plain MD5 ETag, one progress call with the total', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = bodyOf(6 * MIB);
    const progress: [number, number | undefined][] = [];
    const out = await b.clients.s3.upload({
      Bucket: bucket,
      Key: 'small.raw',
      Body: body,
      Metadata: { sha256: 'x' },
      onProgress: (l, t) => progress.push([l, t]),
    });
    expect(out.ETag).toBe(plainEtag(body));
    expect(progress).toEqual([[body.length, body.length]]);
    const head = await b.clients.s3.headObject({ Bucket: bucket, Key: 'small.raw' });
    expect(head).toMatchObject({ ContentLength: body.length, ETag: plainEtag(body), Metadata: { sha256: 'x' }, ContentType: 'application/octet-stream' });
  });

  it('a larger byte array goes up in 16 MiB parts: multipart ETag, progress per part up to the known total', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = bodyOf(2 * PART + 3 * MIB, 7);
    const progress: [number, number | undefined][] = [];
    const out = await b.clients.s3.upload({
      Bucket: bucket,
      Key: 'big.raw',
      Body: body,
      Metadata: { Sha256: 'y' },
      onProgress: (l, t) => progress.push([l, t]),
    });
    expect(out.ETag).toBe(multipartEtag(body));
    expect(out.ETag).toMatch(/-3"$/);
    // Parts complete in any order (4 at a time), but the running total only grows.
    expect(progress).toHaveLength(3);
    expect(progress.every(([, t]) => t === body.length)).toBe(true);
    const loaded = progress.map(([l]) => l);
    expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
    expect(loaded.at(-1)).toBe(body.length);
    const head = await b.clients.s3.headObject({ Bucket: bucket, Key: 'big.raw' });
    // CreateMultipartUpload carries no type: S3's default shows.
    expect(head).toMatchObject({ ContentLength: body.length, ETag: multipartEtag(body), Metadata: { sha256: 'y' }, ContentType: 'binary/octet-stream' });
  });

  it("a stream of unknown length: progress without a total; a file stream: the file's size as total", async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const body = bodyOf(PART + 5 * MIB, 3);
    const chunks = Array.from({ length: Math.ceil(body.length / MIB) }, (_, n) => body.subarray(n * MIB, (n + 1) * MIB));
    const progress: [number, number | undefined][] = [];
    const out = await b.clients.s3.upload({ Bucket: bucket, Key: 'stream.raw', Body: Readable.from(chunks), onProgress: (l, t) => progress.push([l, t]) });
    expect(out.ETag).toBe(multipartEtag(body));
    expect(progress.map(([, t]) => t)).toEqual([undefined, undefined]);
    expect(progress.at(-1)![0]).toBe(body.length);

    const dir = await mkdtemp(join(tmpdir(), 'claw-upload-'));
    const file = join(dir, 'image.raw');
    await writeFile(file, body);
    const fileProgress: (number | undefined)[] = [];
    const fromFile = await b.clients.s3.upload({ Bucket: bucket, Key: 'file.raw', Body: createReadStream(file), onProgress: (_l, t) => fileProgress.push(t) });
    expect(fromFile.ETag).toBe(multipartEtag(body));
    expect(fileProgress).toEqual([body.length, body.length]);
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    const listed = await b.clients.s3.listObjectsV2({ Bucket: bucket });
    expect(listed.Contents!.map((o) => [o.Key, o.Size])).toEqual([
      ['file.raw', body.length],
      ['stream.raw', body.length],
    ]);
  });

  it('uploading into a missing bucket is NoSuchBucket', async () => {
    const b = backend();
    await expectAwsError(b.clients.s3.upload({ Bucket: unique('claw-missing'), Key: 'k', Body: bodyOf(10) }), 'NoSuchBucket', 404);
  });
});

forEachBackend('S3 bucket lifecycle', (backend) => {
  it('no configuration is NoSuchLifecycleConfiguration; a missing bucket NoSuchBucket', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await expectAwsError(b.clients.s3.getBucketLifecycleConfiguration({ Bucket: bucket }), 'NoSuchLifecycleConfiguration', 404);
    const missing = unique('claw-missing');
    await expectAwsError(b.clients.s3.getBucketLifecycleConfiguration({ Bucket: missing }), 'NoSuchBucket', 404);
    await expectAwsError(b.clients.s3.putBucketLifecycleConfiguration({ Bucket: missing, LifecycleConfiguration: { Rules: CLAW_RULES } }), 'NoSuchBucket', 404);
  });

  it("put then get round-trips claw's rules in order; a second put replaces the whole configuration", async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const put = await b.clients.s3.putBucketLifecycleConfiguration({ Bucket: bucket, LifecycleConfiguration: { Rules: CLAW_RULES } });
    expect(put.$metadata.httpStatusCode).toBe(200);
    const got = await b.clients.s3.getBucketLifecycleConfiguration({ Bucket: bucket });
    expect(got.Rules).toEqual(CLAW_RULES);
    expect(got.TransitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');

    const foreign: LifecycleRule = { ID: 'someone-elses', Status: 'Disabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 90 } };
    await b.clients.s3.putBucketLifecycleConfiguration({ Bucket: bucket, LifecycleConfiguration: { Rules: [foreign, CLAW_RULES[0]!] } });
    expect((await b.clients.s3.getBucketLifecycleConfiguration({ Bucket: bucket })).Rules).toEqual([foreign, CLAW_RULES[0]]);
  });

  it('a rule without Filter is MalformedXML', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await expectAwsError(
      b.clients.s3.putBucketLifecycleConfiguration({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Expiration: { Days: 3 } }] },
      }),
      'MalformedXML',
      400,
    );
  });
});

// Sandbox only: S3's validation, which moto 5.2.1 does not do (pinned below).
describe('S3 lifecycle and upload, sandbox only (AWS behaviour moto lacks)', () => {
  const rule = (r: Partial<LifecycleRule>): LifecycleRule => ({ ID: 'r', Status: 'Enabled', Filter: {}, Expiration: { Days: 3 }, ...r });

  it('refuses duplicate IDs, a rule without action, non-positive days, a bad status, an empty rule list', async () => {
    const b = await openSandboxBackend();
    const bucket = await bucketOf(b);
    const put = (rules: LifecycleRule[]) => b.clients.s3.putBucketLifecycleConfiguration({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } });
    await expectAwsError(put([rule({}), rule({})]), 'InvalidArgument', 400);
    await expectAwsError(put([rule({ Expiration: undefined })]), 'InvalidRequest', 400);
    await expectAwsError(put([rule({ Expiration: { Days: 0 } })]), 'InvalidArgument', 400);
    await expectAwsError(put([rule({ Expiration: undefined, NoncurrentVersionExpiration: { NoncurrentDays: -1 } })]), 'InvalidArgument', 400);
    await expectAwsError(put([rule({ Expiration: undefined, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 0 } })]), 'InvalidArgument', 400);
    await expectAwsError(put([rule({ Status: 'On' as 'Enabled' })]), 'MalformedXML', 400);
    await expectAwsError(put([]), 'MalformedXML', 400);
    // None of the refused puts left a configuration behind.
    await expectAwsError(b.clients.s3.getBucketLifecycleConfiguration({ Bucket: bucket }), 'NoSuchLifecycleConfiguration', 404);
    await b.close();
  });

  it('a rule without ID gets one, as S3 assigns it', async () => {
    const b = await openSandboxBackend();
    const bucket = await bucketOf(b);
    await b.clients.s3.putBucketLifecycleConfiguration({ Bucket: bucket, LifecycleConfiguration: { Rules: [rule({ ID: undefined })] } });
    const got = await b.clients.s3.getBucketLifecycleConfiguration({ Bucket: bucket });
    expect(got.Rules![0]!.ID).toMatch(/^[A-Za-z0-9+/]{20,}$/);
    await b.close();
  });

  it('keeps small uploaded bodies and only the size and ETag of large ones', async () => {
    const b = await openSandboxBackend();
    const bucket = await bucketOf(b);
    await b.clients.s3.upload({ Bucket: bucket, Key: 'small', Body: bodyOf(1000) });
    await b.clients.s3.upload({ Bucket: bucket, Key: 'large', Body: bodyOf(2 * MIB) });
    const objects = b.sandbox!.admin.state().buckets.find((x) => x.name === bucket)!.objects;
    expect(Buffer.from(objects.find((o) => o.key === 'small')!.bodyBase64!, 'base64')).toEqual(bodyOf(1000));
    expect(objects.find((o) => o.key === 'large')).toMatchObject({ size: 2 * MIB, etag: plainEtag(bodyOf(2 * MIB)) });
    expect(objects.find((o) => o.key === 'large')!.bodyBase64).toBeUndefined();
    await b.close();
  });

  it('a ContentLength that disagrees with the body fails like lib-storage, storing nothing', async () => {
    const b = await openSandboxBackend();
    const bucket = await bucketOf(b);
    const body = bodyOf(PART + MIB);
    await expect(b.clients.s3.upload({ Bucket: bucket, Key: 'k', Body: body, ContentLength: 3 * PART })).rejects.toThrow(/Expected 3 part\(s\) but uploaded 2/);
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket })).KeyCount).toBe(0);
    await b.close();
  });
});

describe.skipIf(!motoEndpoint().endpoint)('S3 lifecycle: moto quirks (documentation of moto, not of claw)', () => {
  it('accepts duplicate IDs, rules without action, zero days and a bad status; an empty rule list deletes the configuration', async () => {
    const b = openMotoBackend(motoEndpoint().endpoint!);
    const bucket = await bucketOf(b);
    const put = (rules: LifecycleRule[]) => b.clients.s3.putBucketLifecycleConfiguration({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } });
    const r: LifecycleRule = { ID: 'r', Status: 'Enabled', Filter: {}, Expiration: { Days: 3 } };
    await put([r, r]);
    await put([{ ID: 'x', Status: 'Enabled', Filter: {} }]);
    await put([{ ...r, Expiration: { Days: 0 } }]);
    await put([{ ...r, Status: 'On' as 'Enabled' }]);
    await put([]);
    await expectAwsError(b.clients.s3.getBucketLifecycleConfiguration({ Bucket: bucket }), 'NoSuchLifecycleConfiguration', 404);
    await b.close();
  });
});
