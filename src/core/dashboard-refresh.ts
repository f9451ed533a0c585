// How the dashboard refreshes and how it tells the truth about its data: each
// section keeps its last good value with the time it was read; a failed refresh keeps
// that value and records the error; failures back off. Pure: the clock is an argument.

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Section<T> {
  value: T | null;
  /** When `value` was read (epoch ms). */
  at: number | null;
  /** The failure of the latest attempt since `value` was read, if it failed. */
  error: string | null;
  errorAt: number | null;
}

export const emptySection = <T>(): Section<T> => ({ value: null, at: null, error: null, errorAt: null });

/** A success replaces the value; a failure keeps the last good value and records why. */
export function mergeSection<T>(s: Section<T>, o: Outcome<T>, at: number): Section<T> {
  return o.ok ? { value: o.value, at, error: null, errorAt: null } : { ...s, error: o.error, errorAt: at };
}

export interface RefreshClock {
  inFlight: boolean;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  /** Failed refreshes in a row (0 after a success). */
  failures: number;
  /** Distinct errors of the latest refresh, when it failed. */
  errors: string[];
}

export const idleClock = (): RefreshClock => ({ inFlight: false, lastAttemptAt: null, lastSuccessAt: null, failures: 0, errors: [] });

/** The longest wait between refreshes while failing (unless the interval itself is longer). */
export const MAX_BACKOFF_MS = 5 * 60_000;

/** Wait before the next refresh: the interval, doubled per failure in a row, capped. */
export function nextDelayMs(intervalMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  return Math.max(intervalMs, Math.min(intervalMs * 2 ** Math.min(failures, 20), MAX_BACKOFF_MS));
}

export function startRefresh(c: RefreshClock, at: number): RefreshClock {
  return { ...c, inFlight: true, lastAttemptAt: at };
}

export function finishRefresh(c: RefreshClock, at: number, errors: readonly string[]): RefreshClock {
  const distinct = [...new Set(errors)];
  return distinct.length
    ? { ...c, inFlight: false, failures: c.failures + 1, errors: distinct }
    : { ...c, inFlight: false, lastSuccessAt: at, failures: 0, errors: [] };
}

export interface Staleness {
  /** Never read yet. */
  loading: boolean;
  /** The value is not what the latest attempt would show: it failed, or it is overdue. */
  stale: boolean;
  /** Age of the value in ms (null when there is none). */
  ageMs: number | null;
}

/**
 * Whether a section's value can be trusted as current. Stale when the latest attempt
 * failed, or when the value is older than two intervals (a refresh that hangs must not
 * leave old data looking fresh).
 */
export function staleness(s: Pick<Section<unknown>, 'at' | 'error'>, now: number, intervalMs: number): Staleness {
  if (s.at === null) return { loading: s.error === null, stale: s.error !== null, ageMs: null };
  const ageMs = Math.max(0, now - s.at);
  return { loading: false, stale: s.error !== null || ageMs > 2 * intervalMs + 5_000, ageMs };
}

/** `4s`, `12m`, `3h` ago: the age labels tick once a second at most. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}
