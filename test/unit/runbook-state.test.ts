import { describe, expect, it } from 'vitest';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import { nextAction, planRollback, planRun, resumePoint } from '../../src/core/runbook-plan.js';
import type { Phase, Runbook, Step } from '../../src/core/runbook-schema.js';
import {
  acceptChanges,
  approve,
  begin,
  diffRunbook,
  emptyState,
  fail,
  finishRollback,
  interrupt,
  pause,
  phaseRolledBack,
  restart,
  startRollback,
  stepHashes,
  succeed,
  type RunbookState,
} from '../../src/core/runbook-state.js';

// The runbook state machine and the plans made from it, pure: resume, restart,
// rollback across phases, manual pause/approve, complete, a changed runbook.

const run = (id: string): Step => ({ id, title: undefined, kind: 'run', argv: ['true'], cwd: undefined, env: {}, timeoutMs: undefined });
const manual = (id: string): Step => ({ id, title: undefined, kind: 'manual', instructions: `do ${id}` });
const phase = (id: string, steps: Step[], o: Partial<Phase> = {}): Phase => ({
  id,
  title: `phase ${id}`,
  reversible: true,
  disruptive: false,
  steps,
  rollback: [run(`${id.toLowerCase()}-undo`)],
  ...o,
});

const rb: Runbook = {
  name: 'demo',
  description: 'demo',
  preflight: [],
  phases: [
    phase('A', [run('a1'), run('a2')]),
    phase('B', [run('b1'), manual('b2'), run('b3')]),
    phase('C', [run('c1')], { reversible: false, rollback: [] }),
    phase('D', [run('d1'), run('d2')], { disruptive: true }),
  ],
};

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const fresh = () => emptyState(rb, { file: '/rb.yaml', hash: 'h1', now: t0 });

/** Run steps to done in order. */
function done(state: RunbookState, ...ids: string[]): RunbookState {
  let s = state;
  for (const id of ids) {
    const step = rb.phases.flatMap((p) => [...p.steps, ...p.rollback]).find((x) => x.id === id)!;
    if (step.kind === 'manual') s = approve(rb, pause(s, id, at(1)), id, at(2), undefined);
    else s = succeed(rb, begin(rb, s, id, at(1)), id, at(2));
  }
  return s;
}

const ids = (plan: { steps: { step: Step }[] }) => plan.steps.map((s) => s.step.id);

describe('resume', () => {
  it('a fresh runbook starts at its first step, every step planned in order, the disruptive phase asked once', () => {
    const plan = planRun(rb, fresh());
    expect(plan.resumeAt?.step.id).toBe('a1');
    expect(ids(plan)).toEqual(['a1', 'a2', 'b1', 'b2', 'b3', 'c1', 'd1', 'd2']);
    expect(plan.steps.filter((s) => s.confirm).map((s) => s.step.id)).toEqual(['d1']);
    expect(nextAction(rb, undefined, false)).toEqual({ action: 'run', phase: 'A', step: 'a1', reason: 'start' });
  });

  it('resumes at the first unfinished step; a step left running (claw killed) is re-run', () => {
    const s = begin(rb, done(fresh(), 'a1', 'a2'), 'b1', at(3));
    expect(resumePoint(rb, s)).toMatchObject({ step: { id: 'b1' }, status: 'running' });
    expect(ids(planRun(rb, s))).toEqual(['b1', 'b2', 'b3', 'c1', 'd1', 'd2']);
    expect(nextAction(rb, s, false)).toMatchObject({ action: 'run', step: 'b1', reason: 'rerun' });
    expect(s.steps.b1!.attempts).toBe(1);
    expect(begin(rb, s, 'b1', at(4)).steps.b1!.attempts).toBe(2);
  });

  it('a failed step stops there and is retried first; an interrupted one is re-run', () => {
    const failed = fail(begin(rb, done(fresh(), 'a1'), 'a2', at(3)), 'a2', at(4), { exitCode: 3, error: 'exit code 3' });
    expect(failed.steps.a2).toMatchObject({ status: 'failed', exitCode: 3, attempts: 1 });
    expect(planRun(rb, failed).resumeAt).toMatchObject({ step: { id: 'a2' }, status: 'failed' });
    expect(nextAction(rb, failed, false)).toMatchObject({ action: 'run', step: 'a2', reason: 'retry' });
    const cut = interrupt(begin(rb, done(fresh(), 'a1'), 'a2', at(3)), 'a2', at(4));
    expect(nextAction(rb, cut, false)).toMatchObject({ action: 'run', step: 'a2', reason: 'rerun' });
  });

  it('--phase runs one phase (refused while an earlier one is unfinished), --until stops after a step or a phase', () => {
    const s = done(fresh(), 'a1', 'a2');
    expect(ids(planRun(rb, s, { phase: 'B' }))).toEqual(['b1', 'b2', 'b3']);
    expect(() => planRun(rb, fresh(), { phase: 'B' })).toThrow(RefusedError);
    expect(planRun(rb, s, { phase: 'A' }).nothing).toMatch(/phase A is already done/);
    expect(ids(planRun(rb, s, { until: 'b2' }))).toEqual(['b1', 'b2']);
    expect(ids(planRun(rb, s, { until: 'C' }))).toEqual(['b1', 'b2', 'b3', 'c1']);
    expect(planRun(rb, s, { until: 'a1' }).nothing).toMatch(/--until a1 is already done/);
    expect(() => planRun(rb, s, { until: 'a-undo' })).toThrow(/rollback step of phase A/);
    expect(() => planRun(rb, s, { phase: 'Z' })).toThrow(UsageError);
  });
});

