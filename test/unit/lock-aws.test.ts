import { describe, expect, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import {
  LockLostError,
  acquireLock,
  deleteLockIfUnchanged,
  readLock,
  refreshLock,
  releaseLock,
  withDeployLock,
  type AcquireOptions,
} from '../../src/aws/lock.js';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import { recordingSink } from '../../src/core/events.js';
import { LOCK_KEY, type LockRecord } from '../../src/core/lock.js';

// src/aws/lock.ts over an in-memory S3 honouring If-None-Match / If-Match as S3 does
// (412, 404), passed in, never module-mocked. Against moto: test/e2e/lock-moto.test.ts.

const awsError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/** beforePut: slip another writer in; afterPut: the put landed, its answer is lost (Ctrl-C). */
interface Hooks {
  beforePut?: (() => void) | undefined;
  afterPut?: (() => void) | undefined;
  failAfterAbort?: AbortSignal | undefined;
  deleteIfMatch?: 'not-implemented' | undefined;
}
type Fake = S3Api & { objects: Map<string, { body: string; etag: string }>; calls: string[]; hooks: Hooks };

let n = 0; // ETags unique across fakes; pass one fake's `objects` to another: two clients of one bucket
function fakeS3(objects = new Map<string, { body: string; etag: string }>(), bucket = 'b'): Fake {
  const hooks: Hooks = {};
  const calls: string[] = [];
  const check = (op: string, b: string | undefined) => {
    calls.push(op);
    if (hooks.failAfterAbort?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    if (b !== bucket) throw awsError('NoSuchBucket', 404);
  };
  const api = {
    async getObject(i: { Bucket?: string; Key?: string }) {
      check('get', i.Bucket);
      const o = objects.get(i.Key!);
      if (!o) throw awsError('NoSuchKey', 404);
      return { $metadata: {}, ETag: o.etag, Body: { transformToString: async () => o.body } };
    },
    async putObject(i: { Bucket?: string; Key?: string; Body?: unknown; IfNoneMatch?: string; IfMatch?: string }) {
      check('put', i.Bucket);
      hooks.beforePut?.();
      const o = objects.get(i.Key!);
      if (i.IfNoneMatch === '*' && o) throw awsError('PreconditionFailed', 412);
      if (i.IfMatch !== undefined && !o) throw awsError('NoSuchKey', 404);
      if (i.IfMatch !== undefined && o!.etag !== i.IfMatch) throw awsError('PreconditionFailed', 412);
      const etag = `"etag-${++n}"`; // unique across fakes, as S3's are for different bodies
      objects.set(i.Key!, { body: String(i.Body), etag });
      hooks.afterPut?.();
      return { $metadata: {}, ETag: etag };
    },
    async deleteObject(i: { Bucket?: string; Key?: string; IfMatch?: string }) {
      check('delete', i.Bucket);
      const o = objects.get(i.Key!);
      if (i.IfMatch !== undefined && hooks.deleteIfMatch === 'not-implemented') throw awsError('NotImplemented', 501);
      if (i.IfMatch !== undefined && !o) throw awsError('NoSuchKey', 404);
      if (i.IfMatch !== undefined && o!.etag !== i.IfMatch) throw awsError('PreconditionFailed', 412);
      objects.delete(i.Key!);
      return { $metadata: {} };
    },
  };
  return Object.assign(api as unknown as S3Api, { objects, calls, hooks });
}

const MIN = 60_000;
const t0 = new Date('2026-03-01T12:00:00.000Z');
const clock = (start = t0) => {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
};
const opts = (over: Partial<AcquireOptions> = {}): AcquireOptions => ({
  bucket: 'b',
  holder: 'alice@laptop',
  pid: 11,
  target: 'all',
  rev: 'a'.repeat(40),
  ...over,
});
const stored = (s3: Fake): LockRecord => JSON.parse(s3.objects.get(LOCK_KEY)!.body) as LockRecord;

describe('acquireLock', () => {
  it('creates the lock when free, and refuses the next one naming holder, target, rev and age', async () => {
    const s3 = fakeS3();
    const c = clock();
    const held = await acquireLock(s3, opts({ now: c.now }));
    expect(stored(s3)).toEqual(held.record);
    expect(held).toMatchObject({
      key: LOCK_KEY,
      etag: s3.objects.get(LOCK_KEY)!.etag,
      tookOver: undefined,
      record: { holder: 'alice@laptop', pid: 11, expiresAt: '2026-03-01T12:30:00.000Z' },
    });
    c.advance(4 * MIN);
    const err = await acquireLock(s3, opts({ holder: 'bob@desk', pid: 22, target: 'clawdinator-1', now: c.now })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as Error).message).toBe('the deploy lock is held by alice@laptop (pid 11), deploying all at aaaaaaaaaaaa, for 4m, expires in 26m');
    expect(stored(s3).holder).toBe('alice@laptop');
  });

  it('takes over an expired lock with If-Match on its ETag, and says whose it was', async () => {
    const s3 = fakeS3();
    const c = clock();
    await acquireLock(s3, opts({ now: c.now }));
    c.advance(31 * MIN);
    const held = await acquireLock(s3, opts({ holder: 'bob@desk', now: c.now }));
    expect(held.tookOver).toMatchObject({ why: 'expired', previous: { holder: 'alice@laptop' } });
    expect(stored(s3).holder).toBe('bob@desk');
  });

  it('takes over a stale lock (holder known dead) before its expiry; refuses an unreadable object', async () => {
    const s3 = fakeS3();
    await acquireLock(s3, opts({ pid: 99 }));
    const held = await acquireLock(s3, opts({ pid: 12, isStale: (l) => l.pid === 99 }));
    expect(held.tookOver?.why).toBe('stale');
    s3.objects.set(LOCK_KEY, { body: 'hello', etag: '"x"' });
    await expect(acquireLock(s3, opts())).rejects.toThrow(/is not a lock claw can read \(not JSON\)/);
  });

  it('a writer slipping in between read and create wins; we read again and are refused', async () => {
    const s3 = fakeS3();
    s3.hooks.beforePut = () => {
      s3.hooks.beforePut = undefined;
      s3.objects.set(LOCK_KEY, {
        body: JSON.stringify({
          id: 'x',
          holder: 'eve@ci',
          pid: 1,
          target: 'all',
          rev: 'r',
          acquiredAt: t0.toISOString(),
          expiresAt: '2999-01-01T00:00:00.000Z',
        }),
        etag: '"other"',
      });
    };
    await expect(acquireLock(s3, opts({ now: () => t0 }))).rejects.toThrow(/held by eve@ci \(pid 1\)/);
    expect(s3.calls).toEqual(['get', 'put', 'get']);
  });

  it('a missing bucket names the config key (exit 2)', async () => {
    const err = await acquireLock(fakeS3(), opts({ bucket: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/s3:\/\/nope does not exist \(config key bootstrapBucket\)/);
  });
});

describe('refresh and release', () => {
  it('refresh moves the expiry under compare-and-swap; a lost answer of our own write is recognised', async () => {
    const s3 = fakeS3();
    const c = clock();
    const held = await acquireLock(s3, opts({ now: c.now }));
    c.advance(10 * MIN);
    const again = await refreshLock(s3, held, c.now());
    expect(again.record.expiresAt).toBe('2026-03-01T12:40:00.000Z');
    expect(stored(s3).expiresAt).toBe('2026-03-01T12:40:00.000Z');
    // `held` carries the old ETag, as if the last answer never arrived: still ours by id.
    const third = await refreshLock(s3, held, c.now());
    expect(third.etag).toBe(s3.objects.get(LOCK_KEY)!.etag);
  });

  it('refresh after a takeover or a forced release is LockLostError naming the new state', async () => {
    const s3 = fakeS3();
    const c = clock();
    const held = await acquireLock(s3, opts({ now: c.now }));
    c.advance(31 * MIN);
    await acquireLock(s3, opts({ holder: 'bob@desk', now: c.now }));
    await expect(refreshLock(s3, held, c.now())).rejects.toThrow(/lost the deploy lock .*; it is now held by bob@desk/);
    s3.objects.clear();
    await expect(refreshLock(s3, held, c.now())).rejects.toBeInstanceOf(LockLostError);
  });

  it('release deletes only our own lock', async () => {
    const s3 = fakeS3();
    const c = clock();
    const mine = await acquireLock(s3, opts({ now: c.now }));
    c.advance(31 * MIN);
    await acquireLock(s3, opts({ holder: 'bob@desk', now: c.now }));
    expect(await releaseLock(s3, mine)).toBe('not-ours');
    expect(stored(s3).holder).toBe('bob@desk');
    s3.objects.clear();
    expect(await releaseLock(s3, mine)).toBe('gone');
    const again = await acquireLock(s3, opts());
    expect(await releaseLock(s3, again)).toBe('released');
    expect(s3.objects.size).toBe(0);
  });

  it('the conditional delete refuses a changed lock; without If-Match support it compares first', async () => {
    const s3 = fakeS3();
    await acquireLock(s3, opts());
    expect(await deleteLockIfUnchanged(s3, { bucket: 'b' }, '"stale"')).toBe('changed');
    s3.hooks.deleteIfMatch = 'not-implemented';
    expect(await deleteLockIfUnchanged(s3, { bucket: 'b' }, '"stale"')).toBe('changed');
    expect(await deleteLockIfUnchanged(s3, { bucket: 'b' }, s3.objects.get(LOCK_KEY)!.etag)).toBe('deleted');
    expect(await readLock(s3, { bucket: 'b' })).toEqual({ kind: 'free' });
    expect(await deleteLockIfUnchanged(s3, { bucket: 'b' }, '"x"')).toBe('gone');
  });
});

describe('withDeployLock', () => {
  it('holds the lock while the body runs and releases it after success and failure; a held lock runs nothing', async () => {
    const s3 = fakeS3();
    expect(await withDeployLock(s3, opts(), async (l) => (expect(stored(s3).id).toBe(l.record.id), 'done'))).toBe('done');
    expect(s3.objects.size).toBe(0);
    await expect(
      withDeployLock(s3, opts(), async () => {
        throw new Error('canary failed');
      }),
    ).rejects.toThrow('canary failed');
    expect(s3.objects.size).toBe(0);
    await acquireLock(s3, opts({ holder: 'bob@desk' }));
    let ran = false;
    await expect(withDeployLock(s3, opts(), async () => void (ran = true))).rejects.toBeInstanceOf(RefusedError);
    expect([ran, stored(s3).holder]).toEqual([false, 'bob@desk']);
  });

  it('Ctrl-C: the body sees the abort, the release goes through the cleanup client', async () => {
    const s3 = fakeS3();
    const ctrl = new AbortController();
    s3.hooks.failAfterAbort = ctrl.signal; // like the context's clients, bound to the signal
    const run = withDeployLock(
      s3,
      { ...opts(), signal: ctrl.signal, cleanupS3: fakeS3(s3.objects) },
      (l) => new Promise((_, reject) => l.signal.addEventListener('abort', () => reject(Object.assign(new Error('interrupted'), { name: 'AbortError' })))),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(s3.objects.size).toBe(1);
    ctrl.abort();
    await expect(run).rejects.toThrow('interrupted');
    expect(s3.objects.size).toBe(0);
  });

  it('Ctrl-C during the create: the write landed, its answer did not; the lock is removed anyway', async () => {
    const s3 = fakeS3();
    const ctrl = new AbortController();
    s3.hooks.afterPut = () => {
      ctrl.abort();
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    };
    let ran = false;
    await expect(withDeployLock(s3, { ...opts(), signal: ctrl.signal, cleanupS3: fakeS3(s3.objects) }, async () => void (ran = true))).rejects.toThrow(
      'aborted',
    );
    expect(ran).toBe(false);
    expect(s3.objects.size).toBe(0);
  });

  it('refreshes while the body runs, and says a takeover', async () => {
    const s3 = fakeS3();
    const c = clock();
    await acquireLock(s3, opts({ holder: 'old@box', now: c.now }));
    c.advance(40 * MIN);
    const events = recordingSink();
    await withDeployLock(s3, { ...opts({ now: c.now }), events, refreshEveryMs: 5 }, async () => {
      const before = stored(s3).expiresAt;
      c.advance(MIN);
      await new Promise((r) => setTimeout(r, 40));
      expect(stored(s3).expiresAt > before).toBe(true);
    });
    expect(events.events).toEqual([
      { type: 'warning', message: expect.stringMatching(/^took over the deploy lock from old@box \(pid 11\).*\(it had expired\)$/) },
    ]);
    expect(s3.objects.size).toBe(0);
  });

  it("a lost lock aborts the body and is the error; the new holder's lock is left alone", async () => {
    const s3 = fakeS3();
    const err = await withDeployLock(s3, { ...opts(), refreshEveryMs: 5 }, (l) => {
      s3.objects.set(LOCK_KEY, { body: JSON.stringify({ ...l.record, id: 'thief', holder: 'bob@desk' }), etag: '"stolen"' });
      return new Promise((_, reject) => l.signal.addEventListener('abort', () => reject(new Error('body aborted'))));
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect((err as Error).message).toMatch(/now held by bob@desk/);
    expect(stored(s3).id).toBe('thief');
  });
});
