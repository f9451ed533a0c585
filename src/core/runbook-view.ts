import type { NextAction, RollbackPlan, RunPlan } from './runbook-plan.js';
import type { Phase, Runbook, Step } from './runbook-schema.js';
import { recordOf, type RunbookDiff, type RunbookState, type StepStatus } from './runbook-state.js';

// Plain, JSON-ready views of a runbook, its plans and its state: what `--json` prints and
// what src/ui/migrate-text.ts draws. Field names are stable (camelCase).

/** Words as a shell would need them quoted: for display and for hints to paste, never run. */
export function shellWords(words: readonly string[]): string {
  return words.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function ms(n: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1_000, 's'],
  ];
  let left = n;
  let out = '';
  for (const [size, unit] of units) {
    if (left >= size) {
      out += `${Math.floor(left / size)}${unit}`;
      left %= size;
    }
  }
  return out || `${n}ms`;
}

/** One line saying what a step does. */
export function stepSummary(step: Step): string {
  switch (step.kind) {
    case 'run':
    case 'check':
      return `${shellWords(step.argv)}${step.cwd ? ` (in ${step.cwd})` : ''}${step.timeoutMs ? `, timeout ${ms(step.timeoutMs)}` : ''}`;
    case 'wait':
      return `${shellWords(step.argv)}${step.cwd ? ` (in ${step.cwd})` : ''}, every ${ms(step.intervalMs)} for up to ${ms(step.timeoutMs)}`;
    case 'ssm':
      return `on ${step.host}: ${step.commands[0]}${step.commands.length > 1 ? ` (+${step.commands.length - 1} more)` : ''}`;
    case 'manual':
      return `operator: ${step.title ?? step.instructions.split('\n')[0]}`;
  }
}

export interface StepDefView {
  id: string;
  kind: Step['kind'];
  title: string | null;
  summary: string;
}
export interface PhaseDefView {
  id: string;
  title: string;
  reversible: boolean;
  disruptive: boolean;
  steps: StepDefView[];
  rollback: StepDefView[];
}
export interface RunbookView {
  name: string;
  description: string;
  file: string;
  preflight: StepDefView[];
  phases: PhaseDefView[];
}

const stepDef = (s: Step): StepDefView => ({ id: s.id, kind: s.kind, title: s.title ?? null, summary: stepSummary(s) });

export function runbookView(rb: Runbook, file: string): RunbookView {
  return {
    name: rb.name,
    description: rb.description,
    file,
    preflight: rb.preflight.map(stepDef),
    phases: rb.phases.map((p) => ({
      id: p.id,
      title: p.title,
      reversible: p.reversible,
      disruptive: p.disruptive,
      steps: p.steps.map(stepDef),
      rollback: p.rollback.map(stepDef),
    })),
  };
}

export interface PlannedStepView extends StepDefView {
  phase: string;
  status: StepStatus;
  confirm: boolean;
}
export interface RunPlanView {
  resumeAt: { phase: string; step: string; status: StepStatus } | null;
  steps: PlannedStepView[];
  nothing: string | null;
  until: string | null;
}

export function runPlanView(plan: RunPlan): RunPlanView {
  return {
    resumeAt: plan.resumeAt ? { phase: plan.resumeAt.phase.id, step: plan.resumeAt.step.id, status: plan.resumeAt.status } : null,
    steps: plan.steps.map((s) => ({ ...stepDef(s.step), phase: s.phase.id, status: s.status, confirm: s.confirm })),
    nothing: plan.nothing ?? null,
    until: plan.until ?? null,
  };
}

export interface RollbackPlanView {
  to: string;
  phases: { id: string; title: string; progress: 'done' | 'partial'; forced: boolean; disruptive: boolean; steps: (StepDefView & { status: StepStatus })[] }[];
}

