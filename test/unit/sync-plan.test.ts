import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { executeSync } from '../../src/aws/sync.js';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import { candidatePartSizes, ContentHasher, etagMatches, etagOf, hashPasses, parseEtag } from '../../src/core/etag.js';
import { localKeyProblem, parseS3Url, type SyncLocation } from '../../src/core/sync-location.js';
import {
  buildPlan,
  compareDigest,
  compareRemote,
  compareUtf8,
  contentCheck,
  pairEntries,
  transferOp,
  type SyncEntry,
  type SyncPlan,
  type Verdict,
} from '../../src/core/sync-plan.js';
import { checkMaxDelete, closingLine, describePlan, summarizePlan } from '../../src/core/sync-summary.js';

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');
const local: SyncLocation = { kind: 'local', dir: '/data' };
const s3a: SyncLocation = { kind: 's3', bucket: 'bucket-a', prefix: 'latest/' };
const s3b: SyncLocation = { kind: 's3', bucket: 'bucket-b', prefix: '' };

/** 11 MiB + 123 bytes of (i*7+3) mod 256, as moto 5.2.1 (like S3) tags it uploaded in 5 MiB parts. */
const KNOWN = new Uint8Array(11 * MiB + 123).map((_, i) => (i * 7 + 3) % 256);
const KNOWN_MULTIPART_ETAG = 'ded9376c6015ecfdd5df0ef4a626121a-3';

describe('ETag math', () => {
  it('parses single-part and multipart ETags, quoted or not, and nothing else', () => {
    expect(parseEtag('"D41D8CD98F00B204E9800998ECF8427E"')).toEqual({ hex: 'd41d8cd98f00b204e9800998ecf8427e', parts: undefined });
    expect(parseEtag('ded9376c6015ecfdd5df0ef4a626121a-3')).toEqual({ hex: 'ded9376c6015ecfdd5df0ef4a626121a', parts: 3 });
    for (const bad of [undefined, '', '"abc"', 'ded9376c6015ecfdd5df0ef4a626121a-0', 'ded9376c6015ecfdd5df0ef4a626121a-10001', 'W/"x"'])
      expect(parseEtag(bad)).toBeUndefined();
  });

  it('a single-part ETag is the MD5 of the body (the empty file included)', () => {
    expect(etagOf(new Uint8Array())).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(etagOf(Buffer.from('hello'))).toBe(md5('hello'));
  });

  it('reproduces a known multipart ETag (5 MiB parts, as moto and S3 compute it)', () => {
    expect(etagOf(KNOWN, 5 * MiB)).toBe(KNOWN_MULTIPART_ETAG);
    expect(etagMatches(`"${KNOWN_MULTIPART_ETAG}"`, hashOnce(KNOWN, candidatePartSizes(KNOWN.length, 3)))).toBe(true);
    expect(etagMatches(`"${KNOWN_MULTIPART_ETAG}"`, hashOnce(KNOWN, [6 * MiB]))).toBe(false);
  });

  it('one pass in any chunking gives the same digests as hashing at once', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.array(fc.nat({ max: 300 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 64 }),
        (bytes, cuts, part) => {
          const h = new ContentHasher([part, part + 7]);
          let at = 0;
          for (const c of [...cuts].sort((a, b) => a - b)) {
            h.update(bytes.subarray(at, Math.max(at, Math.min(c, bytes.length))));
            at = Math.max(at, Math.min(c, bytes.length));
          }
          h.update(bytes.subarray(at));
          const d = h.digest();
          expect(d.md5).toBe(md5(bytes));
          expect(d.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
          expect(d.multipart.get(part)).toBe(etagOf(bytes, part));
          expect(d.size).toBe(bytes.length);
        },
      ),
    );
  });

  it('candidate part sizes: claw 16 MiB, then the aws CLI 8 MiB, lib-storage 5 MiB, then whole MiB sizes giving the count', () => {
    expect(candidatePartSizes(40 * MiB, 3)).toEqual([16 * MiB, 14 * MiB, 15 * MiB, 17 * MiB, 18 * MiB, 19 * MiB]);
    expect(candidatePartSizes(40 * MiB, 5)[0]).toBe(8 * MiB);
    expect(candidatePartSizes(12 * MiB, 3)[0]).toBe(5 * MiB);
    // 100 MiB in 10 parts: 10 MiB (and 11 MiB) fit; 16, 8 and 5 do not.
    expect(candidatePartSizes(100 * MiB, 10)).toEqual([10 * MiB, 11 * MiB]);
    expect(candidatePartSizes(7, 1)).toEqual([7]);
    // Parts are at least 5 MiB: 10 parts of 1 MiB cannot be.
    expect(candidatePartSizes(10 * MiB, 10)).toEqual([]);
    // Every candidate gives the count, and there are never more than 8.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 36 }), fc.integer({ min: 1, max: 10_000 }), (size, parts) => {
        const c = candidatePartSizes(size, parts);
        expect(c.length).toBeLessThanOrEqual(8);
        for (const p of c) expect(Math.ceil(size / p)).toBe(parts);
      }),
    );
  });
});