describe('manual steps', () => {
  it('pause the run (waiting) until approved; approval records the note and moves the resume point on', () => {
    let s = pause(done(fresh(), 'a1', 'a2', 'b1'), 'b2', at(5));
    expect(s.steps.b2).toMatchObject({ status: 'waiting', attempts: 1 });
    expect(pause(s, 'b2', at(9))).toBe(s);
    expect(nextAction(rb, s, false)).toEqual({ action: 'approve', phase: 'B', step: 'b2', rollback: false });
    expect(planRun(rb, s).resumeAt).toMatchObject({ step: { id: 'b2' }, status: 'waiting' });
    s = approve(rb, s, 'b2', at(6), 'key handed over');
    expect(s.steps.b2).toMatchObject({ status: 'done', note: 'key handed over', approvedAt: at(6).toISOString() });
    expect(resumePoint(rb, s)?.step.id).toBe('b3');
  });
});

describe('complete', () => {
  it('marks each phase done and the runbook complete when its last step is done; a later run does nothing', () => {
    let s = done(fresh(), 'a1', 'a2');
    expect(s.phases.A?.completedAt).toBeDefined();
    expect(s.completedAt).toBeUndefined();
    s = done(s, 'b1', 'b2', 'b3', 'c1', 'd1', 'd2');
    expect(s.completedAt).toBe(at(2).toISOString());
    const plan = planRun(rb, s);
    expect(plan.steps).toEqual([]);
    expect(plan.nothing).toMatch(/^runbook demo is complete .*nothing to do/);
    expect(nextAction(rb, s, false)).toEqual({ action: 'none' });
  });
});

describe('restart', () => {
  const all = () => done(fresh(), 'a1', 'a2', 'b1', 'b2', 'b3', 'c1', 'd1');

  it('forgets everything: the run starts at the first step again', () => {
    const s = restart(rb, all(), at(9));
    expect(s.steps).toEqual({});
    expect(planRun(rb, s).resumeAt?.step.id).toBe('a1');
  });

  it('from a phase: that phase and the later ones only', () => {
    const s = restart(rb, all(), at(9), 'C');
    expect(Object.keys(s.steps).sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'b3']);
    expect(planRun(rb, s).resumeAt?.step.id).toBe('c1');
    expect(s.phases.B?.completedAt).toBeDefined();
    expect(s.phases.C).toBeUndefined();
  });
});

