import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { expectAwsError, forEachBackend, openSandboxBackend, unique, type Backend } from './backends.js';

// GetObject, DeleteObject and S3's conditional writes (PutObject with If-None-Match: *
// and If-Match: <etag>, DeleteObject with If-Match), the same tests against the sandbox
// and against moto through claw's SDK clients. moto 5.2.1 implements the conditional
// writes as S3 does (412 PreconditionFailed, 404 NoSuchKey for If-Match on a missing
// key), so they are in the shared suite.

const etagOf = (body: string) => `"${createHash('md5').update(body).digest('hex')}"`;

async function bucketOf(b: Backend): Promise<string> {
  const bucket = unique('claw-ct');
  await b.seed.createBucket(bucket);
  return bucket;
}

forEachBackend('S3 getObject', (backend) => {
  it('answers the body as the SDK stream, with length, ETag, type, metadata and LastModified', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const before = Date.now();
    await b.clients.s3.putObject({
      Bucket: bucket,
      Key: 'claw/lock.json',
      Body: '{"held":true}',
      ContentType: 'application/json',
      Metadata: { 'Claw-Id': 'abc' },
    });
    const out = await b.clients.s3.getObject({ Bucket: bucket, Key: 'claw/lock.json' });
    expect(out).toMatchObject({ ContentLength: 13, ETag: etagOf('{"held":true}'), ContentType: 'application/json', Metadata: { 'claw-id': 'abc' } });
    expect(Math.abs(out.LastModified!.getTime() - before)).toBeLessThan(60_000);
    expect(await out.Body!.transformToString()).toBe('{"held":true}');
    // The mixin's methods work once.
    await expect(out.Body!.transformToByteArray()).rejects.toThrow('The stream has already been transformed.');
  });

  it('transformToByteArray and transformToWebStream give the same bytes', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'bin', Body: bytes });
    expect(await (await b.clients.s3.getObject({ Bucket: bucket, Key: 'bin' })).Body!.transformToByteArray()).toEqual(bytes);
    const web = (await b.clients.s3.getObject({ Bucket: bucket, Key: 'bin' })).Body!.transformToWebStream();
    const chunks: Uint8Array[] = [];
    for await (const chunk of web as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(new Uint8Array(Buffer.concat(chunks))).toEqual(bytes);
    const latin = (await b.clients.s3.getObject({ Bucket: bucket, Key: 'bin' })).Body!;
    expect(await latin.transformToString('hex')).toBe('000102faff');
  });

  it('a missing key is NoSuchKey, a missing bucket NoSuchBucket (404 both)', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await expectAwsError(b.clients.s3.getObject({ Bucket: bucket, Key: 'nope' }), 'NoSuchKey', 404);
    await expectAwsError(b.clients.s3.getObject({ Bucket: unique('claw-missing'), Key: 'nope' }), 'NoSuchBucket', 404);
  });
});

forEachBackend('S3 deleteObject', (backend) => {
  it('deletes, and deleting a missing key succeeds too (204), as S3 does', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await b.seed.putObject(bucket, 'k', 'v');
    expect((await b.clients.s3.deleteObject({ Bucket: bucket, Key: 'k' })).$metadata.httpStatusCode).toBe(204);
    await expectAwsError(b.clients.s3.getObject({ Bucket: bucket, Key: 'k' }), 'NoSuchKey', 404);
    expect((await b.clients.s3.deleteObject({ Bucket: bucket, Key: 'k' })).$metadata.httpStatusCode).toBe(204);
    await expectAwsError(b.clients.s3.deleteObject({ Bucket: unique('claw-missing'), Key: 'k' }), 'NoSuchBucket', 404);
  });

  it('If-Match: deletes only that ETag (412 otherwise), 404 NoSuchKey when the key is missing', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const put = await b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'mine' });
    await expectAwsError(b.clients.s3.deleteObject({ Bucket: bucket, Key: 'lock', IfMatch: etagOf('theirs') }), 'PreconditionFailed', 412);
    expect(await (await b.clients.s3.getObject({ Bucket: bucket, Key: 'lock' })).Body!.transformToString()).toBe('mine');
    await b.clients.s3.deleteObject({ Bucket: bucket, Key: 'lock', IfMatch: put.ETag! });
    await expectAwsError(b.clients.s3.deleteObject({ Bucket: bucket, Key: 'lock', IfMatch: put.ETag! }), 'NoSuchKey', 404);
  });
});

