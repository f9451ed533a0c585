import type { DashboardState } from './dashboard-types.js';

// When the dashboard must draw again although nothing happened: the next moment a
// time label on screen changes (an age ticking over, a section turning stale, a notice
// fading). An idle dashboard with fresh data then draws a few times a minute, not
// every second. Pure: the shell sets one timer from it.

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Never more often than once a second, never less than once a minute. */
export const MIN_TICK_MS = SECOND;
export const MAX_TICK_MS = MINUTE;

/** Until an age label changes: seconds under a minute, then minutes, then hours (formatAgo's units or coarser). */
export function untilAgeLabelChanges(ageMs: number): number {
  const age = Math.abs(ageMs);
  if (age < MINUTE) return SECOND - (age % SECOND);
  if (age < 48 * HOUR) return MINUTE - (age % MINUTE);
  return HOUR - (age % HOUR);
}

const ms = (iso: string) => Date.parse(iso);

/** Milliseconds until the next frame the clock alone makes different. */
export function nextTickMs(s: DashboardState): number {
  const now = s.now;
  const waits: number[] = [];
  const age = (at: number | null) => at !== null && waits.push(untilAgeLabelChanges(now - at));
  // Views with a running clock of their own: every second.
  if (s.rollout?.status === 'running' || s.mode.kind === 'detail' || s.refresh.errors.length > 0) waits.push(SECOND);
  if (s.flash) waits.push(s.flash.until - now);
  // The refresh age shows from a minute on (the time itself always).
  if (s.refresh.lastSuccessAt !== null) {
    const a = now - s.refresh.lastSuccessAt;
    waits.push(a < MINUTE ? MINUTE - a : untilAgeLabelChanges(a));
  }
  // A section turns STALE at two intervals (and 5 s) without a good read; then its age shows.
  for (const sec of [s.fleet, s.retention, s.history, s.lock]) {
    if (sec.at === null) continue;
    const staleAt = sec.at + 2 * s.intervalMs + 5_000;
    if (sec.error !== null || now >= staleAt) age(sec.at);
    else waits.push(staleAt - now);
  }
  const lock = s.lock.value;
  if (lock?.kind === 'held') {
    age(ms(lock.lock.acquiredAt));
    age(ms(lock.lock.expiresAt));
  }
  for (const r of s.history.value ?? []) age(ms(r.finishedAt));
  for (const r of s.rows) if (r.backupAt) age(ms(r.backupAt));
  return Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, ...(waits.length ? [Math.min(...waits)] : [MAX_TICK_MS])));
}