describe('rollback across phases', () => {
  const upToB = () => done(fresh(), 'a1', 'a2', 'b1', 'b2', 'b3');

  it("undoes completed phases latest first, running each phase's rollback steps", () => {
    const plan = planRollback(rb, upToB(), {});
    expect(plan.to.id).toBe('A');
    expect(plan.phases.map((p) => [p.phase.id, p.progress, p.steps.map((c) => c.step.id)])).toEqual([
      ['B', 'done', ['b-undo']],
      ['A', 'done', ['a-undo']],
    ]);
  });

  it('includes a partly run phase, and stops at --to', () => {
    const s = begin(rb, upToB(), 'c1', at(7));
    expect(() => planRollback(rb, s, {})).toThrow(RefusedError);
    const partial = fail(begin(rb, done(fresh(), 'a1'), 'a2', at(3)), 'a2', at(4), { error: 'x' });
    expect(planRollback(rb, partial, {}).phases.map((p) => [p.phase.id, p.progress])).toEqual([['A', 'partial']]);
    expect(planRollback(rb, upToB(), { to: 'B' }).phases.map((p) => p.phase.id)).toEqual(['B']);
  });

  it('refuses to cross a phase that is not reversible, naming it and the way out; --force skips its undo', () => {
    const s = done(upToB(), 'c1', 'd1', 'd2');
    expect(() => planRollback(rb, s, {})).toThrow(/would cross phase C \(phase C\), which is not reversible/);
    try {
      planRollback(rb, s, { to: 'B' });
    } catch (err) {
      expect((err as RefusedError).hint).toMatch(/--to D stops before it; --force skips its undo/);
    }
    expect(planRollback(rb, s, { to: 'D' }).phases.map((p) => p.phase.id)).toEqual(['D']);
    const forced = planRollback(rb, s, { force: true });
    expect(forced.phases.map((p) => [p.phase.id, p.forced, p.steps.length])).toEqual([
      ['D', false, 1],
      ['C', true, 0],
      ['B', false, 1],
      ['A', false, 1],
    ]);
  });

  it('a finished phase rollback makes its steps pending again; the next run starts at the earliest rolled-back phase', () => {
    let s = startRollback(upToB(), 'A', at(10));
    expect(planRun.bind(null, rb, s)).toThrow(/rollback .* is unfinished/);
    expect(nextAction(rb, s, false)).toEqual({ action: 'rollback', to: 'A' });
    s = phaseRolledBack(rb, done(s, 'b-undo'), 'B', at(11));
    // Interrupted here: a resumed rollback skips what is done.
    expect(planRollback(rb, s, {}).phases.map((p) => [p.phase.id, p.steps.map((c) => c.step.id)])).toEqual([['A', ['a-undo']]]);
    s = finishRollback(rb, phaseRolledBack(rb, done(s, 'a-undo'), 'A', at(12)), at(12));
    expect(s.rollback).toBeUndefined();
    expect(s.phases.A).toEqual({ rolledBackAt: at(12).toISOString() });
    expect(ids(planRun(rb, s))[0]).toBe('a1');
    // Running the phase forward again forgets its last rollback, so a new rollback runs it again.
    s = done(s, 'a1', 'a2');
    expect(s.steps['a-undo']).toBeUndefined();
    expect(planRollback(rb, s, {}).phases.map((p) => p.steps.map((c) => c.step.id))).toEqual([['a-undo']]);
  });

  it('a manual rollback step waiting is the next action', () => {
    const rb2: Runbook = { ...rb, phases: [phase('A', [run('a1')], { rollback: [manual('a-undo-by-hand')] })] };
    let s = emptyState(rb2, { file: '/f', hash: 'h', now: t0 });
    s = succeed(rb2, begin(rb2, s, 'a1', at(1)), 'a1', at(2));
    s = pause(startRollback(s, 'A', at(3)), 'a-undo-by-hand', at(3));
    expect(nextAction(rb2, s, false)).toEqual({ action: 'approve', phase: 'A', step: 'a-undo-by-hand', rollback: true });
  });
});

describe('a changed runbook', () => {
  it('says which steps were added, removed or changed, and is the next action', () => {
    const s = done(fresh(), 'a1', 'a2');
    const changed: Runbook = { ...rb, phases: [phase('A', [run('a1'), { ...run('a2'), argv: ['false'] } as Step, run('a3')]), ...rb.phases.slice(2)] };
    expect(diffRunbook(s, stepHashes(changed))).toEqual({ added: ['a3'], removed: ['b1', 'b2', 'b3', 'b-undo'], changed: ['a2'] });
    expect(nextAction(rb, s, true)).toEqual({ action: 'accept-changes' });
  });

  it('accepting keeps done steps done, forgets removed ones, and new steps run when reached', () => {
    const s = done(fresh(), 'a1', 'a2', 'b1');
    const changed: Runbook = { ...rb, phases: [phase('A', [run('a1'), run('a1b'), run('a2')]), ...rb.phases.slice(2)] };
    const next = acceptChanges(changed, s, { hash: 'h2', file: '/rb.yaml', now: at(9) });
    expect(next.hash).toBe('h2');
    expect(next.steps.b1).toBeUndefined();
    expect(next.steps.a2?.status).toBe('done');
    expect(next.phases.A?.completedAt).toBeUndefined();
    expect(resumePoint(changed, next)?.step.id).toBe('a1b');
  });
});
