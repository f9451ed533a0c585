import { setTimeout as delay } from 'node:timers/promises';
import { delimiter, resolve } from 'node:path';
import { ClawError, InterruptedError } from '../core/errors.js';
import type { CommandStep } from '../core/runbook-schema.js';
import { shellWords } from '../core/runbook-view.js';
import { ExecError, run, ToolMissingError } from './exec.js';

// The local step kinds of a runbook (`run`, `check`, `wait`) through the one execa
// wrapper: argv only, never a shell; cwd relative to the runbook's folder; the step's env
// over the inherited one. Output lines go to `output` as they come (the step's log, and
// the terminal); the result says whether the step succeeded, never throws for a failing
// command. Only an interruption (Ctrl-C) throws.

export interface StepResult {
  ok: boolean;
  /** The command's own exit code, when it exited. */
  exitCode?: number | undefined;
  /** One line: why it failed. */
  error?: string | undefined;
}

export interface LocalStepInput {
  step: CommandStep;
  /** The runbook file's folder: relative `cwd`s start here. */
  baseDir: string;
  /** Put first on the step's PATH (runbook-shims.ts), before the step's own PATH or `inheritedPath`. */
  pathPrefix?: { dir: string; inheritedPath: string | undefined } | undefined;
  signal: AbortSignal;
  output(line: string): void;
  /** The command's process group (its pid) once it started, for the state: a killed claw's step is found running. */
  onProcess?(pid: number): void;
  debug?(line: string): void;
  /** Tests: a clock and a sleep that do not wait. */
  now?(): number;
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

const realSleep = async (ms: number, signal: AbortSignal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    throw new InterruptedError();
  }
};

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m}m${s ? `${s}s` : ''}` : `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}

/** One run of the step's command. */
async function attempt(input: LocalStepInput, timeoutMs: number | undefined): Promise<StepResult> {
  const { step } = input;
  const [cmd, ...args] = step.argv as [string, ...string[]];
  try {
    const prefix = input.pathPrefix;
    const path = prefix ? [prefix.dir, step.env.PATH ?? prefix.inheritedPath].filter(Boolean).join(delimiter) : undefined;
    await run(cmd, args, {
      cwd: resolve(input.baseDir, step.cwd ?? '.'),
      env: path === undefined ? step.env : { ...step.env, PATH: path },
      signal: input.signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      onStdoutLine: (l) => input.output(l),
      onStderrLine: (l) => input.output(l),
      ...(input.onProcess ? { onSpawn: input.onProcess } : {}),
      ...(input.debug ? { log: input.debug } : {}),
    });
    return { ok: true, exitCode: 0 };
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    if (err instanceof ToolMissingError) return { ok: false, exitCode: 127, error: err.message };
    if (err instanceof ExecError) {
      const code = err.childExitCode;
      const why =
        code !== undefined && !/timed out/.test(err.message)
          ? `exit code ${code}`
          : /timed out/.test(err.message)
            ? `timed out after ${formatMs(timeoutMs ?? 0)}`
            : err.signal
              ? `killed by ${err.signal}`
              : err.message;
      return { ok: false, exitCode: /timed out/.test(err.message) ? undefined : code, error: why };
    }
    if (err instanceof ClawError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Run a `run`, `check` or `wait` step to its end. */
export async function runLocalStep(input: LocalStepInput): Promise<StepResult> {
  const { step } = input;
  input.output(`$ ${shellWords(step.argv)}${step.cwd ? `   (in ${step.cwd})` : ''}`);
  if (step.kind !== 'wait') return attempt(input, step.timeoutMs);

  // wait: the same check again every interval until it succeeds or the time is up.
  const now = input.now ?? Date.now;
  const sleep = input.sleep ?? realSleep;
  const deadline = now() + step.timeoutMs;
  let last: StepResult;
  for (let n = 1; ; n++) {
    // Each attempt may use what is left (at least a second: a look at the deadline itself).
    last = await attempt(input, Math.max(1000, deadline - now()));
    if (last.ok) {
      input.output(`wait: succeeded on attempt ${n}`);
      return last;
    }
    input.output(`wait: attempt ${n} failed (${last.error})`);
    const remaining = deadline - now();
    if (remaining <= 0) break;
    await sleep(Math.min(step.intervalMs, remaining), input.signal);
  }
  return { ok: false, exitCode: last.exitCode, error: `still failing after ${formatMs(step.timeoutMs)} (last: ${last.error})` };
}
