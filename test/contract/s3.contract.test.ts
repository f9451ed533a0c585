import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ListObjectsV2CommandInput } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { collectPages, expectAwsError, forEachBackend, motoEndpoint, openMotoBackend, openSandboxBackend, unique, type Backend } from './backends.js';

// The S3 contract: the same tests against the sandbox and against moto. Each test
// works in a bucket of its own.

const md5 = (body: string | Uint8Array) => `"${createHash('md5').update(body).digest('hex')}"`;

/** Seeded in this (shuffled) order; listings must come back in UTF-8 byte order. */
const KEYS = [
  'snapshots/2026-01-02-00-00/x',
  'top.txt',
  'latest/sub/c.txt',
  'Zeta.txt',
  'snapshots/2026-01-01-00-00/y',
  'latest/a.txt',
  'snapshots/2026-01-03-00-00/x',
  'latest/b.txt',
  'snapshots/2026-01-01-00-00/x',
];
const SORTED = [...KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

async function seededBucket(b: Backend, keys = KEYS): Promise<string> {
  const bucket = unique('claw-ct');
  await b.seed.createBucket(bucket);
  for (const k of keys) await b.seed.putObject(bucket, k, `body of ${k}`);
  return bucket;
}

interface Listing {
  keys: string[];
  prefixes: string[];
  keyCounts: number[];
  truncated: boolean[];
}

async function listAll(s3: S3Api, input: ListObjectsV2CommandInput): Promise<Listing> {
  const listing: Listing = { keys: [], prefixes: [], keyCounts: [], truncated: [] };
  await collectPages(async (token) => {
    const out = await s3.listObjectsV2({ ...input, ContinuationToken: token });
    listing.keys.push(...(out.Contents ?? []).map((o) => o.Key!));
    listing.prefixes.push(...(out.CommonPrefixes ?? []).map((p) => p.Prefix!));
    listing.keyCounts.push(out.KeyCount ?? -1);
    listing.truncated.push(out.IsTruncated ?? false);
    return { items: [], next: out.IsTruncated ? out.NextContinuationToken : undefined };
  });
  return listing;
}

forEachBackend('S3 buckets and listing', (backend) => {
  it('headBucket: an existing bucket answers; a missing one is NotFound with HTTP 404', async () => {
    const b = backend();
    const bucket = unique('claw-ct');
    await b.seed.createBucket(bucket);
    const out = await b.clients.s3.headBucket({ Bucket: bucket });
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.BucketRegion).toBe('eu-central-1');
    await expectAwsError(b.clients.s3.headBucket({ Bucket: unique('claw-missing') }), 'NotFound', 404);
  });

  it('listObjectsV2 on a missing bucket is NoSuchBucket', async () => {
    const b = backend();
    await expectAwsError(b.clients.s3.listObjectsV2({ Bucket: unique('claw-missing') }), 'NoSuchBucket', 404);
  });

  it('lists every key in UTF-8 byte order, with sizes', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.listObjectsV2({ Bucket: bucket });
    expect(out.Contents?.map((o) => o.Key)).toEqual(SORTED);
    expect(out.KeyCount).toBe(KEYS.length);
    expect(out.IsTruncated).toBe(false);
    for (const o of out.Contents ?? []) {
      expect(o.Size).toBe(Buffer.byteLength(`body of ${o.Key}`));
      expect(o.ETag).toBe(md5(`body of ${o.Key}`));
      expect(o.LastModified).toBeInstanceOf(Date);
    }
  });

  it('Delimiter groups keys into CommonPrefixes, each counted once in KeyCount', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const top = await b.clients.s3.listObjectsV2({ Bucket: bucket, Delimiter: '/' });
    expect(top.Contents?.map((o) => o.Key)).toEqual(['Zeta.txt', 'top.txt']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['latest/', 'snapshots/']);
    expect(top.KeyCount).toBe(4);

    const latest = await b.clients.s3.listObjectsV2({ Bucket: bucket, Prefix: 'latest/', Delimiter: '/' });
    expect(latest.Contents?.map((o) => o.Key)).toEqual(['latest/a.txt', 'latest/b.txt']);
    expect(latest.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['latest/sub/']);
    expect(latest.Prefix).toBe('latest/');
  });

  it('paginates CommonPrefixes with MaxKeys and continuation tokens', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const l = await listAll(b.clients.s3, { Bucket: bucket, Prefix: 'snapshots/', Delimiter: '/', MaxKeys: 2 });
    expect(l.prefixes).toEqual(['snapshots/2026-01-01-00-00/', 'snapshots/2026-01-02-00-00/', 'snapshots/2026-01-03-00-00/']);
    expect(l.keys).toEqual([]);
    expect(l.keyCounts).toEqual([2, 1]);
    expect(l.truncated).toEqual([true, false]);
  });

  it('paginates keys with MaxKeys: all keys once, in order', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const l = await listAll(b.clients.s3, { Bucket: bucket, MaxKeys: 4 });
    expect(l.keys).toEqual(SORTED);
    expect(l.keyCounts).toEqual([4, 4, 1]);
    expect(l.truncated).toEqual([true, true, false]);
  });

  it('StartAfter starts after the given key (which need not exist)', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.listObjectsV2({ Bucket: bucket, StartAfter: 'snapshots/2026-01-01-00-00/y' });
    expect(out.Contents?.map((o) => o.Key)).toEqual(['snapshots/2026-01-02-00-00/x', 'snapshots/2026-01-03-00-00/x', 'top.txt']);
    const between = await b.clients.s3.listObjectsV2({ Bucket: bucket, Prefix: 'latest/', StartAfter: 'latest/aa' });
    expect(between.Contents?.map((o) => o.Key)).toEqual(['latest/b.txt', 'latest/sub/c.txt']);
  });

  it('an empty listing has no Contents and KeyCount 0', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.listObjectsV2({ Bucket: bucket, Prefix: 'nothing-here/' });
    expect(out.Contents ?? []).toEqual([]);
    expect(out.KeyCount).toBe(0);
    expect(out.IsTruncated).toBe(false);
  });
});

