import { describe, expect, it } from 'vitest';
import type { HostId } from '../../src/core/deploy-target.js';
import { UsageError } from '../../src/core/errors.js';
import { initialRolloutState, nextActions, planRollout, reduceRollout, rolloutResult, type RolloutEvent, type RolloutState } from '../../src/core/rollout.js';

const H = (...names: string[]) => names as HostId[];
const fleet = H('clawdinator-1', 'clawdinator-2', 'clawdinator-3', 'clawdinator-4', 'clawdinator-5');
const run = (state: RolloutState, ...events: RolloutEvent[]) => events.reduce(reduceRollout, state);
const start = (host: string, at = 0): RolloutEvent => ({ type: 'host-started', host: host as HostId, at });
const ok = (host: string, at = 0): RolloutEvent => ({ type: 'host-succeeded', host: host as HostId, at });
const fail = (host: string, reason = 'exit 1'): RolloutEvent => ({ type: 'host-failed', host: host as HostId, reason, outputTail: ['error: boom'] });

describe('planRollout', () => {
  it('canaries from config order first, one at a time, then the rest in batches of --parallel', () => {
    const plan = planRollout({ hosts: H('clawdinator-5', 'clawdinator-2', 'clawdinator-4', 'clawdinator-1', 'clawdinator-3'), parallel: 2 });
    expect(plan.canaries).toEqual(['clawdinator-1', 'clawdinator-2']);
    expect(plan.batches).toEqual([['clawdinator-1'], ['clawdinator-2'], ['clawdinator-5', 'clawdinator-4'], ['clawdinator-3']]);
  });

  it('skips canaries not in the target, and defaults to one host at a time', () => {
    const plan = planRollout({ hosts: H('clawdinator-babelfish', 'clawdinator-2', 'x'), canaryOrder: ['clawdinator-1', 'clawdinator-2'] });
    expect(plan.canaries).toEqual(['clawdinator-2']);
    expect(plan.batches).toEqual([['clawdinator-2'], ['clawdinator-babelfish'], ['x']]);
    expect(planRollout({ hosts: H('a', 'b'), canaryOrder: [] }).batches).toEqual([['a'], ['b']]);
  });

  it('--canary replaces the config order and must be in the target', () => {
    expect(planRollout({ hosts: fleet, canary: ['clawdinator-4'], parallel: 4 }).batches).toEqual([
      ['clawdinator-4'],
      ['clawdinator-1', 'clawdinator-2', 'clawdinator-3', 'clawdinator-5'],
    ]);
    expect(() => planRollout({ hosts: fleet, canary: ['clawdinator-9'] })).toThrow(/--canary clawdinator-9 is not in the deploy target/);
    expect(() => planRollout({ hosts: fleet, canary: ['x;reboot'] })).toThrow(UsageError);
  });

  it('refuses a bad --parallel and an empty target', () => {
    for (const parallel of [0, -1, 1.5, Number.NaN]) expect(() => planRollout({ hosts: fleet, parallel })).toThrow(UsageError);
    expect(() => planRollout({ hosts: [] })).toThrow(/nothing to deploy/);
  });
});