function hashOnce(bytes: Uint8Array, partSizes: number[]) {
  const h = new ContentHasher(partSizes);
  h.update(bytes);
  return h.digest();
}

describe('local against S3', () => {
  const file = (size: number): SyncEntry => ({ key: 'f', size });
  it('different sizes are changed without reading the file', () => {
    expect(contentCheck(file(3), { key: 'f', size: 4, etag: `"${md5('abcd')}"` })).toEqual({ verdict: 'changed' });
  });
  it('equal size and a single-part ETag: the MD5 decides', () => {
    const remote = { key: 'f', size: 3, etag: `"${md5('abc')}"` };
    expect(contentCheck(file(3), remote)).toEqual({ passes: [[]] });
    expect(compareDigest(remote, hashOnce(Buffer.from('abc'), []))).toBe<Verdict>('unchanged');
    expect(compareDigest(remote, hashOnce(Buffer.from('abd'), []))).toBe<Verdict>('changed');
  });
  it('equal size and a multipart ETag: the computed multipart ETag decides', () => {
    const remote = { key: 'f', size: KNOWN.length, etag: `"${KNOWN_MULTIPART_ETAG}"` };
    // 3 parts of 11 MiB: 5 MiB is the only preferred size that fits; 4 MiB would be too small a part.
    expect(contentCheck(file(KNOWN.length), remote)).toEqual({ passes: [[5 * MiB]] });
    expect(compareDigest(remote, hashOnce(KNOWN, [5 * MiB]))).toBe('unchanged');
    const other = KNOWN.slice();
    other[6 * MiB] = other[6 * MiB]! ^ 1;
    expect(compareDigest(remote, hashOnce(other, [5 * MiB]))).toBe('changed');
  });
  it('the preferred part sizes are read first; the other whole-MiB sizes only in a second read', () => {
    // 64 MiB in 4 parts: claw's 16 MiB, then 17..21 MiB.
    expect(hashPasses(`"${md5('x')}-4"`, 64 * MiB)).toEqual([[16 * MiB], [17 * MiB, 18 * MiB, 19 * MiB, 20 * MiB, 21 * MiB]]);
    // 40 MiB in 5 parts: 8 MiB (aws CLI), then 9 MiB.
    expect(hashPasses(`"${md5('x')}-5"`, 40 * MiB)).toEqual([[8 * MiB], [9 * MiB]]);
    // A one-part multipart upload: MD5 of the MD5, any part size at least the file.
    expect(hashPasses(`"${md5('x')}-1"`, 3)).toEqual([[3]]);
    expect(hashPasses(`"${md5('x')}"`, 3)).toEqual([[]]);
    expect(hashPasses('"kms-style"', 3)).toEqual([]);
  });
  it('an ETag that is no MD5 (SSE-KMS style) or a part count no whole-MiB size gives is changed', () => {
    expect(contentCheck(file(3), { key: 'f', size: 3, etag: '"not-an-md5"' })).toEqual({ verdict: 'changed' });
    expect(contentCheck(file(10 * MiB), { key: 'f', size: 10 * MiB, etag: `"${md5('x')}-10"` })).toEqual({ verdict: 'changed' });
  });
});