forEachBackend('S3 putObject and deleteObjects', (backend) => {
  it('putObject answers the quoted MD5 as ETag and stores the byte size (string and Uint8Array bodies)', async () => {
    const b = backend();
    const bucket = unique('claw-ct');
    await b.seed.createBucket(bucket);
    const text = 'grüße, 🦀\n';
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
    const a = await b.clients.s3.putObject({ Bucket: bucket, Key: 'text.txt', Body: text, Metadata: { sha: 'abc' } });
    const c = await b.clients.s3.putObject({ Bucket: bucket, Key: 'bin/data', Body: bytes });
    expect(a.ETag).toBe(md5(text));
    expect(c.ETag).toBe(md5(bytes));
    const out = await b.clients.s3.listObjectsV2({ Bucket: bucket });
    expect(out.Contents?.map((o) => [o.Key, o.Size, o.ETag])).toEqual([
      ['bin/data', 7, md5(bytes)],
      ['text.txt', Buffer.byteLength(text), md5(text)],
    ]);
  });

  it('putObject overwrites an existing key', async () => {
    const b = backend();
    const bucket = unique('claw-ct');
    await b.seed.createBucket(bucket);
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'first' });
    await b.clients.s3.putObject({ Bucket: bucket, Key: 'k', Body: 'second!' });
    const out = await b.clients.s3.listObjectsV2({ Bucket: bucket });
    expect(out.Contents?.map((o) => [o.Key, o.Size, o.ETag])).toEqual([['k', 7, md5('second!')]]);
  });

  it('putObject into a missing bucket is NoSuchBucket', async () => {
    const b = backend();
    await expectAwsError(b.clients.s3.putObject({ Bucket: unique('claw-missing'), Key: 'k', Body: 'x' }), 'NoSuchBucket', 404);
  });

  it('deleteObjects reports existing and missing keys as Deleted and removes them', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.deleteObjects({
      Bucket: bucket,
      Delete: { Objects: [{ Key: 'top.txt' }, { Key: 'latest/a.txt' }, { Key: 'never-existed' }] },
    });
    expect((out.Deleted ?? []).map((d) => d.Key).sort()).toEqual(['latest/a.txt', 'never-existed', 'top.txt']);
    expect(out.Errors ?? []).toEqual([]);
    const left = await b.clients.s3.listObjectsV2({ Bucket: bucket });
    expect(left.Contents?.map((o) => o.Key)).toEqual(SORTED.filter((k) => k !== 'top.txt' && k !== 'latest/a.txt'));
  });

  it('deleteObjects in quiet mode deletes and reports no errors', async () => {
    const b = backend();
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'Zeta.txt' }] } });
    expect(out.Errors ?? []).toEqual([]);
    const left = await b.clients.s3.listObjectsV2({ Bucket: bucket });
    expect(left.Contents?.map((o) => o.Key)).not.toContain('Zeta.txt');
    expect(left.KeyCount).toBe(KEYS.length - 1);
  });

  it('deleteObjects on a missing bucket is NoSuchBucket', async () => {
    const b = backend();
    await expectAwsError(b.clients.s3.deleteObjects({ Bucket: unique('claw-missing'), Delete: { Objects: [{ Key: 'k' }] } }), 'NoSuchBucket', 404);
  });
});

