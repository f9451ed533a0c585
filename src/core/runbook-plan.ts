import { RefusedError, UsageError } from './errors.js';
import type { Phase, Runbook, Step } from './runbook-schema.js';
import { recordOf, type RunbookState, type StepStatus } from './runbook-state.js';

// What a `run` or a `rollback` would do from a given state, decided before anything runs.
// The one resume point is derived, never stored apart from the steps: the first forward
// step (in phase order) that is not done.

export interface Cursor {
  phase: Phase;
  step: Step;
  status: StepStatus;
}

export function forwardSteps(rb: Runbook): { phase: Phase; step: Step }[] {
  return rb.phases.flatMap((phase) => phase.steps.map((step) => ({ phase, step })));
}

/** The first step that is not done, or undefined when the runbook is complete. */
export function resumePoint(rb: Runbook, state: RunbookState): Cursor | undefined {
  for (const { phase, step } of forwardSteps(rb)) {
    const { status } = recordOf(state, step.id);
    if (status !== 'done') return { phase, step, status };
  }
  return undefined;
}

export interface PlannedStep extends Cursor {
  /** First step of a disruptive phase in this run: ask before it (or --yes). */
  confirm: boolean;
}

export interface RunPlan {
  /** Where the run starts; undefined when there is nothing to run. */
  resumeAt: Cursor | undefined;
  steps: PlannedStep[];
  /** Why nothing runs, when `steps` is empty. */
  nothing?: string;
  /** The step or phase the run stops after (--until). */
  until?: string;
}

export interface RunOptions {
  phase?: string | undefined;
  until?: string | undefined;
}

function phaseById(rb: Runbook, id: string, flag: string): Phase {
  const phase = rb.phases.find((p) => p.id === id);
  if (!phase) throw new UsageError(`${flag} ${id}: no such phase in runbook ${rb.name}`, `phases: ${rb.phases.map((p) => p.id).join(', ')}`);
  return phase;
}

/** The forward steps to run, in order, from the resume point (or within --phase), up to --until. */
export function planRun(rb: Runbook, state: RunbookState, opts: RunOptions = {}): RunPlan {
  if (state.rollback) {
    throw new RefusedError(
      `a rollback of runbook ${rb.name} (to phase ${state.rollback.to}) is unfinished; running forward now could skip what it undid`,
      'finish it with `claw migrate rollback`, or start over with --restart',
    );
  }
  const order = forwardSteps(rb);
  const only = opts.phase === undefined ? undefined : phaseById(rb, opts.phase, '--phase');
  let last = order.length - 1;
  if (opts.until !== undefined) {
    const untilPhase = rb.phases.find((p) => p.id === opts.until);
    const index = untilPhase ? order.findLastIndex((o) => o.phase === untilPhase) : order.findIndex((o) => o.step.id === opts.until);
    if (index < 0) {
      const rollback = rb.phases.find((p) => p.rollback.some((s) => s.id === opts.until));
      throw new UsageError(
        `--until ${opts.until}: no such phase or step${rollback ? ` (it is a rollback step of phase ${rollback.id})` : ''} in runbook ${rb.name}`,
        'name a phase id or a forward step id (claw migrate plan lists them)',
      );
    }
    last = index;
  }
  const until = opts.until !== undefined ? { until: opts.until } : {};
  const start = resumePoint(rb, state);
  if (!start)
    return {
      resumeAt: undefined,
      steps: [],
      nothing: `runbook ${rb.name} is complete${state.completedAt ? ` (since ${state.completedAt})` : ''}; nothing to do`,
      ...until,
    };

  let first = order.findIndex((o) => o.step === start.step);
  if (only) {
    const earlier = start.phase !== only && rb.phases.indexOf(start.phase) < rb.phases.indexOf(only);
    if (earlier) {
      throw new RefusedError(
        `phase ${only.id} cannot run yet: phase ${start.phase.id} is not finished (step ${start.step.id} is ${start.status}); phases run in order`,
        `run phase ${start.phase.id} first, or leave out --phase`,
      );
    }
    first = order.findIndex((o) => o.phase === only && recordOf(state, o.step.id).status !== 'done');
    if (first < 0)
      return {
        resumeAt: undefined,
        steps: [],
        nothing: `phase ${only.id} is already done; nothing to do (--restart --phase ${only.id} runs it again)`,
        ...until,
      };
    last = Math.min(
      last,
      order.findLastIndex((o) => o.phase === only),
    );
  }
  if (first > last) return { resumeAt: undefined, steps: [], nothing: `--until ${opts.until} is already done; nothing to do`, ...until };

  const steps: PlannedStep[] = [];
  const asked = new Set<Phase>();
  for (const { phase, step } of order.slice(first, last + 1)) {
    const { status } = recordOf(state, step.id);
    if (status === 'done') continue;
    const confirm = phase.disruptive && !asked.has(phase);
    asked.add(phase);
    steps.push({ phase, step, status, confirm });
  }
  return { resumeAt: steps[0], steps, ...until };
}