describe('S3 against S3 (no HEAD: the listing decides)', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-02T00:00:00Z');
  const e = (etag: string, size = 10, lastModified = t0): SyncEntry => ({ key: 'k', size, etag, lastModified });
  const single = `"${md5('a')}"`;
  const multi = (hex: string, n: number) => `"${md5(hex)}-${n}"`;
  it('comparable ETags decide: both single-part, or both multipart with the same count', () => {
    expect(compareRemote(e(single), e(single, 10, t0))).toBe('unchanged');
    expect(compareRemote(e(single), e(`"${md5('b')}"`, 10, t1))).toBe('changed');
    expect(compareRemote(e(multi('a', 3)), e(multi('a', 3)))).toBe('unchanged');
    expect(compareRemote(e(multi('a', 3)), e(multi('b', 3), 10, t1))).toBe('changed');
  });
  it('otherwise the listing cannot tell, so it is copied: a same-size, newer but different object is never kept', () => {
    expect(compareRemote(e(single, 10, t0), e(multi('a', 2), 10, t1))).toBe('changed');
    expect(compareRemote(e(single, 10, t1), e(multi('a', 2), 10, t0))).toBe('changed');
    expect(compareRemote(e(multi('a', 2), 10, t0), e(multi('a', 3), 10, t1))).toBe('changed');
    expect(compareRemote(e(single, 10, t0), { key: 'k', size: 10, lastModified: t1 })).toBe('changed');
  });
  it('a different size is always changed', () => {
    expect(compareRemote(e(single, 10), e(single, 11, t1))).toBe('changed');
  });
});

const wellFormed = fc.string({ unit: 'binary' }).filter((s) => Buffer.from(s).toString() === s);

describe('keys in UTF-8 order', () => {
  it('sorts like S3 (UTF-8 bytes), not like UTF-16 code units', () => {
    const keys = ['a', 'ä', 'b', '\u{1F600}', '\uFFFD', '\uE000', 'a/b', 'a-b', 'A'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareUtf8)).toEqual(byBytes);
    expect(byBytes.indexOf('\uFFFD')).toBeLessThan(byBytes.indexOf('\u{1F600}'));
    fc.assert(
      // Well-formed strings only: a lone surrogate is no key (it has no UTF-8 form).
      fc.property(wellFormed, wellFormed, (x, y) => {
        expect(Math.sign(compareUtf8(x, y))).toBe(Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))));
      }),
    );
  });
});