// Sandbox only: AWS behaviour moto 5.2.1 does not reproduce (each case says what moto does).
describe('S3 sandbox only (AWS behaviour moto lacks)', () => {
  it('quiet mode reports only failures (moto also lists the deleted keys)', async () => {
    const b = await openSandboxBackend();
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'top.txt' }] } });
    expect(out.Deleted).toBeUndefined();
    await b.close();
  });

  it('a per-key delete failure is reported in Errors and the object stays (moto cannot fail a delete)', async () => {
    const b = await openSandboxBackend();
    const bucket = await seededBucket(b);
    await b.sandbox!.admin.failDeletes(bucket, 'latest/b.txt');
    const out = await b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Objects: [{ Key: 'latest/a.txt' }, { Key: 'latest/b.txt' }] } });
    expect(out.Deleted).toEqual([{ Key: 'latest/a.txt' }]);
    expect(out.Errors).toEqual([{ Key: 'latest/b.txt', Code: 'AccessDenied', Message: 'Access Denied' }]);
    const left = await b.clients.s3.listObjectsV2({ Bucket: bucket, Prefix: 'latest/' });
    expect(left.Contents?.map((o) => o.Key)).toEqual(['latest/b.txt', 'latest/sub/c.txt']);
    await b.close();
  });

  it('a bad continuation token is InvalidArgument (moto: HTTP 500); MaxKeys above 1000 is capped', async () => {
    const b = await openSandboxBackend();
    const bucket = await seededBucket(b);
    await expectAwsError(b.clients.s3.listObjectsV2({ Bucket: bucket, ContinuationToken: 'garbage' }), 'InvalidArgument', 400);
    const first = await b.clients.s3.listObjectsV2({ Bucket: bucket, MaxKeys: 2 });
    await expectAwsError(
      b.clients.s3.listObjectsV2({ Bucket: bucket, MaxKeys: 2, Prefix: 'latest/', ContinuationToken: first.NextContinuationToken }),
      'InvalidArgument',
      400,
    );
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket, MaxKeys: 5000 })).MaxKeys).toBe(1000);
    await b.close();
  });

  it('deleteObjects with no keys or more than 1000 is MalformedXML', async () => {
    const b = await openSandboxBackend();
    const bucket = await seededBucket(b);
    await expectAwsError(b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Objects: [] } }), 'MalformedXML', 400);
    const many = Array.from({ length: 1001 }, (_, n) => ({ Key: `k${n}` }));
    await expectAwsError(b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Objects: many } }), 'MalformedXML', 400);
    await b.close();
  });

  it('stream bodies and unimplemented parameters throw SandboxUnsupportedError', async () => {
    const b = await openSandboxBackend();
    const bucket = await seededBucket(b);
    await expect(b.clients.s3.putObject({ Bucket: bucket, Key: 's', Body: Readable.from(['x']) })).rejects.toThrow(
      /PutObject Body must be a string, Buffer or Uint8Array, not Readable/,
    );
    await expect(b.clients.s3.listObjectsV2({ Bucket: bucket, FetchOwner: true })).rejects.toBeInstanceOf(SandboxUnsupportedError);
    await expect(b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Objects: [{ Key: 'top.txt', VersionId: 'v1' }] } })).rejects.toThrow(/"VersionId"/);
    // Nothing was deleted by the refused call.
    expect((await b.clients.s3.listObjectsV2({ Bucket: bucket })).KeyCount).toBe(KEYS.length);
    await b.close();
  });
});

// moto 5.2.1's differences, pinned so a moto upgrade that changes them is noticed.
describe.skipIf(!motoEndpoint().endpoint)('S3 moto quirks (documentation of moto, not of claw)', () => {
  it('quiet DeleteObjects still lists Deleted; a garbage continuation token is HTTP 500', async () => {
    const b = openMotoBackend(motoEndpoint().endpoint!);
    const bucket = await seededBucket(b);
    const out = await b.clients.s3.deleteObjects({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'top.txt' }] } });
    expect(out.Deleted).toEqual([{ Key: 'top.txt' }]);
    const err = (await b.clients.s3.listObjectsV2({ Bucket: bucket, ContinuationToken: 'garbage' }).catch((e: unknown) => e)) as {
      $metadata?: { httpStatusCode?: number };
    };
    expect(err.$metadata?.httpStatusCode).toBe(500);
    await b.close();
  });
});
