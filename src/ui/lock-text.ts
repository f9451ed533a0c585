import { formatDuration, formatHolder, lockTimes, type LockState } from '../core/lock.js';
import type { Styler } from './style.js';

// `claw lock status` as a JSON document and as plain text.

/** The `--json` document of `claw lock status` (and the `lock` of `claw lock release --json`). */
export interface LockStatusDocument {
  bucket: string;
  key: string;
  state: 'free' | 'held' | 'expired' | 'unreadable';
  holder?: string;
  pid?: number;
  target?: string;
  rev?: string;
  acquiredAt?: string;
  expiresAt?: string;
  ageSeconds?: number;
  /** Negative once expired. */
  expiresInSeconds?: number;
  id?: string;
  /** Why an unreadable lock object could not be read. */
  reason?: string;
}

export function lockStatusDocument(state: LockState, place: { bucket: string; key: string }, now: Date): LockStatusDocument {
  if (state.kind === 'free') return { ...place, state: 'free' };
  if (state.kind === 'unreadable') return { ...place, state: 'unreadable', reason: state.reason };
  const { lock } = state;
  const t = lockTimes(lock, now);
  return {
    ...place,
    state: t.expired ? 'expired' : 'held',
    holder: lock.holder,
    pid: lock.pid,
    target: lock.target,
    rev: lock.rev,
    acquiredAt: lock.acquiredAt,
    expiresAt: lock.expiresAt,
    ageSeconds: Math.round(t.ageMs / 1000),
    expiresInSeconds: Math.round(t.expiresInMs / 1000),
    id: lock.id,
  };
}

export function renderLockStatus(state: LockState, place: { bucket: string; key: string }, now: Date, paint: Styler): string {
  const where = `s3://${place.bucket}/${place.key}`;
  if (state.kind === 'free') return `${paint('green', 'free')}: no deploy holds the lock (${where})`;
  if (state.kind === 'unreadable') {
    return `${paint('red', 'unreadable')}: ${where} is not a lock claw can read (${state.reason}); deploys are refused until "claw lock release --force"`;
  }
  const { lock } = state;
  const t = lockTimes(lock, now);
  const head = t.expired
    ? `${paint('yellow', 'expired')}: held by ${formatHolder(lock)}, expired ${formatDuration(-t.expiresInMs)} ago; the next deploy takes it over`
    : `${paint('yellow', 'held')} by ${formatHolder(lock)}`;
  const rows: [string, string][] = [
    ['target', lock.target || '-'],
    ['rev', lock.rev || '-'],
    ['age', `${formatDuration(t.ageMs)} (since ${lock.acquiredAt})`],
    ['expiry', t.expired ? `${lock.expiresAt} (${formatDuration(-t.expiresInMs)} ago)` : `${lock.expiresAt} (in ${formatDuration(t.expiresInMs)})`],
    ['lock', where],
  ];
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(7)} ${v}`)].join('\n');
}
