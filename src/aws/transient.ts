import { setTimeout as wait } from 'node:timers/promises';

// Errors that say "AWS (or the way to it) had a moment", not "no": throttling, a 5xx,
// a dropped or timed-out connection. The SDK has already retried them; claw tries a
// few more times only where giving up leaves damage behind (a lost history record, a
// lock left held, a poll that would fail a host whose switch is running fine) and where
// trying again is safe (the call is a read, or idempotent).

const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'SlowDown', 'TooManyRequestsException', 'RequestThrottled']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

type AwsLike = Error & { code?: string; $metadata?: { httpStatusCode?: number } };

export function isTransientAwsError(err: unknown): boolean {
  if (!(err instanceof Error) || err.name === 'AbortError') return false;
  const e = err as AwsLike;
  if (THROTTLED.has(e.name) || e.name === 'TimeoutError') return true;
  if (e.code !== undefined && NETWORK.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

export interface RetryOptions {
  /** Tries in all (default 4). */
  tries?: number | undefined;
  /** Wait before the second try, doubled each time after (default 200 ms). */
  delayMs?: number | undefined;
  /** Aborts the wait between tries (an AbortError). */
  signal?: AbortSignal | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** `fn()`, tried again after a transient failure; any other error, or the last one, is thrown. */
export async function retryTransient<T>(fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const tries = o.tries ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= tries || !isTransientAwsError(err)) throw err;
      const ms = (o.delayMs ?? 200) * 2 ** (attempt - 1);
      await (o.sleep ? o.sleep(ms) : wait(ms, undefined, { signal: o.signal }));
    }
  }
}
