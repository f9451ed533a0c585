import { UsageError } from './errors.js';

// How often a deploy may ask SSM about one host. Backoff keeps a quick switch quick
// (first look after 2s) while a long one settles at one call per interval; the call
// budget is a hard cap, so a fleet of N hosts costs at most N * maxCalls
// GetCommandInvocation calls whatever happens (InvocationDoesNotExist retries included).

export interface PollBudget {
  initialMs: number;
  factor: number;
  maxIntervalMs: number;
  /** Give up on the host (a `host-timeout`) after this long. */
  timeoutMs: number;
  /** Hard cap on GetCommandInvocation calls for one host within timeoutMs. */
  maxCalls: number;
}

/** 2s doubling to 30s; a switch may download and build for a while, so 30 minutes. */
export const DEFAULT_POLL_BUDGET: PollBudget = {
  initialMs: 2_000,
  factor: 2,
  maxIntervalMs: 30_000,
  timeoutMs: 30 * 60_000,
  maxCalls: 90,
};

export interface PollSchedule {
  /** Wait delaysMs[i] before call i; the waits add up to exactly timeoutMs. */
  delaysMs: number[];
  /** The interval the tail settled at: maxIntervalMs, or more when the budget demanded it. */
  intervalMs: number;
}

/**
 * The full schedule for one host. When backoff capped at maxIntervalMs would need more
 * than maxCalls calls to cover the timeout, the interval is stretched rather than the
 * timeout shortened: a slow switch is never declared timed out just to save calls.
 */
export function pollSchedule(budget: PollBudget = DEFAULT_POLL_BUDGET): PollSchedule {
  const { initialMs, factor, maxIntervalMs, timeoutMs, maxCalls } = budget;
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  if (!whole(initialMs) || !whole(maxIntervalMs) || !whole(timeoutMs) || !whole(maxCalls) || !(factor >= 1) || initialMs > maxIntervalMs) {
    throw new UsageError('poll budget: times and calls must be whole numbers >= 1, factor >= 1, initial <= max interval');
  }
  const ramp: number[] = [];
  let elapsed = 0;
  for (let d = initialMs; d < maxIntervalMs && elapsed + d < timeoutMs; d = Math.ceil(d * factor)) {
    ramp.push(d);
    elapsed += d;
    if (factor === 1) break;
  }
  const remaining = timeoutMs - elapsed;
  const slots = maxCalls - ramp.length;
  if (slots < 1) throw new UsageError(`poll budget: ${maxCalls} calls cannot cover the backoff ramp (${ramp.length + 1} needed)`);
  const intervalMs = Math.max(maxIntervalMs, Math.ceil(remaining / slots));
  const delaysMs = [...ramp];
  for (let left = remaining; left > 0; left -= intervalMs) delaysMs.push(Math.min(intervalMs, left));
  return { delaysMs, intervalMs };
}