forEachBackend('S3 conditional putObject', (backend) => {
  it('If-None-Match: * creates once; the second create is PreconditionFailed 412 and changes nothing', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const first = await b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'first', IfNoneMatch: '*' });
    expect(first.ETag).toBe(etagOf('first'));
    const err = await expectAwsError(b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'second', IfNoneMatch: '*' }), 'PreconditionFailed', 412);
    expect(err.message).toBe('At least one of the pre-conditions you specified did not hold');
    expect(await (await b.clients.s3.getObject({ Bucket: bucket, Key: 'lock' })).Body!.transformToString()).toBe('first');
  });

  it('If-Match: replaces only the ETag it names (compare-and-swap); a stale ETag is 412', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const v1 = await b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'v1' });
    const v2 = await b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'v2', IfMatch: v1.ETag! });
    expect(v2.ETag).toBe(etagOf('v2'));
    await expectAwsError(b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'v3', IfMatch: v1.ETag! }), 'PreconditionFailed', 412);
    expect(await (await b.clients.s3.getObject({ Bucket: bucket, Key: 'lock' })).Body!.transformToString()).toBe('v2');
  });

  it('If-Match on a missing key is NoSuchKey 404 and creates nothing', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    await expectAwsError(b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: 'x', IfMatch: etagOf('x') }), 'NoSuchKey', 404);
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket })).KeyCount).toBe(0);
  });

  it('concurrent creates of one key: exactly one wins', async () => {
    const b = backend();
    const bucket = await bucketOf(b);
    const tries = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((body) => b.clients.s3.putObject({ Bucket: bucket, Key: 'lock', Body: body, IfNoneMatch: '*' })),
    );
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    for (const t of tries) if (t.status === 'rejected') expect((t.reason as Error).name).toBe('PreconditionFailed');
  });
});

// Sandbox only: what it does with content it does not have, and what it refuses.
describe('S3 objects, sandbox only', () => {
  it('a size-only object (seeded or a large upload) cannot be read: SandboxUnsupportedError naming the key', async () => {
    const b = await openSandboxBackend();
    const err = await b.clients.s3
      .getObject({ Bucket: 'clawdinator-images-eu1-20260107165216', Key: 'bootstrap/clawdinator-1/secrets.tar.zst' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnsupportedError);
    expect((err as Error).message).toMatch(
      /s3:\/\/clawdinator-images-eu1-20260107165216\/bootstrap\/clawdinator-1\/secrets\.tar\.zst: .*only this object's size \(6144 bytes\)/,
    );
    await b.close();
  });

  it("the seeded age secrets are the fixture repo's files, readable", async () => {
    const b = await openSandboxBackend();
    const out = await b.clients.s3.getObject({ Bucket: 'clawdinator-images-eu1-20260107165216', Key: 'age-secrets/clawdinator-discord-token-1.age' });
    expect(await out.Body!.transformToString()).toBe('age-encryption.org/v1 FAKE-TEST-FIXTURE clawdinator-discord-token-1\n');
    await b.close();
  });

  it("refuses an If-None-Match other than *, a ContentLength that is not the body's, and GetObject options it does not simulate", async () => {
    const b = await openSandboxBackend();
    const bucket = await bucketOf(b);
    await expect(b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'x', IfNoneMatch: etagOf('x') })).rejects.toThrow(SandboxUnsupportedError);
    await expect(b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'x', ContentLength: 2 })).rejects.toThrow(/ContentLength 2/);
    await expect(b.clients.s3.getObject({ Bucket: bucket, Key: 'k', PartNumber: 1 })).rejects.toThrow(/does not implement parameter "PartNumber"/);
    await b.close();
  });

  it('a key marked by failDeletes fails DeleteObject with that error', async () => {
    const b = await openSandboxBackend();
    const bucket = await bucketOf(b);
    await b.seed.putObject(bucket, 'k', 'v');
    await b.sandbox!.admin.failDeletes(bucket, 'k');
    await expectAwsError(b.clients.s3.deleteObject({ Bucket: bucket, Key: 'k' }), 'AccessDenied', 403);
    await b.close();
  });
});
