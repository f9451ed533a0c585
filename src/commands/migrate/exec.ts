import { runSsmStep, ssmStepComment } from '../../aws/runbook-ssm.js';
import { RefusedError, UsageError } from '../../core/errors.js';
import { parseTagPair } from '../../core/patterns.js';
import { findHost } from '../../core/registry.js';
import type { ManualStep, Phase, SsmStep, Step } from '../../core/runbook-schema.js';
import { DEFAULT_POLL_BUDGET, type PollBudget } from '../../core/rollout-poll.js';
import { loadRegistry, requireRepo } from '../../nix/repo.js';
import { join } from 'node:path';
import { packageRoot } from '../../nix/paths.js';
import { runLocalStep, type StepResult } from '../../nix/runbook-exec.js';
import { writeShims } from '../../nix/runbook-shims.js';
import { askYesNo } from '../../ui/migrate-prompt.js';
import { renderManual } from '../../ui/migrate-text.js';
import { textProgressSink } from '../../ui/progress-text.js';
import { styler } from '../../ui/style.js';
import type { Context } from '../../cli/context.js';
import type { LoadedRunbook } from './common.js';
import type { DriverDeps } from './driver.js';

// The driver's dependencies for a real invocation: local steps through the exec wrapper,
// ssm steps through Run Command on the host's instance, prompts on the terminal, progress
// as plain lines on stderr (prompts and live step output do not mix with a redrawn view).

/** The simulated account answers at once and moves on per read: no reason to wait for real. */
function ssmBudget(ctx: Context): PollBudget {
  // The call cap must cover the step's whole timeout at the capped interval, or the schedule stretches the interval.
  return ctx.sandbox ? { ...DEFAULT_POLL_BUDGET, initialMs: 50, maxIntervalMs: 250, maxCalls: 100_000 } : { ...DEFAULT_POLL_BUDGET, maxCalls: 10_000 };
}

async function ssmStep(ctx: Context, l: LoadedRunbook, step: SsmStep, output: (line: string) => void): Promise<StepResult> {
  // Read the registry now, not at start: an earlier step may have added the host.
  findHost(loadRegistry(requireRepo(ctx.repo), ctx.io.cwd), step.host);
  const tag = parseTagPair(ctx.config.values.instanceTag);
  if (!tag) throw new UsageError(`instanceTag ${ctx.config.values.instanceTag} is not key=value`);
  const { ec2, ssm } = await ctx.clients();
  return runSsmStep({
    ec2,
    ssm,
    instanceTag: tag,
    host: step.host,
    commands: step.commands,
    timeoutMs: step.timeoutMs,
    comment: ssmStepComment(l.rb.name, step.id),
    budget: ssmBudget(ctx),
    signal: ctx.io.signal,
    output,
  });
}

export interface DepsOptions {
  yes: boolean | undefined;
  /** The command that resumes, for hints (`claw migrate run FILE`). */
  resumeHint: string;
}

/** The shims first on every local step's PATH (claw; on the sandbox tofu, aws, ssh too), written once per run. */
function stepPath(ctx: Context, l: LoadedRunbook): () => Promise<{ dir: string; inheritedPath: string | undefined }> {
  let written: Promise<string> | undefined;
  return async () => {
    written ??= writeShims(join(l.store.dir, 'bin'), {
      node: process.execPath,
      claw: join(packageRoot(), 'bin', 'claw'),
      home: ctx.home,
      sandbox: ctx.sandbox,
    });
    return { dir: await written, inheritedPath: ctx.io.env.PATH };
  };
}

export function driverDeps(ctx: Context, l: LoadedRunbook, opts: DepsOptions): DriverDeps {
  const pathPrefix = stepPath(ctx, l);
  const err = (line: string) => ctx.log.info(line);
  const tty = Boolean(ctx.io.stderr.isTTY);
  const paint = styler(tty && (ctx.io.env.NO_COLOR ?? '') === '');
  return {
    rb: l.rb,
    save: (state) => l.store.save(state),
    logFile: (id) => l.store.logFile(id),
    now: () => ctx.now(),
    runStep: async (step: Exclude<Step, ManualStep>, _phase: Phase | undefined, output, onProcess) =>
      step.kind === 'ssm'
        ? ssmStep(ctx, l, step, output)
        : runLocalStep({
            step,
            baseDir: l.baseDir,
            pathPrefix: await pathPrefix(),
            signal: ctx.io.signal,
            output,
            onProcess,
            debug: (line) => ctx.log.debug(line),
          }),
    async confirmPhase(phase) {
      const question = `Phase ${phase.id} (${phase.title}) is disruptive. Run it now?`;
      if (!opts.yes && !ctx.io.stdinIsTTY) {
        throw new RefusedError(
          `phase ${phase.id} (${phase.title}) is disruptive: refusing to start it without a terminal`,
          `the run stopped before it (progress is saved); to run it: ${opts.resumeHint} --yes`,
        );
      }
      await ctx.confirm(question, { yes: opts.yes });
    },
    async manual(step, phase) {
      if (!ctx.io.stdinIsTTY) return false;
      err(renderManual(step, phase.id));
      return askYesNo(`Is ${step.id} done?`, { stderr: ctx.io.stderr, signal: ctx.io.signal });
    },
    events: textProgressSink(err),
    live: tty ? (line) => err(paint('dim', `  │ ${line}`)) : undefined,
    info: err,
    resumeHint: opts.resumeHint,
  };
}
