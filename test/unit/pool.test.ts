import { describe, expect, it } from 'vitest';
import { forEachBounded, limiter, mapBounded } from '../../src/core/pool.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('bounded concurrency', () => {
  it('mapBounded keeps input order and never runs more than the limit', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, n));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
  });

  it('the first failure stops scheduling; it is rethrown after the running calls settle', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = mapBounded([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      settled++;
      if (n === 1) throw new Error('boom');
      return n;
    });
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual([0, 1, 2]);
    expect(settled).toBe(started.length);
  });

  it('an abort stops scheduling; what runs finishes; answers how many started', async () => {
    const controller = new AbortController();
    const done: number[] = [];
    const started = await forEachBounded(
      [0, 1, 2, 3, 4, 5, 6, 7],
      3,
      async (n) => {
        if (n === 2) controller.abort();
        await tick();
        done.push(n);
      },
      controller.signal,
    );
    expect(started).toBe(3);
    expect(done.sort()).toEqual([0, 1, 2]);
  });

  it('limiter lets n run at once, the rest wait in order', async () => {
    const run = limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        run(async () => {
          peak = Math.max(peak, ++active);
          order.push(n);
          await tick();
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // A failure frees its slot.
    await expect(run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await run(async () => 'next')).toBe('next');
  });
});
