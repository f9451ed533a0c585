// Bounded concurrency without a dependency: `limit` workers pull the next item until
// none is left. Pure scheduling (no I/O), so it lives in core and every layer reuses it.

/**
 * fn over every item, at most `limit` at once; results in input order. The first
 * failure stops scheduling and is rethrown once the running calls have settled.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachBounded(items, limit, async (item, i) => {
    out[i] = await fn(item, i);
  });
  return out;
}

/**
 * Run fn for each item, at most `limit` at once, until done or `signal` aborts: an
 * abort stops scheduling (items not started are left alone) while the running ones
 * finish or fail on their own. fn is expected to handle its own errors; one that
 * escapes stops scheduling too and is rethrown once the running items have settled.
 * Answers how many items were started.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<number> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !signal?.aborted && !failed) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.error;
  return next;
}

/** At most `n` calls of run() in progress at once; the others wait their turn (FIFO). */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= Math.max(1, n)) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
