import { randomUUID } from 'node:crypto';
import { RefusedError, RemoteError, UsageError } from '../core/errors.js';
import {
  DEFAULT_LOCK_TTL_MS,
  LOCK_KEY,
  decideAcquire,
  describeLock,
  newLockRecord,
  parseLockState,
  refreshedRecord,
  refusalMessage,
  type LockRecord,
  type LockState,
} from '../core/lock.js';
import type { EventSink } from '../core/events.js';
import type { S3Api } from './clients.js';
import { deleteCas, readCas, writeCas, type CasObject } from './s3-cas.js';
import { retryTransient } from './transient.js';

// The deploy lock: one S3 object, created with If-None-Match: * (one creator wins),
// replaced and refreshed with If-Match: <ETag> (compare-and-swap), deleted with If-Match
// after checking it is still ours. src/core/lock.ts decides; this does.

export interface LockPlace {
  bucket: string;
  key?: string | undefined; // default LOCK_KEY, `claw/deploy.lock`
}

export interface AcquireOptions extends LockPlace {
  holder: string; // `user@host` of whoever deploys
  pid: number;
  target: string;
  rev: string;
  ttlMs?: number | undefined;
  now?: (() => Date) | undefined;
  id?: string | undefined; // the new lock's id, default a random UUID
  /** True when the lock's holder is known dead (same user@host, process gone): taken over before expiry. */
  isStale?: ((lock: LockRecord) => boolean) | undefined;
}

export interface HeldLock {
  bucket: string;
  key: string;
  record: LockRecord;
  etag: string; // our object's: every later write and the delete are conditional on it
  ttlMs: number;
  /** Set when an expired or stale lock was replaced: whose, and why. */
  tookOver?: { previous: LockRecord; why: 'expired' | 'stale' } | undefined;
}

/** Our lock was released or taken over by someone else while we held it. */
export class LockLostError extends RefusedError {}

export const missingBucket = (bucket: string) =>
  new UsageError(
    `bucket s3://${bucket} does not exist (config key bootstrapBucket)`,
    'set bootstrapBucket in claw.config.json or CLAW_BOOTSTRAP_BUCKET; "claw config" shows the value in use',
  );

const objectOf = (p: LockPlace): CasObject => ({ Bucket: p.bucket, Key: p.key ?? LOCK_KEY, missingBucket: () => missingBucket(p.bucket) });

/** What the lock object holds now: free, a record with its ETag, or unreadable. */
export async function readLock(s3: S3Api, place: LockPlace): Promise<LockState> {
  const found = await readCas(s3, objectOf(place));
  return found === undefined ? { kind: 'free' } : parseLockState(found.text, found.etag);
}

const ATTEMPTS = 5;
/**
 * Take the lock, or throw RefusedError naming who holds it. A free lock is created
 * (If-None-Match: *); an expired or stale one is replaced (If-Match: its ETag). When
 * another process wins the race in between, the state is read again and decided anew.
 */
export async function acquireLock(s3: S3Api, o: AcquireOptions): Promise<HeldLock> {
  const object = objectOf(o);
  const { Bucket, Key } = object;
  const now = o.now ?? (() => new Date());
  const ttlMs = o.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const id = o.id ?? randomUUID();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const state = await readLock(s3, o);
    const decision = decideAcquire(state, now(), state.kind === 'held' && (o.isStale?.(state.lock) ?? false));
    if (decision.action === 'refuse') {
      const { message, hint } = refusalMessage(decision.state, now(), `s3://${Bucket}/${Key}`);
      throw new RefusedError(message, hint);
    }
    const record = newLockRecord({ id, holder: o.holder, pid: o.pid, target: o.target, rev: o.rev, now: now(), ttlMs });
    const written = await writeCas(s3, object, JSON.stringify(record), decision.action === 'create' ? 'absent' : { etag: decision.etag });
    // Someone else created, replaced or deleted it since we read it: look again.
    if (written === 'conflict') continue;
    const tookOver = decision.action === 'takeover' ? { previous: decision.previous, why: decision.why } : undefined;
    return { bucket: Bucket, key: Key, record, etag: written.etag, ttlMs, tookOver };
  }
  throw new RemoteError(`the deploy lock s3://${Bucket}/${Key} changed ${ATTEMPTS} times while claw tried to take it`, 'try again');
}

function lostError(state: LockState, now: Date): LockLostError {
  const current = state.kind === 'held' ? `; it is now held by ${describeLock(state.lock, now)}` : state.kind === 'free' ? '; it is now free' : '';
  return new LockLostError(`lost the deploy lock (it was released or taken over)${current}`, 'see "claw lock status"; the rollout stopped where it was');
}

/**
 * Push the lock's expiry to now + ttl, compare-and-swap on our ETag. Throws
 * LockLostError when the object is no longer ours. A 412 caused by our own earlier
 * write (its answer lost on the way back) is recognised by the lock's id.
 */