describe('the plan', () => {
  const src: SyncEntry[] = [
    { key: 'new.txt', size: 5 },
    { key: 'dir/changed', size: 7 },
    { key: 'same', size: 3 },
    { key: 'ü/ñ.txt', size: 0 },
  ];
  const dst: SyncEntry[] = [
    { key: 'dir/changed', size: 6 },
    { key: 'same', size: 3 },
    { key: 'gone', size: 9 },
    { key: 'link/inside', size: 1 },
  ];
  const verdicts = new Map<string, Verdict>([
    ['dir/changed', 'changed'],
    ['same', 'unchanged'],
  ]);
  const plan = (del: boolean, skipped: string[] = []) =>
    buildPlan({ source: local, destination: s3a, pairing: pairEntries(src, dst), verdicts, delete: del, skipped });

  it('new, changed, unchanged and deleted, in UTF-8 key order', () => {
    expect(plan(true)).toEqual<SyncPlan>({
      source: local,
      destination: s3a,
      transfers: [
        { key: 'dir/changed', size: 7, op: 'upload', reason: 'changed' },
        { key: 'new.txt', size: 5, op: 'upload', reason: 'new' },
        { key: 'ü/ñ.txt', size: 0, op: 'upload', reason: 'new' },
      ],
      deletes: [
        { key: 'gone', size: 9 },
        { key: 'link/inside', size: 1 },
      ],
      unchanged: { count: 1, bytes: 3 },
    });
  });
  it('without --delete nothing is deleted; what the source skipped (a symlink) is never deleted', () => {
    expect(plan(false).deletes).toEqual([]);
    expect(plan(true, ['link', 'link/']).deletes).toEqual([{ key: 'gone', size: 9 }]);
  });
  it('without --delete the plan names what stays that the source lacks, and the closing line says so instead of "matches"', () => {
    expect(plan(false).left).toEqual([
      { key: 'gone', size: 9 },
      { key: 'link/inside', size: 1 },
    ]);
    expect(plan(true).left).toBeUndefined();
    expect(plan(false, ['link', 'link/']).left).toEqual([{ key: 'gone', size: 9 }]);
    expect(describePlan(plan(false))).toContain('2 only at the destination, left there (--delete would remove them)');
    expect(closingLine('latest/', '/data', plan(false))).toBe(
      'latest/ now holds everything in /data; 2 objects not in it remain (gone, link/inside): --delete would have removed them',
    );
    expect(closingLine('latest/', '/data', plan(false, ['link', 'link/']), 'already')).toBe(
      'latest/ already holds everything in /data; 1 object not in it remains (gone): --delete would remove it',
    );
    expect(closingLine('latest/', '/data', plan(true))).toBe('latest/ now matches /data');
  });
  it('the op follows the sides; local to local is a usage error', () => {
    expect(transferOp(s3a, local)).toBe('download');
    expect(transferOp(s3a, s3b)).toBe('copy');
    expect(() => transferOp(local, { kind: 'local', dir: '/x' })).toThrow(UsageError);
  });
  it('summarizes counts and bytes per op, and says it in one line', () => {
    const s = summarizePlan(plan(true));
    expect(s).toMatchObject({
      upload: { count: 3, bytes: 12 },
      download: { count: 0, bytes: 0 },
      transfer: { count: 3, bytes: 12 },
      new: 2,
      changed: 1,
      delete: { count: 2, bytes: 10 },
      unchanged: { count: 1, bytes: 3 },
    });
    expect(describePlan(plan(true))).toBe('/data -> s3://bucket-a/latest/: upload 3 (12 B; 2 new, 1 changed), delete 2 (10 B), 1 unchanged (3 B)');
  });
  it('--max-delete: more deletes than allowed is refused (exit 3) with the fix', () => {
    expect(() => checkMaxDelete(plan(true), 2)).not.toThrow();
    expect(() => checkMaxDelete(plan(true), undefined)).not.toThrow();
    const err = (() => {
      try {
        checkMaxDelete(plan(true), 1);
      } catch (e) {
        return e as RefusedError;
      }
      throw new Error('not refused');
    })();
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe('would delete 2 objects, more than --max-delete 1; nothing was changed');
    expect(err.hint).toContain('--max-delete 2');
  });
});

