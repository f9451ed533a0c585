import { describe, expect, it } from 'vitest';
import { update } from '../../src/core/dashboard-keys.js';
import { MAX_TICK_MS, MIN_TICK_MS, nextTickMs, untilAgeLabelChanges } from '../../src/core/dashboard-clock.js';
import { initialState } from '../../src/core/dashboard-state.js';
import { type DashboardState, type Msg } from '../../src/core/dashboard-types.js';
import { failedRefresh, goodRefresh, HEAD, NOW } from '../helpers/dashboard-fixture.js';

// The dashboard draws again on its own only when a time label on screen changes.

const fold = (s: DashboardState, ...msgs: Msg[]) => msgs.reduce((acc, m) => update(acc, m).state, s);
const loaded = (result = goodRefresh()) => fold(initialState({ intervalMs: 10_000, readonly: false, now: NOW }), { type: 'refreshed', at: NOW, result });
const at = (s: DashboardState, now: number) => fold(s, { type: 'tick', now });

describe('dashboard clock', () => {
  it('changes an age label at the next second under a minute, then the next minute, then the next hour', () => {
    expect(untilAgeLabelChanges(0)).toBe(1_000);
    expect(untilAgeLabelChanges(4_300)).toBe(700);
    expect(untilAgeLabelChanges(90_000)).toBe(30_000);
    expect(untilAgeLabelChanges(3 * 86_400_000 + 1_000)).toBe(3_599_000);
  });

  it('with fresh data, waits until the data would turn stale, not a second', () => {
    // Sections turn STALE 2 intervals + 5 s after their read; the deploy history is 3 h old (minutes).
    expect(nextTickMs(loaded())).toBe(25_000);
    expect(nextTickMs(at(loaded(), NOW + 10_000))).toBe(15_000);
  });

  it('counts seconds while the data is stale, a refresh failed, a deploy runs or a host is open', () => {
    expect(nextTickMs(at(loaded(), NOW + 26_000))).toBe(MIN_TICK_MS);
    expect(nextTickMs(fold(loaded(), { type: 'refreshed', at: NOW + 1_000, result: failedRefresh('x') }))).toBe(MIN_TICK_MS);
    expect(nextTickMs(fold(loaded(), { type: 'key', key: { input: '', enter: true } }))).toBe(MIN_TICK_MS);
    const running = fold(
      loaded(),
      { type: 'key', key: { input: 'd' } },
      { type: 'plan-ready', host: 'clawdinator-1', text: 'P', fingerprint: 'F', sha: HEAD },
      { type: 'key', key: { input: 'y' } },
    );
    expect(nextTickMs(running)).toBe(MIN_TICK_MS);
  });

  it("wakes for a notice to fade, and for a held lock's age", () => {
    expect(nextTickMs(fold(loaded(), { type: 'notice', text: 'hi' }))).toBe(4_000);
    const held = {
      kind: 'held' as const,
      etag: '"e"',
      lock: {
        id: 'x',
        holder: 'bob@ci',
        pid: 7,
        target: 'all',
        rev: HEAD,
        acquiredAt: new Date(NOW - 20_500).toISOString(),
        expiresAt: new Date(NOW + 1_800_000).toISOString(),
      },
    };
    // its age (20.5 s) ticks over in 500 ms: a second at most, as always
    expect(nextTickMs(loaded({ ...goodRefresh(), lock: { ok: true, value: held } }))).toBe(MIN_TICK_MS);
  });

  it('shows the refresh age from a minute on, at minute steps, and never waits more than a minute', () => {
    // No history, no lock: the refresh age and the stale sections' ages are all there is.
    const quiet = loaded({ ...goodRefresh(), history: { ok: true, value: [] } });
    expect(nextTickMs(fold({ ...quiet, intervalMs: 3_600_000 }, { type: 'tick', now: NOW + 30_000 }))).toBe(30_000);
    expect(nextTickMs(fold({ ...quiet, intervalMs: 3_600_000 }, { type: 'tick', now: NOW + 75_000 }))).toBe(45_000);
    expect(nextTickMs({ ...initialState({ intervalMs: 10_000, readonly: false, now: NOW }) })).toBe(MAX_TICK_MS);
  });
});