export interface RollbackPhase {
  phase: Phase;
  /** `done`: the phase completed; `partial`: some of it ran (or its rollback began). */
  progress: 'done' | 'partial';
  /** Rollback steps still to run, in order (done ones are skipped on a resumed rollback). */
  steps: Cursor[];
  /** A phase that is not reversible, crossed with --force: nothing to run, claw forgets it ran. */
  forced: boolean;
}

export interface RollbackPlan {
  to: Phase;
  /** Latest phase first. */
  phases: RollbackPhase[];
}

function touched(state: RunbookState, phase: Phase): 'done' | 'partial' | undefined {
  const forward = phase.steps.map((s) => recordOf(state, s.id).status);
  if (forward.every((st) => st === 'done')) return 'done';
  // A phase rolled back has its forward steps pending again: not touched.
  return forward.some((st) => st !== 'pending') ? 'partial' : undefined;
}

/**
 * Undo completed (and partly run) phases, latest first, down to and including `to`
 * (default: the first phase). Crossing a phase that is not reversible is refused
 * unless `force`.
 */
export function planRollback(rb: Runbook, state: RunbookState, opts: { to?: string | undefined; force?: boolean | undefined }): RollbackPlan {
  const toId = opts.to ?? state.rollback?.to;
  const to = toId === undefined ? rb.phases[0]! : phaseById(rb, toId, '--to');
  const from = rb.phases.indexOf(to);
  const phases: RollbackPhase[] = [];
  for (const phase of rb.phases.slice(from).reverse()) {
    const progress = touched(state, phase);
    if (!progress) continue;
    if (!phase.reversible && !opts.force) {
      const after = rb.phases[rb.phases.indexOf(phase) + 1];
      const stopBefore = after && touched(state, after) ? `--to ${after.id} stops before it; ` : '';
      throw new RefusedError(
        `rolling back to phase ${to.id} would cross phase ${phase.id} (${phase.title}), which is not reversible; nothing was run`,
        `${stopBefore}--force skips its undo (its changes stay; claw forgets it ran)`,
      );
    }
    const steps = phase.reversible
      ? phase.rollback.map((step) => ({ phase, step, status: recordOf(state, step.id).status })).filter((c) => c.status !== 'done')
      : [];
    phases.push({ phase, progress, steps, forced: !phase.reversible });
  }
  return { to, phases };
}

export type NextAction =
  | { action: 'run'; phase: string; step: string; reason: 'start' | 'resume' | 'retry' | 'rerun' }
  | { action: 'approve'; phase: string; step: string; rollback: boolean }
  | { action: 'rollback'; to: string }
  | { action: 'accept-changes' }
  | { action: 'none' };

/** What the operator does next, from the state alone (status, and after each command). */
export function nextAction(rb: Runbook, state: RunbookState | undefined, changed: boolean): NextAction {
  if (changed) return { action: 'accept-changes' };
  if (!state) return { action: 'run', phase: rb.phases[0]!.id, step: rb.phases[0]!.steps[0]!.id, reason: 'start' };
  if (state.rollback) {
    for (const phase of rb.phases) {
      const waiting = phase.rollback.find((s) => recordOf(state, s.id).status === 'waiting');
      if (waiting) return { action: 'approve', phase: phase.id, step: waiting.id, rollback: true };
    }
    return { action: 'rollback', to: state.rollback.to };
  }
  const at = resumePoint(rb, state);
  if (!at) return { action: 'none' };
  if (at.status === 'waiting') return { action: 'approve', phase: at.phase.id, step: at.step.id, rollback: false };
  const started = forwardSteps(rb).some(({ step }) => recordOf(state, step.id).status !== 'pending');
  const reason = at.status === 'failed' ? 'retry' : at.status === 'running' || at.status === 'interrupted' ? 'rerun' : started ? 'resume' : 'start';
  return { action: 'run', phase: at.phase.id, step: at.step.id, reason };
}