describe('rollout state machine', () => {
  const plan = planRollout({ hosts: fleet, parallel: 2 });
  const s0 = initialRolloutState(plan);

  it('offers the canary alone, then the next canary, then a batch', () => {
    expect(nextActions(s0)).toEqual({ start: ['clawdinator-1'], running: [], finished: false });
    const s1 = run(s0, start('clawdinator-1'));
    expect(nextActions(s1)).toEqual({ start: [], running: ['clawdinator-1'], finished: false });
    const s2 = run(s1, ok('clawdinator-1'));
    expect(nextActions(s2).start).toEqual(['clawdinator-2']);
    const s3 = run(s2, start('clawdinator-2'), ok('clawdinator-2'));
    expect(nextActions(s3).start).toEqual(['clawdinator-3', 'clawdinator-4']);
    const s4 = run(s3, start('clawdinator-3'));
    expect(nextActions(s4)).toEqual({ start: ['clawdinator-4'], running: ['clawdinator-3'], finished: false });
  });

  it('tracks phase, last line and timestamps; a full success reports every host', () => {
    let s = run(s0, start('clawdinator-1', 1000), { type: 'host-phase', host: 'clawdinator-1' as HostId, phase: 'polling', line: 'building...' });
    expect(s.hosts[0]).toMatchObject({ status: 'running', phase: 'polling', lastLine: 'building...', startedAt: 1000 });
    s = run(s, ok('clawdinator-1', 5000));
    for (const batch of plan.batches.slice(1)) s = run(s, ...batch.map((h) => start(h)), ...batch.map((h) => ok(h)));
    const r = rolloutResult(s);
    expect(r.outcome).toBe('succeeded');
    expect(r.hosts.map((h) => h.status)).toEqual(Array(5).fill('succeeded'));
    expect(r.hosts[0]).toMatchObject({ host: 'clawdinator-1', role: 'canary', startedAt: 1000, finishedAt: 5000, reason: null });
  });

  it('a failed canary stops everything: the rest is skipped, naming why', () => {
    const s = run(s0, start('clawdinator-1'), fail('clawdinator-1', 'revision mismatch'));
    expect(nextActions(s)).toEqual({ start: [], running: [], finished: true });
    const r = rolloutResult(s);
    expect(r.outcome).toBe('failed');
    expect(r.firstFailure).toBe('clawdinator-1');
    expect(r.hosts[0]).toMatchObject({ status: 'failed', reason: 'revision mismatch', outputTail: ['error: boom'] });
    expect(r.hosts.slice(1).map((h) => [h.status, h.reason])).toEqual(Array(4).fill(['skipped', 'not started: clawdinator-1 failed']));
    expect(() => reduceRollout(s, start('clawdinator-2'))).toThrow(/refusing to start clawdinator-2: the rollout stopped \(clawdinator-1 failed\)/);
  });

  it('a failure inside a batch lets the running neighbour finish and skips the unstarted one', () => {
    let s = run(s0, start('clawdinator-1'), ok('clawdinator-1'), start('clawdinator-2'), ok('clawdinator-2'), start('clawdinator-3'));
    s = run(s, fail('clawdinator-3'));
    // clawdinator-4 shares the batch but had not started: it never will.
    expect(nextActions(s)).toEqual({ start: [], running: [], finished: true });
    let t = run(s0, start('clawdinator-1'), ok('clawdinator-1'), start('clawdinator-2'), ok('clawdinator-2'), start('clawdinator-3'), start('clawdinator-4'));
    t = run(t, fail('clawdinator-3'));
    expect(nextActions(t)).toEqual({ start: [], running: ['clawdinator-4'], finished: false });
    expect(() => rolloutResult(t)).toThrow(/before the rollout finished/);
    t = run(t, ok('clawdinator-4'));
    expect(rolloutResult(t).hosts.map((h) => h.status)).toEqual(['succeeded', 'succeeded', 'failed', 'succeeded', 'skipped']);
  });

  it('a timeout is a failure with its duration; a late result for it is ignored', () => {
    let s = run(s0, start('clawdinator-1'), { type: 'host-timeout', host: 'clawdinator-1' as HostId, afterMs: 1_800_000 });
    s = run(s, ok('clawdinator-1'), { type: 'host-phase', host: 'clawdinator-1' as HostId, phase: 'verifying' });
    expect(rolloutResult(s).hosts[0]).toMatchObject({ status: 'failed', reason: 'timed out after 1800s', timedOut: true });
  });

  it('an interrupt stops new starts, lets running hosts report, and skips the rest', () => {
    let s = run(s0, start('clawdinator-1'), { type: 'interrupted', reason: 'interrupted (Ctrl-C)' });
    expect(nextActions(s)).toEqual({ start: [], running: ['clawdinator-1'], finished: false });
    s = run(s, ok('clawdinator-1'));
    const r = rolloutResult(s);
    expect(r.outcome).toBe('interrupted');
    expect(r.hosts[1]).toMatchObject({ status: 'skipped', reason: 'not started: interrupted (Ctrl-C)' });
  });

  it('refuses driver bugs: unknown host, a start out of turn, a result for a host never started', () => {
    expect(() => reduceRollout(s0, start('ghost'))).toThrow(/not in the plan/);
    expect(() => reduceRollout(s0, start('clawdinator-3'))).toThrow(/refusing to start clawdinator-3/);
    expect(() => reduceRollout(s0, ok('clawdinator-1'))).toThrow(/never started/);
    expect(() => reduceRollout(s0, fail('clawdinator-1'))).toThrow(/never started/);
    const s = run(s0, start('clawdinator-1'));
    expect(() => reduceRollout(s, start('clawdinator-1'))).toThrow(/it is running/);
  });

  it('is deterministic and does not mutate its input', () => {
    const before = JSON.stringify(s0);
    const a = run(s0, start('clawdinator-1'), fail('clawdinator-1'));
    const b = run(s0, start('clawdinator-1'), fail('clawdinator-1'));
    expect(JSON.stringify(s0)).toBe(before);
    expect(a).toEqual(b);
  });
});
