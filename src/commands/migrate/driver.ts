import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { RemoteError, InterruptedError, RefusedError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import type { Cursor, RollbackPlan } from '../../core/runbook-plan.js';
import type { ManualStep, Phase, Runbook, Step } from '../../core/runbook-schema.js';
import {
  approve,
  begin,
  fail,
  finishRollback,
  interrupt,
  pause,
  phaseRolledBack,
  recordProcess,
  startRollback,
  succeed,
  type RunbookState,
} from '../../core/runbook-state.js';
import { groupAlive } from '../../fs/file-lock.js';
import type { StepResult } from '../../nix/runbook-exec.js';

// Runs planned steps one by one, writing the state before and after each: `running`
// before it starts (so a kill mid-way is seen, and the step re-run, on resume), `done` or
// `failed` after. A manual step pauses here unless the operator confirms it on the
// terminal. The same loop serves `run` (forward steps) and `rollback` (rollback steps).

/** A step failed: the run stops with its exit code in the message, and exits 1. */
export class StepFailedError extends RemoteError {}

export interface DriverDeps {
  rb: Runbook;
  save(state: RunbookState): Promise<void>;
  logFile(stepId: string): string;
  now(): Date;
  /** Runs a command step (run, check, wait, ssm); output lines go to `output`. */
  runStep(step: Exclude<Step, ManualStep>, phase: Phase | undefined, output: (line: string) => void, onProcess: (pid: number) => void): Promise<StepResult>;
  /** Before the first step of a disruptive phase: resolves, or throws (refused, interrupted). */
  confirmPhase(phase: Phase): Promise<void>;
  /** A manual step reached: true when the operator confirmed it done (on a terminal). */
  manual(step: ManualStep, phase: Phase): Promise<boolean>;
  events: EventSink;
  /** Live output on a terminal (undefined: output only to the log). */
  live?: ((line: string) => void) | undefined;
  info(line: string): void;
  /** How the operator resumes, for the failure hint. */
  resumeHint: string;
}

export interface DriveItem extends Cursor {
  confirm?: boolean;
}

export type DriveOutcome = { state: RunbookState; paused?: DriveItem | undefined };

const TAIL = 20;

/** The step's log (appended to, one header per attempt), plus the last lines of this attempt. */
function openLog(file: string, header: string) {
  const fd = openSync(file, 'a', 0o600);
  const tail: string[] = [];
  const write = (line: string) => writeSync(fd, `${line}\n`);
  write(header);
  return {
    line(line: string) {
      write(line);
      tail.push(line);
      if (tail.length > TAIL) tail.shift();
    },
    tail: () => [...tail],
    close: () => closeSync(fd),
  };
}

const label = (item: Cursor) => `${item.phase.id}/${item.step.id}`;

async function runOne(d: DriverDeps, state: RunbookState, item: DriveItem): Promise<RunbookState> {
  const step = item.step as Exclude<Step, ManualStep>;
  if (item.status === 'running' || item.status === 'interrupted') {
    // A claw killed outright left its step's command running: never start a second copy beside it.
    const p = state.steps[step.id]?.process;
    if (p && p.host === hostname() && groupAlive(p.pid)) {
      throw new RefusedError(
        `step ${label(item)} is still running from an earlier claw: process group ${p.pid} on this machine (started ${state.steps[step.id]?.startedAt ?? 'earlier'})`,
        `wait for it to finish, or stop it (kill -TERM -- -${p.pid}), then ${d.resumeHint}`,
      );
    }
    d.info(`step ${label(item)} was interrupted mid-way last time; running it again`);
  }
  let next = begin(d.rb, state, step.id, d.now());
  await d.save(next);
  // The command's process group goes into the state as soon as it exists.
  let recorded: Promise<void> = Promise.resolve();
  const onProcess = (pid: number) => {
    next = recordProcess(next, step.id, { pid, host: hostname() }, d.now());
    const snapshot = next;
    recorded = recorded.then(() => d.save(snapshot));
  };
  const attempt = next.steps[step.id]!.attempts;
  const log = openLog(d.logFile(step.id), `=== ${d.now().toISOString()} attempt ${attempt}: ${step.kind} ${step.id} ===`);
  const output = (line: string) => {
    log.line(line);
    d.live?.(line);
  };
  const started = Date.now();
  d.events.emit({ type: 'step-started', step: label(item), detail: step.title ?? step.kind });
  let result: StepResult;
  try {
    result = await d.runStep(step, item.phase, output, onProcess);
    await recorded;
  } catch (err) {
    await recorded.catch(() => undefined);
    const interrupted = err instanceof InterruptedError || (err as Error).name === 'AbortError';
    log.line(interrupted ? '=== interrupted ===' : `=== error: ${(err as Error).message.split('\n')[0]} ===`);
    log.close();
    next = interrupted ? interrupt(next, step.id, d.now()) : fail(next, step.id, d.now(), { error: (err as Error).message.split('\n')[0]! });
    await d.save(next);
    d.events.emit({ type: 'step-finished', step: label(item), outcome: 'failed', detail: interrupted ? 'interrupted' : 'error' });
    throw interrupted && !(err instanceof InterruptedError) ? new InterruptedError() : err;
  }
  const secs = `${((Date.now() - started) / 1000).toFixed(1)}s`;
  if (result.ok) {
    log.line(`=== done in ${secs} ===`);
    log.close();
    next = succeed(d.rb, next, step.id, d.now());
    await d.save(next);
    d.events.emit({ type: 'step-finished', step: label(item), outcome: 'ok', detail: secs });
    return next;
  }
  const why = result.error ?? (result.exitCode !== undefined ? `exit code ${result.exitCode}` : 'failed');
  log.line(`=== failed: ${why} ===`);
  log.close();
  next = fail(next, step.id, d.now(), { exitCode: result.exitCode, error: why });
  await d.save(next);
  d.events.emit({ type: 'step-finished', step: label(item), outcome: 'failed', detail: why });
  const tail = log.tail().filter((l) => !l.startsWith('=== '));
  if (tail.length) d.info([`last lines of ${d.logFile(step.id)}:`, ...tail.map((l) => `  | ${l}`)].join('\n'));
  const code = result.exitCode !== undefined ? ` with exit code ${result.exitCode}` : '';
  const what = step.kind === 'check' || step.kind === 'wait' ? 'check' : 'step';
  throw new StepFailedError(
    `${what} ${label(item)} failed${code}${result.error && !result.error.startsWith('exit code') ? ` (${result.error})` : ''}`,
    `its log: ${d.logFile(step.id)}; fix the cause, then ${d.resumeHint} starts again at ${step.id}`,
  );
}

/** Run `items` in order; stops at the first failure (throws) or at a manual step not confirmed (paused). */
export async function drive(d: DriverDeps, start: RunbookState, items: readonly DriveItem[]): Promise<DriveOutcome> {
  let state = start;
  for (const item of items) {
    if (item.confirm) await d.confirmPhase(item.phase);
    if (item.step.kind === 'manual') {
      // Written first: an operator who walks away from the prompt leaves the step waiting.
      state = pause(state, item.step.id, d.now());
      await d.save(state);
      const done = await d.manual(item.step, item.phase);
      if (!done) return { state, paused: item };
      state = approve(d.rb, state, item.step.id, d.now(), 'confirmed on the terminal');
      await d.save(state);
      d.events.emit({ type: 'step-finished', step: label(item), outcome: 'ok', detail: 'confirmed by the operator' });
      continue;
    }
    state = await runOne(d, state, item);
  }
  return { state };
}

/**
 * A rollback plan, latest phase first: each phase's rollback steps, then the phase marked
 * rolled back (its steps pending again); a phase crossed with --force only the latter.
 * Paused at a manual step, the next rollback carries on from the state.
 */
export async function driveRollback(d: DriverDeps, start: RunbookState, plan: RollbackPlan): Promise<DriveOutcome> {
  let state = startRollback(start, plan.to.id, d.now());
  await d.save(state);
  for (const p of plan.phases) {
    if (p.forced) {
      d.info(`phase ${p.phase.id} is not reversible: its changes stay; claw forgets it ran (--force)`);
    } else {
      const outcome = await drive(d, state, p.steps);
      state = outcome.state;
      if (outcome.paused) return outcome;
    }
    state = phaseRolledBack(d.rb, state, p.phase.id, d.now());
    await d.save(state);
    d.events.emit({ type: 'step-finished', step: `phase ${p.phase.id}`, outcome: 'ok', detail: 'rolled back' });
  }
  state = finishRollback(d.rb, state, d.now());
  await d.save(state);
  return { state };
}