export function rollbackPlanView(plan: RollbackPlan): RollbackPlanView {
  return {
    to: plan.to.id,
    phases: plan.phases.map((p) => ({
      id: p.phase.id,
      title: p.phase.title,
      progress: p.progress,
      forced: p.forced,
      disruptive: p.phase.disruptive,
      steps: p.steps.map((c) => ({ ...stepDef(c.step), status: c.status })),
    })),
  };
}

export interface StepStateView extends StepDefView {
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  error: string | null;
  note: string | null;
  approvedAt: string | null;
  logFile: string | null;
}

export type PhaseStatus = 'pending' | 'running' | 'done' | 'rolled-back' | 'rolling-back';
export interface PhaseStateView {
  id: string;
  title: string;
  reversible: boolean;
  disruptive: boolean;
  status: PhaseStatus;
  completedAt: string | null;
  rolledBackAt: string | null;
  steps: StepStateView[];
  rollback: StepStateView[];
}

export interface StatusView {
  name: string;
  description: string;
  file: string;
  stateFile: string;
  logDir: string;
  started: boolean;
  complete: boolean;
  completedAt: string | null;
  updatedAt: string | null;
  changed: boolean;
  changes: RunbookDiff | null;
  rollback: { to: string; startedAt: string } | null;
  next: NextAction & { command: string | null; text: string };
  lock: { pid: number; host: string; startedAt: string; command: string; stale: boolean } | null;
  preflight: StepStateView[];
  phases: PhaseStateView[];
}

export interface StatusInput {
  rb: Runbook;
  state: RunbookState | undefined;
  file: string;
  stateFile: string;
  logDir: string;
  changes: RunbookDiff | undefined;
  next: StatusView['next'];
  lock: StatusView['lock'];
  /** The step's log file when it exists. */
  logOf(stepId: string): string | null;
}

function phaseStatus(state: RunbookState | undefined, p: Phase): PhaseStatus {
  if (!state) return 'pending';
  const rec = state.phases[p.id];
  const forward = p.steps.map((s) => recordOf(state, s.id).status);
  if (!forward.some((st) => st !== 'pending')) return rec?.rolledBackAt ? 'rolled-back' : 'pending';
  if (state.rollback && p.rollback.some((s) => recordOf(state, s.id).status !== 'pending')) return 'rolling-back';
  return rec?.completedAt ? 'done' : 'running';
}

export function statusView(i: StatusInput): StatusView {
  const stepView = (s: Step): StepStateView => {
    const r = i.state ? recordOf(i.state, s.id) : { status: 'pending' as const, attempts: 0 };
    return {
      ...stepDef(s),
      status: r.status,
      attempts: r.attempts,
      startedAt: r.startedAt ?? null,
      finishedAt: r.finishedAt ?? null,
      exitCode: r.exitCode ?? null,
      error: r.error ?? null,
      note: r.note ?? null,
      approvedAt: r.approvedAt ?? null,
      logFile: i.logOf(s.id),
    };
  };
  return {
    name: i.rb.name,
    description: i.rb.description,
    file: i.file,
    stateFile: i.stateFile,
    logDir: i.logDir,
    started: i.state !== undefined,
    complete: i.state?.completedAt !== undefined,
    completedAt: i.state?.completedAt ?? null,
    updatedAt: i.state?.updatedAt ?? null,
    changed: i.changes !== undefined,
    changes: i.changes ?? null,
    rollback: i.state?.rollback ?? null,
    next: i.next,
    lock: i.lock,
    preflight: i.rb.preflight.map(stepView),
    phases: i.rb.phases.map((p) => ({
      id: p.id,
      title: p.title,
      reversible: p.reversible,
      disruptive: p.disruptive,
      status: phaseStatus(i.state, p),
      completedAt: i.state?.phases[p.id]?.completedAt ?? null,
      rolledBackAt: i.state?.phases[p.id]?.rolledBackAt ?? null,
      steps: p.steps.map(stepView),
      rollback: p.rollback.map(stepView),
    })),
  };
}
