import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostId } from '../../src/core/deploy-target.js';
import { initialRolloutState, nextActions, planRollout, reduceRollout, rolloutResult, type RolloutEvent, type RolloutState } from '../../src/core/rollout.js';

// A random driver over random fleets: it starts offered hosts and finishes running ones
// in an arbitrary order with arbitrary outcomes (and sometimes an interrupt), and the
// safety invariants are checked after every single event.

const POOL = ['clawdinator-1', 'clawdinator-2', 'clawdinator-3', 'babelfish', 'h-a', 'h-b', 'h-c', 'h-d', 'h-e'] as HostId[];
type Outcome = 'ok' | 'fail' | 'timeout';

const scenario = fc.record({
  target: fc.shuffledSubarray(POOL, { minLength: 1 }),
  canaryOrder: fc.array(fc.constantFrom(...POOL, 'not-in-registry'), { maxLength: 4 }),
  overrideCanary: fc.boolean(),
  parallel: fc.integer({ min: 1, max: 4 }),
  outcomes: fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'fail', 'timeout'), { minLength: POOL.length, maxLength: POOL.length }),
  choices: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
  interruptAt: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
});

type ScenarioValue = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
interface Trace {
  state: RolloutState;
  log: RolloutEvent[];
  maxInFlight: number;
}

function drive(s: ScenarioValue): Trace {
  const canary = s.overrideCanary ? s.target.slice(0, 1) : undefined;
  const plan = planRollout({ hosts: s.target, canaryOrder: s.canaryOrder, canary, parallel: s.parallel });
  let state = initialRolloutState(plan);
  const log: RolloutEvent[] = [];
  let maxInFlight = 0;
  const apply = (e: RolloutEvent) => {
    state = reduceRollout(state, e);
    log.push(e);
    checkStep(state, log, plan.canaries);
    maxInFlight = Math.max(maxInFlight, nextActions(state).running.length);
  };
  for (let step = 0; ; step++) {
    const next = nextActions(state);
    if (next.finished) break;
    if (step === s.interruptAt) apply({ type: 'interrupted', reason: 'interrupted (Ctrl-C)' });
    const c = s.choices[step % s.choices.length]!;
    const now = nextActions(state);
    if (now.start.length && (now.running.length === 0 || c % 2 === 0)) {
      apply({ type: 'host-started', host: now.start[c % now.start.length]!, at: step });
    } else if (now.running.length) {
      const host = now.running[c % now.running.length]!;
      const outcome = s.outcomes[POOL.indexOf(host)]!;
      apply(
        outcome === 'ok'
          ? { type: 'host-succeeded', host, at: step }
          : outcome === 'fail'
            ? { type: 'host-failed', host, reason: 'exit 1', outputTail: ['boom'], at: step }
            : { type: 'host-timeout', host, afterMs: 1000, at: step },
      );
    }
    expect(step).toBeLessThan(10 * POOL.length);
  }
  return { state, log, maxInFlight };
}

/** Invariants that must hold after every event. */
function checkStep(state: RolloutState, log: RolloutEvent[], canaries: HostId[]): void {
  // (a) nothing starts after a failure, and the reducer refuses any attempt to.
  const firstFailure = log.findIndex((e) => e.type === 'host-failed' || e.type === 'host-timeout');
  if (firstFailure !== -1) {
    expect(log.slice(firstFailure).some((e) => e.type === 'host-started')).toBe(false);
    for (const h of state.hosts.filter((x) => x.status === 'pending')) {
      expect(() => reduceRollout(state, { type: 'host-started', host: h.host })).toThrow(/refusing to start/);
    }
  }
  // (b) a running canary runs alone; no non-canary runs before every canary succeeded.
  const running = state.hosts.filter((h) => h.status === 'running');
  if (running.some((h) => canaries.includes(h.host))) expect(running).toHaveLength(1);
  const started = log.filter((e) => e.type === 'host-started').map((e) => e.host);
  const firstOther = started.findIndex((h) => !canaries.includes(h));
  if (firstOther !== -1) {
    expect(started.slice(0, firstOther)).toEqual(canaries);
    expect(state.hosts.filter((h) => h.role === 'canary').every((h) => h.status === 'succeeded')).toBe(true);
  }
  // (c) never more than --parallel in flight.
  expect(running.length).toBeLessThanOrEqual(state.plan.parallel);
}

describe('rollout safety (property)', () => {
  it('never starts after a failure, canaries first and alone, at most N in flight, one final state each', () => {
    fc.assert(
      fc.property(scenario, (s: ScenarioValue) => {
        const { state, log, maxInFlight } = drive(s);
        expect(maxInFlight).toBeLessThanOrEqual(s.parallel);
        const result = rolloutResult(state);
        // (d) every target host exactly once, in exactly one final state.
        expect(result.hosts.map((h) => h.host).sort()).toEqual([...new Set(s.target)].sort());
        const started = new Set(log.filter((e) => e.type === 'host-started').map((e) => e.host));
        for (const h of result.hosts) {
          expect(['succeeded', 'failed', 'skipped']).toContain(h.status);
          expect(started.has(h.host)).toBe(h.status !== 'skipped');
          if (h.status === 'skipped') expect(h.reason).toMatch(/^not started: /);
        }
        // Hosts not started when the first failure came are all skipped.
        const failedAt = log.findIndex((e) => e.type === 'host-failed' || e.type === 'host-timeout');
        if (failedAt !== -1) {
          const before = new Set(
            log
              .slice(0, failedAt)
              .filter((e) => e.type === 'host-started')
              .map((e) => e.host),
          );
          expect(result.hosts.filter((h) => !before.has(h.host)).every((h) => h.status === 'skipped')).toBe(true);
          expect(result.outcome).toBe('failed');
        }
        // (e) no failure and no interrupt: everyone succeeds.
        const anyFailed = result.hosts.some((h) => h.status === 'failed');
        if (!anyFailed && !log.some((e) => e.type === 'interrupted')) {
          expect(result.outcome).toBe('succeeded');
          expect(result.hosts.every((h) => h.status === 'succeeded')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with all outcomes ok every host succeeds, batches in plan order, deterministically', () => {
    fc.assert(
      fc.property(scenario, (s: ScenarioValue) => {
        const allOk = { ...s, outcomes: s.outcomes.map(() => 'ok' as const), interruptAt: undefined };
        const a = drive(allOk);
        const b = drive(allOk);
        expect(rolloutResult(a.state)).toEqual(rolloutResult(b.state));
        expect(rolloutResult(a.state).outcome).toBe('succeeded');
        // Batches start in plan order, each wholly after the one before.
        const batchOf = (h: HostId) => a.state.plan.batches.findIndex((b) => b.includes(h));
        const order = a.log.filter((e) => e.type === 'host-started').map((e) => batchOf(e.host));
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }),
      { numRuns: 200 },
    );
  });
});
