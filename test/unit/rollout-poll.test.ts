import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { DEFAULT_POLL_BUDGET, pollSchedule } from '../../src/core/rollout-poll.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('pollSchedule', () => {
  it('default: 2s doubling to 30s, covering 30 minutes in 63 calls (cap 90)', () => {
    const { delaysMs, intervalMs } = pollSchedule();
    expect(delaysMs.slice(0, 6)).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    expect(intervalMs).toBe(30_000);
    expect(sum(delaysMs)).toBe(DEFAULT_POLL_BUDGET.timeoutMs);
    expect(delaysMs).toHaveLength(63);
  });

  it('stretches the interval rather than the call count when the budget is tight', () => {
    const { delaysMs, intervalMs } = pollSchedule({ ...DEFAULT_POLL_BUDGET, maxCalls: 20 });
    expect(delaysMs.slice(0, 4)).toEqual([2000, 4000, 8000, 16000]);
    expect(intervalMs).toBe(Math.ceil((1_800_000 - 30_000) / 16));
    expect(delaysMs.length).toBeLessThanOrEqual(20);
    expect(sum(delaysMs)).toBe(1_800_000);
  });

  it('a short timeout ends on the timeout exactly', () => {
    expect(pollSchedule({ ...DEFAULT_POLL_BUDGET, timeoutMs: 10_000 }).delaysMs).toEqual([2000, 4000, 4000]);
    expect(pollSchedule({ ...DEFAULT_POLL_BUDGET, timeoutMs: 1_000 }).delaysMs).toEqual([1000]);
  });

  it('refuses budgets that cannot work', () => {
    expect(() => pollSchedule({ ...DEFAULT_POLL_BUDGET, maxCalls: 4 })).toThrow(/cannot cover the backoff ramp/);
    expect(() => pollSchedule({ ...DEFAULT_POLL_BUDGET, maxCalls: 0 })).toThrow(UsageError);
    expect(() => pollSchedule({ ...DEFAULT_POLL_BUDGET, factor: 0.5 })).toThrow(UsageError);
    expect(() => pollSchedule({ ...DEFAULT_POLL_BUDGET, initialMs: 60_000 })).toThrow(UsageError);
  });

  it('a short budget: the ramp, then what is left of the timeout', () => {
    expect(pollSchedule({ ...DEFAULT_POLL_BUDGET, timeoutMs: 10_000 }).delaysMs).toEqual([2000, 4000, 4000]);
  });

  it('any valid budget: within maxCalls, sums to the timeout, non-decreasing until the last wait (property)', () => {
    const budget = fc.record({
      initialMs: fc.integer({ min: 1, max: 5_000 }),
      factor: fc.double({ min: 1, max: 4, noNaN: true }),
      maxIntervalMs: fc.integer({ min: 5_000, max: 60_000 }),
      timeoutMs: fc.integer({ min: 1, max: 7_200_000 }),
      maxCalls: fc.integer({ min: 1, max: 500 }),
    });
    fc.assert(
      fc.property(budget, (b) => {
        let s;
        try {
          s = pollSchedule(b);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          return;
        }
        expect(s.delaysMs.length).toBeLessThanOrEqual(b.maxCalls);
        expect(sum(s.delaysMs)).toBe(b.timeoutMs);
        expect(s.delaysMs.every((d) => d >= 1)).toBe(true);
        const body = s.delaysMs.slice(0, -1);
        expect(body).toEqual([...body].sort((x, y) => x - y));
      }),
      { numRuns: 500 },
    );
  });
});
