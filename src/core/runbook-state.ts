import { createHash } from 'node:crypto';
import { z } from 'zod';
import { allSteps, type Phase, type Runbook } from './runbook-schema.js';

// A runbook's progress (`.claw/runbooks/<name>/state.json`) and the transitions between
// its states. Pure: every function returns a new state; the caller writes it (atomically)
// before and after each step, so a kill at any moment leaves a state that resumes right.
//
// Step status:  pending -> running -> done | failed | interrupted
//               pending -> waiting (a manual step paused) -> done (approved)
// A step found `running` was cut off mid-way (claw was killed): it runs again, unless its
// process group is still alive on this machine (then the run refuses, naming it).

export const STEP_STATUSES = ['pending', 'running', 'interrupted', 'done', 'failed', 'waiting'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

const stepRecordSchema = z.object({
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int().min(0),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  exitCode: z.number().int().optional(),
  error: z.string().optional(),
  note: z.string().optional(),
  approvedAt: z.string().optional(),
  /** The local command's process group while it runs (pgid = pid) and the machine it runs on. */
  process: z.object({ pid: z.number().int().positive(), host: z.string() }).optional(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

const phaseRecordSchema = z.object({ completedAt: z.string().optional(), rolledBackAt: z.string().optional() });
export type PhaseRecord = z.infer<typeof phaseRecordSchema>;

export const stateSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  /** The runbook file when the state was last written. */
  file: z.string(),
  /** sha256 of the runbook text the state belongs to. */
  hash: z.string(),
  /** sha256 of each step's definition, to say which steps changed. */
  stepHashes: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
  steps: z.record(z.string(), stepRecordSchema),
  phases: z.record(z.string(), phaseRecordSchema),
  /** A rollback that has started and not finished: `run` waits for it. */
  rollback: z.object({ to: z.string(), startedAt: z.string() }).optional(),
});
export type RunbookState = z.infer<typeof stateSchema>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function runbookHash(text: string): string {
  return sha256(text);
}

export function stepHashes(rb: Runbook): Record<string, string> {
  return Object.fromEntries(allSteps(rb).map(({ step, phase, role }) => [step.id, sha256(JSON.stringify({ role, phase: phase?.id, step }))]));
}

export function emptyState(rb: Runbook, o: { file: string; hash: string; now: Date }): RunbookState {
  const at = o.now.toISOString();
  return { version: 1, name: rb.name, file: o.file, hash: o.hash, stepHashes: stepHashes(rb), createdAt: at, updatedAt: at, steps: {}, phases: {} };
}

export const PENDING: StepRecord = { status: 'pending', attempts: 0 };

export function recordOf(state: RunbookState, stepId: string): StepRecord {
  return state.steps[stepId] ?? PENDING;
}

export const isDone = (state: RunbookState, stepId: string) => recordOf(state, stepId).status === 'done';

function put(state: RunbookState, stepId: string, record: StepRecord, now: Date): RunbookState {
  return { ...state, updatedAt: now.toISOString(), steps: { ...state.steps, [stepId]: record } };
}

function phaseOf(rb: Runbook, stepId: string): Phase | undefined {
  return rb.phases.find((p) => p.steps.some((s) => s.id === stepId));
}

/** A step starts (again). Running a phase forward forgets its last rollback, so a later rollback runs it again. */
export function begin(rb: Runbook, state: RunbookState, stepId: string, now: Date): RunbookState {
  const prev = recordOf(state, stepId);
  let next = put(state, stepId, { status: 'running', attempts: prev.attempts + 1, startedAt: now.toISOString() }, now);
  const phase = phaseOf(rb, stepId);
  if (phase) {
    const steps = { ...next.steps };
    for (const r of phase.rollback) delete steps[r.id];
    const { rolledBackAt: _gone, ...record } = next.phases[phase.id] ?? {};
    next = { ...next, steps, phases: { ...next.phases, [phase.id]: record } };
  }
  return next;
}

/** Phase done markers and the sequence-complete marker follow from the steps. */
export function settle(rb: Runbook, state: RunbookState, now: Date): RunbookState {
  const at = now.toISOString();
  const phases = { ...state.phases };
  for (const p of rb.phases) {
    const done = p.steps.every((s) => isDone(state, s.id));
    const { completedAt, ...rest } = phases[p.id] ?? {};
    const record = done ? { ...rest, completedAt: completedAt ?? at } : rest;
    if (Object.keys(record).length) phases[p.id] = record;
    else delete phases[p.id];
  }
  const complete = rb.phases.every((p) => phases[p.id]?.completedAt !== undefined) && state.rollback === undefined;
  const { completedAt, ...rest } = state;
  return { ...rest, phases, ...(complete ? { completedAt: completedAt ?? at } : {}) };
}

export function succeed(rb: Runbook, state: RunbookState, stepId: string, now: Date): RunbookState {
  const prev = recordOf(state, stepId);
  return settle(rb, put(state, stepId, { status: 'done', attempts: prev.attempts, startedAt: prev.startedAt, finishedAt: now.toISOString() }, now), now);
}

export function fail(state: RunbookState, stepId: string, now: Date, why: { exitCode?: number | undefined; error: string }): RunbookState {
  const prev = recordOf(state, stepId);
  const record: StepRecord = { status: 'failed', attempts: prev.attempts, startedAt: prev.startedAt, finishedAt: now.toISOString(), error: why.error };
  if (why.exitCode !== undefined) record.exitCode = why.exitCode;
  return put(state, stepId, record, now);
}

export function interrupt(state: RunbookState, stepId: string, now: Date): RunbookState {
  const prev = recordOf(state, stepId);
  return put(
    state,
    stepId,
    { status: 'interrupted', attempts: prev.attempts, startedAt: prev.startedAt, finishedAt: now.toISOString(), error: 'interrupted' },
    now,
  );
}

/** A manual step reached: the run pauses until the operator approves it. */
export function pause(state: RunbookState, stepId: string, now: Date): RunbookState {
  const prev = recordOf(state, stepId);
  if (prev.status === 'waiting') return state;
  return put(state, stepId, { status: 'waiting', attempts: prev.attempts + 1, startedAt: now.toISOString() }, now);
}

/** The operator says a manual step is done. */
export function approve(rb: Runbook, state: RunbookState, stepId: string, now: Date, note: string | undefined): RunbookState {
  const prev = recordOf(state, stepId);
  const record: StepRecord = {
    status: 'done',
    attempts: Math.max(1, prev.attempts),
    startedAt: prev.startedAt ?? now.toISOString(),
    finishedAt: now.toISOString(),
    approvedAt: now.toISOString(),
  };
  if (note !== undefined) record.note = note;
  return settle(rb, put(state, stepId, record, now), now);
}

/** Forget progress from `fromPhase` on (default: everything); the steps are not undone. */
export function restart(rb: Runbook, state: RunbookState, now: Date, fromPhase?: string): RunbookState {
  const start = fromPhase === undefined ? 0 : rb.phases.findIndex((p) => p.id === fromPhase);
  const steps = { ...state.steps };
  const phases = { ...state.phases };
  for (const p of rb.phases.slice(Math.max(0, start))) {
    for (const s of [...p.steps, ...p.rollback]) delete steps[s.id];
    delete phases[p.id];
  }
  const { completedAt: _c, rollback: _r, ...rest } = state;
  return settle(rb, { ...rest, steps, phases, updatedAt: now.toISOString() }, now);
}

export function startRollback(state: RunbookState, to: string, now: Date): RunbookState {
  const { completedAt: _c, ...rest } = state;
  return { ...rest, rollback: { to, startedAt: state.rollback?.startedAt ?? now.toISOString() }, updatedAt: now.toISOString() };
}

/** All of a phase's rollback steps ran: its forward steps are pending again. */
export function phaseRolledBack(rb: Runbook, state: RunbookState, phaseId: string, now: Date): RunbookState {
  const phase = rb.phases.find((p) => p.id === phaseId)!;
  const steps = { ...state.steps };
  for (const s of phase.steps) delete steps[s.id];
  const phases = { ...state.phases, [phaseId]: { rolledBackAt: now.toISOString() } };
  const { completedAt: _c, ...rest } = state;
  return { ...rest, steps, phases, updatedAt: now.toISOString() };
}

export function finishRollback(rb: Runbook, state: RunbookState, now: Date): RunbookState {
  const { rollback: _r, ...rest } = state;
  return settle(rb, { ...rest, updatedAt: now.toISOString() }, now);
}

/** Preflight checks are not part of the resume point: each run checks them again. */
export function resetPreflight(rb: Runbook, state: RunbookState): RunbookState {
  const steps = { ...state.steps };
  for (const s of rb.preflight) delete steps[s.id];
  return { ...state, steps };
}

export interface RunbookDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Which steps differ between the state's runbook and this one (empty when only comments changed). */
export function diffRunbook(state: RunbookState, hashes: Record<string, string>): RunbookDiff {
  const before = state.stepHashes;
  return {
    added: Object.keys(hashes).filter((id) => before[id] === undefined),
    removed: Object.keys(before).filter((id) => hashes[id] === undefined),
    changed: Object.keys(hashes).filter((id) => before[id] !== undefined && before[id] !== hashes[id]),
  };
}

/** Take the new runbook as it is: removed steps are forgotten, done steps stay done. */
export function acceptChanges(rb: Runbook, state: RunbookState, o: { hash: string; file: string; now: Date }): RunbookState {
  const hashes = stepHashes(rb);
  const known = new Set(Object.keys(hashes));
  const steps = Object.fromEntries(Object.entries(state.steps).filter(([id]) => known.has(id)));
  const ids = new Set(rb.phases.map((p) => p.id));
  const phases = Object.fromEntries(Object.entries(state.phases).filter(([id]) => ids.has(id)));
  const rollback = state.rollback && ids.has(state.rollback.to) ? state.rollback : undefined;
  const { rollback: _r, ...rest } = state;
  const next: RunbookState = {
    ...rest,
    ...(rollback ? { rollback } : {}),
    hash: o.hash,
    file: o.file,
    stepHashes: hashes,
    steps,
    phases,
    updatedAt: o.now.toISOString(),
  };
  return settle(rb, next, o.now);
}

/** The step's command started: its process group is recorded (saved before the command can get far). */
export function recordProcess(state: RunbookState, stepId: string, process: { pid: number; host: string }, now: Date): RunbookState {
  const prev = recordOf(state, stepId);
  return put(state, stepId, { ...prev, process }, now);
}