export async function refreshLock(s3: S3Api, held: HeldLock, now: Date = new Date()): Promise<HeldLock> {
  const record = refreshedRecord(held.record, now, held.ttlMs);
  const object = objectOf(held);
  for (let etag = held.etag, attempt = 0; ; attempt++) {
    const written = await writeCas(s3, object, JSON.stringify(record), { etag });
    if (written !== 'conflict') return { ...held, record, etag: written.etag };
    const state = await readLock(s3, held);
    if (state.kind !== 'held' || state.lock.id !== held.record.id) throw lostError(state, now);
    if (attempt > 0) throw new RemoteError(`the deploy lock s3://${object.Bucket}/${object.Key} kept changing while claw refreshed it`);
    etag = state.etag;
  }
}

/** Delete the lock object only while its ETag is `etag` (s3-cas.ts). */
export const deleteLockIfUnchanged = (s3: S3Api, place: LockPlace, etag: string) => deleteCas(s3, objectOf(place), etag);

/**
 * Release our lock: re-read it, and delete it only if it still carries our id (and
 * has not changed since that read). `not-ours` means someone took it over: left alone.
 */
export async function releaseLock(s3: S3Api, held: LockPlace & { record: Pick<LockRecord, 'id'> }): Promise<'released' | 'gone' | 'not-ours'> {
  const state = await readLock(s3, held);
  if (state.kind === 'free') return 'gone';
  if (state.kind !== 'held' || state.lock.id !== held.record.id) return 'not-ours';
  const outcome = await deleteLockIfUnchanged(s3, held, state.etag);
  return outcome === 'deleted' ? 'released' : outcome === 'gone' ? 'gone' : 'not-ours';
}

export interface DeployLockOptions extends AcquireOptions {
  signal?: AbortSignal | undefined; // Ctrl-C: aborts the body's signal; the lock is still released
  /** An S3 client NOT bound to `signal`, for the release after an abort (default `s3`). */
  cleanupS3?: S3Api | undefined;
  /** Takeovers, refresh and release trouble are `warning` events here. */
  events?: EventSink | undefined;
  refreshEveryMs?: number | undefined; // default ttl / 3
}

export interface ActiveLock {
  readonly record: LockRecord; // as last written: expiresAt moves on each refresh
  readonly signal: AbortSignal; // aborts on Ctrl-C and when the lock is lost: stop touching hosts
  readonly tookOver: HeldLock['tookOver'];
}

/**
 * Run `body` holding the deploy lock: acquire (or RefusedError naming the holder),
 * refresh every ttl/3, release afterwards whatever happened (success, failure, abort).
 * A lost lock aborts the body's signal and is the error thrown.
 */
export async function withDeployLock<T>(s3: S3Api, o: DeployLockOptions, body: (lock: ActiveLock) => Promise<T>): Promise<T> {
  const warn = (message: string) => o.events?.emit({ type: 'warning', message });
  const now = o.now ?? (() => new Date());
  o.signal?.throwIfAborted();
  const id = o.id ?? randomUUID();
  let held: HeldLock;
  try {
    held = await acquireLock(s3, { ...o, id });
  } catch (err) {
    // Aborted mid-put: the write may have landed. Remove it if it is ours.
    if (o.signal?.aborted) await releaseLock(o.cleanupS3 ?? s3, { ...o, record: { id } }).catch(() => {});
    throw err;
  }
  if (held.tookOver)
    warn(
      `took over the deploy lock from ${describeLock(held.tookOver.previous, now())} (${held.tookOver.why === 'stale' ? 'its process on this machine is gone' : 'it had expired'})`,
    );

  const inner = new AbortController();
  const onAbort = () => inner.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let lost: LockLostError | undefined;
  let refreshing: Promise<void> | undefined;
  const tick = async () => {
    try {
      held = await refreshLock(s3, held, now());
    } catch (err) {
      if (inner.signal.aborted) return;
      lost =
        err instanceof LockLostError
          ? err
          : now() >= new Date(held.record.expiresAt)
            ? new LockLostError(`the deploy lock expired: it could not be refreshed (${(err as Error).message})`)
            : undefined;
      if (lost) inner.abort(lost);
      else warn(`could not refresh the deploy lock (${(err as Error).message}); trying again`);
    }
  };
  const timer = setInterval(
    () => {
      if (!refreshing && !inner.signal.aborted) refreshing = tick().finally(() => (refreshing = undefined));
    },
    o.refreshEveryMs ?? Math.max(1_000, held.ttlMs / 3),
  );

  try {
    const result = await body({
      get record() {
        return held.record;
      },
      signal: inner.signal,
      tookOver: held.tookOver,
    });
    if (lost) warn(lost.message);
    return result;
  } catch (err) {
    throw lost ?? err;
  } finally {
    clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
    await refreshing;
    if (!lost) {
      try {
        // Releasing re-reads and compares the id first, so it is safe to try again.
        if ((await retryTransient(() => releaseLock(o.cleanupS3 ?? s3, held))) === 'not-ours')
          warn('the deploy lock was taken over before claw released it; left in place');
      } catch (err) {
        warn(`could not release the deploy lock (${(err as Error).message}); it expires at ${held.record.expiresAt}, or run "claw lock release"`);
      }
    }
  }
}
