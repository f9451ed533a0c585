import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideAcquire,
  decideRelease,
  describeLock,
  formatDuration,
  formatHolder,
  isExpired,
  newLockRecord,
  parseLockState,
  refreshedRecord,
  refusalMessage,
  type LockRecord,
  type LockState,
} from '../../src/core/lock.js';

const MIN = 60_000;
const t0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const lock = (over: Partial<LockRecord> = {}): LockRecord => ({
  ...newLockRecord({ id: 'id-1', holder: 'alice@laptop', pid: 4242, target: 'all', rev: '0123456789abcdef0123456789abcdef01234567', now: t0, ttlMs: 30 * MIN }),
  ...over,
});
const held = (over: Partial<LockRecord> = {}): Extract<LockState, { kind: 'held' }> => ({ kind: 'held', lock: lock(over), etag: '"e1"' });

describe('lock record', () => {
  it('expires ttl after it was taken; a refresh moves only expiresAt', () => {
    const l = lock();
    expect(l).toMatchObject({ acquiredAt: '2026-03-01T12:00:00.000Z', expiresAt: '2026-03-01T12:30:00.000Z' });
    expect(isExpired(l, at(30 * MIN - 1))).toBe(false);
    expect(isExpired(l, at(30 * MIN))).toBe(true);
    const r = refreshedRecord(l, at(20 * MIN), 30 * MIN);
    expect(r).toEqual({ ...l, expiresAt: '2026-03-01T12:50:00.000Z' });
  });

  it('parses a stored record; anything else is unreadable, never guessed at', () => {
    expect(parseLockState(JSON.stringify(lock()), '"e"')).toEqual({ kind: 'held', lock: lock(), etag: '"e"' });
    expect(parseLockState('{nope', '"e"')).toEqual({ kind: 'unreadable', etag: '"e"', reason: 'not JSON' });
    const bad = parseLockState(JSON.stringify({ ...lock(), expiresAt: 'soon' }), '"e"');
    expect(bad).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(/^expiresAt: /) });
    expect(parseLockState(JSON.stringify({ holder: 'x' }), '"e"').kind).toBe('unreadable');
  });
});

describe('decideAcquire', () => {
  it('free: create; held: refuse; expired: take over on its ETag; stale: take over early; unreadable: refuse', () => {
    expect(decideAcquire({ kind: 'free' }, t0)).toEqual({ action: 'create' });
    expect(decideAcquire(held(), at(5 * MIN))).toEqual({ action: 'refuse', state: held() });
    expect(decideAcquire(held(), at(31 * MIN))).toEqual({ action: 'takeover', previous: lock(), etag: '"e1"', why: 'expired' });
    expect(decideAcquire(held(), at(5 * MIN), true)).toEqual({ action: 'takeover', previous: lock(), etag: '"e1"', why: 'stale' });
    const unreadable: LockState = { kind: 'unreadable', etag: '"e9"', reason: 'not JSON' };
    expect(decideAcquire(unreadable, at(999 * MIN), true)).toEqual({ action: 'refuse', state: unreadable });
  });

  it('property: never creates over a lock, never takes over a live unexpired one, only CAS on the ETag read', () => {
    const state = fc.oneof(
      fc.constant<LockState>({ kind: 'free' }),
      fc
        .record({ ttl: fc.integer({ min: 1, max: 10 * 60 * MIN }), etag: fc.string({ minLength: 1 }) })
        .map(({ ttl, etag }): LockState => ({ kind: 'held', lock: lock({ expiresAt: at(ttl).toISOString() }), etag })),
      fc.string({ minLength: 1 }).map((etag): LockState => ({ kind: 'unreadable', etag, reason: 'x' })),
    );
    fc.assert(
      fc.property(state, fc.integer({ min: -MIN, max: 20 * 60 * MIN }), fc.boolean(), (s, dt, stale) => {
        const d = decideAcquire(s, at(dt), stale);
        if (d.action === 'create') expect(s.kind).toBe('free');
        if (s.kind === 'free') expect(d.action).toBe('create');
        if (s.kind === 'unreadable') expect(d.action).toBe('refuse');
        if (d.action === 'takeover') {
          expect(s.kind).toBe('held');
          expect(d.etag).toBe(s.kind === 'held' ? s.etag : undefined);
          expect(stale || isExpired(d.previous, at(dt))).toBe(true);
        }
        if (s.kind === 'held' && !stale && !isExpired(s.lock, at(dt))) expect(d.action).toBe('refuse');
      }),
    );
  });
});

describe('decideRelease', () => {
  it('free: nothing; expired or stale: delete at once; live: refuse, unless --force (asked)', () => {
    expect(decideRelease({ kind: 'free' }, { now: t0, force: true })).toEqual({ action: 'none' });
    expect(decideRelease(held(), { now: at(40 * MIN), force: false })).toEqual({ action: 'delete', etag: '"e1"', why: 'expired', confirm: false });
    expect(decideRelease(held(), { now: at(MIN), force: false, stale: true })).toEqual({ action: 'delete', etag: '"e1"', why: 'stale', confirm: false });
    expect(decideRelease(held(), { now: at(MIN), force: false })).toEqual({ action: 'refuse', state: held() });
    expect(decideRelease(held(), { now: at(MIN), force: true })).toEqual({ action: 'delete', etag: '"e1"', why: 'forced', confirm: true });
    const unreadable: LockState = { kind: 'unreadable', etag: '"u"', reason: 'not JSON' };
    expect(decideRelease(unreadable, { now: t0, force: false }).action).toBe('refuse');
    expect(decideRelease(unreadable, { now: t0, force: true })).toMatchObject({ action: 'delete', confirm: true });
  });

  it('property: a live lock that is not stale is only ever deleted with --force and a confirmation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 29 * MIN }), fc.boolean(), (dt, force) => {
        const d = decideRelease(held(), { now: at(dt), force, stale: false });
        expect(d.action).toBe(force ? 'delete' : 'refuse');
        if (d.action === 'delete') expect(d.confirm).toBe(true);
      }),
    );
  });
});

describe('formatting', () => {
  it('durations are short and round down', () => {
    expect([0, 45_000, 12 * MIN, 60 * MIN, 190 * MIN, 47 * 60 * MIN, 52 * 60 * MIN, 72 * 60 * MIN].map(formatDuration)).toEqual([
      '0s',
      '45s',
      '12m',
      '1h',
      '3h10m',
      '47h',
      '2d4h',
      '3d',
    ]);
  });

  it('names holder, target, rev, age and expiry', () => {
    expect(formatHolder(lock())).toBe('alice@laptop (pid 4242)');
    expect(describeLock(lock(), at(5 * MIN))).toBe('alice@laptop (pid 4242), deploying all at 0123456789ab, for 5m, expires in 25m');
    expect(describeLock(lock(), at(42 * MIN))).toMatch(/, for 42m, expired 12m ago$/);
    const r = refusalMessage(held({ target: 'clawdinator-1' }), at(90_000), 's3://b/claw/deploy.lock');
    expect(r.message).toBe('the deploy lock is held by alice@laptop (pid 4242), deploying clawdinator-1 at 0123456789ab, for 1m, expires in 28m');
    expect(r.hint).toMatch(/claw lock status/);
    expect(refusalMessage({ kind: 'unreadable', etag: '"x"', reason: 'not JSON' }, t0, 's3://b/k').message).toBe(
      'the deploy lock s3://b/k is not a lock claw can read (not JSON)',
    );
  });
});
