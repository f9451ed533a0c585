import { z } from 'zod';

// The deploy lock as data: its record, what an acquire or a release should do given
// what S3 holds, and how a holder is named. No I/O: src/aws/lock.ts does the calls.

/** Where the lock lives in the bootstrap bucket. */
export const LOCK_KEY = 'claw/deploy.lock';
/** A lock not refreshed for this long is expired and may be taken over. */
export const DEFAULT_LOCK_TTL_MS = 30 * 60_000;

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'is not a timestamp');

export const lockRecordSchema = z.object({
  id: z.string().min(1).max(64),
  /** `user@host` of the operator (or bot) holding the lock. */
  holder: z.string().min(1).max(200),
  pid: z.number().int().nonnegative(),
  /** What is being deployed: `all`, a host, or a comma list. */
  target: z.string().max(2_000),
  rev: z.string().max(100),
  acquiredAt: iso,
  expiresAt: iso,
});
export type LockRecord = z.infer<typeof lockRecordSchema>;

/** What the lock object holds right now, as read. */
export type LockState =
  | { kind: 'free' }
  | { kind: 'held'; lock: LockRecord; etag: string }
  /** An object is there but is not a lock record (written by hand?): never guessed at. */
  | { kind: 'unreadable'; etag: string; reason: string };

/** Parse the object's text; anything but a valid record is `unreadable`. */
export function parseLockState(text: string, etag: string): LockState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', etag, reason: 'not JSON' };
  }
  const parsed = lockRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'unreadable', etag, reason: `${issue.path.join('.') || 'record'}: ${issue.message}` };
  }
  return { kind: 'held', lock: parsed.data, etag };
}

export function newLockRecord(o: { id: string; holder: string; pid: number; target: string; rev: string; now: Date; ttlMs: number }): LockRecord {
  return {
    id: o.id,
    holder: o.holder,
    pid: o.pid,
    target: o.target,
    rev: o.rev,
    acquiredAt: o.now.toISOString(),
    expiresAt: new Date(o.now.getTime() + o.ttlMs).toISOString(),
  };
}

/** The same lock, good for another `ttlMs` from `now`. */
export function refreshedRecord(lock: LockRecord, now: Date, ttlMs: number): LockRecord {
  return { ...lock, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
}

export const isExpired = (lock: LockRecord, now: Date): boolean => now.getTime() >= Date.parse(lock.expiresAt);

export type AcquireDecision =
  | { action: 'create' }
  /** Replace the expired (or stale) lock, compare-and-swap on its ETag. */
  | { action: 'takeover'; previous: LockRecord; etag: string; why: 'expired' | 'stale' }
  | { action: 'refuse'; state: Exclude<LockState, { kind: 'free' }> };

/**
 * What a deploy does about the lock it found. `stale` says the holder is known dead
 * (the same user@host, its process gone): that lock may be taken over before expiry.
 */
export function decideAcquire(state: LockState, now: Date, stale = false): AcquireDecision {
  if (state.kind === 'free') return { action: 'create' };
  if (state.kind === 'unreadable') return { action: 'refuse', state };
  if (isExpired(state.lock, now)) return { action: 'takeover', previous: state.lock, etag: state.etag, why: 'expired' };
  if (stale) return { action: 'takeover', previous: state.lock, etag: state.etag, why: 'stale' };
  return { action: 'refuse', state };
}

export type ReleaseDecision =
  | { action: 'none' }
  | { action: 'delete'; etag: string; why: 'expired' | 'stale' | 'forced'; confirm: boolean }
  | { action: 'refuse'; state: Exclude<LockState, { kind: 'free' }> };

/**
 * `claw lock release`: an expired lock, or one whose holding process on this machine
 * is gone, is released as it is; anything else only with --force, after a confirmation.
 */
export function decideRelease(state: LockState, o: { now: Date; force: boolean; stale?: boolean }): ReleaseDecision {
  if (state.kind === 'free') return { action: 'none' };
  if (state.kind === 'held' && isExpired(state.lock, o.now)) return { action: 'delete', etag: state.etag, why: 'expired', confirm: false };
  if (state.kind === 'held' && o.stale) return { action: 'delete', etag: state.etag, why: 'stale', confirm: false };
  if (o.force) return { action: 'delete', etag: state.etag, why: 'forced', confirm: true };
  return { action: 'refuse', state };
}

/** A short duration: 45s, 12m, 3h10m, 2d4h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

export const formatHolder = (lock: Pick<LockRecord, 'holder' | 'pid'>): string => `${lock.holder} (pid ${lock.pid})`;

export interface LockTimes {
  ageMs: number;
  /** Negative once expired. */
  expiresInMs: number;
  expired: boolean;
}

export function lockTimes(lock: LockRecord, now: Date): LockTimes {
  const expiresInMs = Date.parse(lock.expiresAt) - now.getTime();
  return { ageMs: Math.max(0, now.getTime() - Date.parse(lock.acquiredAt)), expiresInMs, expired: expiresInMs <= 0 };
}

/** `alice@laptop (pid 4242), deploying all at 0123456789ab, for 5m, expires in 25m`. */
export function describeLock(lock: LockRecord, now: Date): string {
  const t = lockTimes(lock, now);
  const rev = lock.rev ? ` at ${lock.rev.slice(0, 12)}` : '';
  const expiry = t.expired ? `expired ${formatDuration(-t.expiresInMs)} ago` : `expires in ${formatDuration(t.expiresInMs)}`;
  return `${formatHolder(lock)}, deploying ${lock.target || '?'}${rev}, for ${formatDuration(t.ageMs)}, ${expiry}`;
}

/** The refusal line for a deploy that found the lock held. */
export function refusalMessage(state: Exclude<LockState, { kind: 'free' }>, now: Date, where: string): { message: string; hint: string } {
  if (state.kind === 'unreadable') {
    return {
      message: `the deploy lock ${where} is not a lock claw can read (${state.reason})`,
      hint: 'inspect it, then "claw lock release --force" if nothing is deploying',
    };
  }
  return {
    message: `the deploy lock is held by ${describeLock(state.lock, now)}`,
    hint: 'wait for that deploy to finish ("claw lock status"); "claw lock release --force" only if it is not running',
  };
}