describe('locations', () => {
  it('parses s3:// URLs strictly; the prefix always ends in "/"', () => {
    expect(parseS3Url('s3://my-backups/latest/')).toEqual({ kind: 's3', bucket: 'my-backups', prefix: 'latest/' });
    expect(parseS3Url('s3://my-backups/snapshots/2026-01-01-00-00')).toEqual({ kind: 's3', bucket: 'my-backups', prefix: 'snapshots/2026-01-01-00-00/' });
    expect(parseS3Url('s3://my-backups')).toEqual({ kind: 's3', bucket: 'my-backups', prefix: '' });
    expect(parseS3Url('s3://my-backups/')).toEqual({ kind: 's3', bucket: 'my-backups', prefix: '' });
    for (const bad of [
      'my-backups/latest',
      'https://x/y',
      's3://',
      's3://UPPER/x',
      's3://a..b/x',
      's3://b_x/y',
      's3://ok-bucket/../x',
      's3://ok-bucket//x',
      's3://ok-bucket/a b/',
      's3://ok-bucket/$(id)/',
    ]) {
      expect(() => parseS3Url(bad), bad).toThrow(UsageError);
    }
  });
  it('keys that cannot be local files are named', () => {
    expect(localKeyProblem('a/b/c.txt')).toBeUndefined();
    expect(localKeyProblem('ü/ñ')).toBeUndefined();
    for (const bad of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', './a', 'a/', '.claw-tmp/x', '']) expect(localKeyProblem(bad), bad).toBeDefined();
  });
});

/**
 * An S3Api for an S3 -> S3 plan: CopyObject fails for the chosen keys, DeleteObjects
 * records its keys, anything else throws (nobody expected it).
 */
function fakeS3(failing: ReadonlySet<string>) {
  const deleted: string[] = [];
  const copied: string[] = [];
  const api = {
    copyObject: async (i: { Key?: string }) => {
      const key = i.Key!;
      if (failing.has(key)) throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError' });
      copied.push(key);
      return {};
    },
    deleteObjects: async (i: { Delete?: { Objects?: { Key?: string }[] } }) => {
      deleted.push(...(i.Delete?.Objects ?? []).map((o) => o.Key!));
      return {};
    },
  };
  const s3 = new Proxy(api, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof typeof target];
      if (prop === 'then') return undefined;
      throw new Error(`unexpected S3 call: ${String(prop)}`);
    },
  }) as unknown as S3Api;
  return { s3, deleted, copied };
}

describe('executeSync never deletes after a failure', () => {
  const keyArb = fc.stringMatching(/^[a-z]{1,6}$/);
  it('property: any failed transfer means no delete at all; no failure means exactly the planned deletes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { maxLength: 12 }),
        fc.uniqueArray(keyArb, { maxLength: 8 }),
        fc.func(fc.boolean()),
        fc.integer({ min: 1, max: 4 }),
        async (transferKeys, deleteKeys, fails, concurrency) => {
          const deletes = deleteKeys.filter((k) => !transferKeys.includes(k));
          const plan: SyncPlan = {
            source: s3a,
            destination: s3b,
            transfers: transferKeys.map((key) => ({ key, size: 1, op: 'copy', reason: 'new' })),
            deletes: deletes.map((key) => ({ key, size: 1 })),
            unchanged: { count: 0, bytes: 0 },
          };
          const failing = new Set(transferKeys.filter((k) => fails(k)));
          const fake = fakeS3(failing);
          const result = await executeSync(fake.s3, plan, { concurrency, delete: true });
          expect(result.failures.map((f) => f.key).sort()).toEqual([...failing].sort());
          expect(result.transferred.count).toBe(transferKeys.length - failing.size);
          if (failing.size > 0) {
            expect(fake.deleted).toEqual([]);
            expect(result.deleted).toBe(0);
            if (deletes.length > 0) expect(result.deletesSkipped).toMatch(/failed/);
          } else {
            expect(fake.deleted.sort()).toEqual([...deletes].sort());
            expect(result.deleted).toBe(deletes.length);
            expect(result.deletesSkipped).toBeUndefined();
          }
        },
      ),
    );
  });

  it('refuses a plan over --max-delete before any call', async () => {
    const fake = fakeS3(new Set());
    const plan: SyncPlan = {
      source: s3a,
      destination: s3b,
      transfers: [{ key: 'a', size: 1, op: 'copy', reason: 'new' }],
      deletes: [
        { key: 'x', size: 1 },
        { key: 'y', size: 1 },
      ],
      unchanged: { count: 0, bytes: 0 },
    };
    await expect(executeSync(fake.s3, plan, { concurrency: 2, maxDelete: 1 })).rejects.toThrow(RefusedError);
    expect(fake.copied).toEqual([]);
    expect(fake.deleted).toEqual([]);
  });
});
