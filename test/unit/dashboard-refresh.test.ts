import { describe, expect, it } from 'vitest';
import {
  emptySection,
  finishRefresh,
  formatAgo,
  idleClock,
  MAX_BACKOFF_MS,
  mergeSection,
  nextDelayMs,
  staleness,
  startRefresh,
} from '../../src/core/dashboard-refresh.js';

describe('dashboard refresh: staleness and backoff', () => {
  it('keeps the last good value through a failure, and records when and why', () => {
    const good = mergeSection(emptySection<number>(), { ok: true, value: 7 }, 1_000);
    const failed = mergeSection(good, { ok: false, error: 'throttled' }, 11_000);
    expect(failed).toEqual({ value: 7, at: 1_000, error: 'throttled', errorAt: 11_000 });
    expect(mergeSection(failed, { ok: true, value: 8 }, 21_000)).toEqual({ value: 8, at: 21_000, error: null, errorAt: null });
  });

  it('is stale after a failed refresh, and when overdue even without one', () => {
    const s = { at: 0, error: null };
    expect(staleness(s, 10_000, 10_000)).toEqual({ loading: false, stale: false, ageMs: 10_000 });
    expect(staleness(s, 25_001, 10_000).stale).toBe(true);
    expect(staleness({ at: 0, error: 'x' }, 1_000, 10_000)).toEqual({ loading: false, stale: true, ageMs: 1_000 });
    expect(staleness({ at: null, error: null }, 0, 10_000)).toEqual({ loading: true, stale: false, ageMs: null });
    expect(staleness({ at: null, error: 'x' }, 0, 10_000)).toEqual({ loading: false, stale: true, ageMs: null });
  });

  it('backs off by doubling per failure, capped, and resets on success', () => {
    expect([0, 1, 2, 3].map((f) => nextDelayMs(10_000, f))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(nextDelayMs(10_000, 50)).toBe(MAX_BACKOFF_MS);
    expect(nextDelayMs(3_600_000, 3)).toBe(3_600_000);
    let c = startRefresh(idleClock(), 5);
    expect(c).toMatchObject({ inFlight: true, lastAttemptAt: 5 });
    c = finishRefresh(c, 6, ['a', 'b', 'a']);
    expect(c).toMatchObject({ inFlight: false, failures: 1, errors: ['a', 'b'], lastSuccessAt: null });
    c = finishRefresh(startRefresh(c, 7), 8, ['a']);
    expect(c.failures).toBe(2);
    expect(finishRefresh(startRefresh(c, 9), 10, [])).toMatchObject({ failures: 0, errors: [], lastSuccessAt: 10 });
  });

  it('formats ages compactly', () => {
    expect([0, 4_999, 60_000, 754_000, 3_600_000, 5_400_000, 3 * 86_400_000].map(formatAgo)).toEqual(['0s', '4s', '1m', '12m34s', '1h', '1h30m', '3d']);
  });
});
