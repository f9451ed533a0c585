import { UsageError } from '../../core/errors.js';
import { planRun, type RunPlan } from '../../core/runbook-plan.js';
import type { Phase, Runbook } from '../../core/runbook-schema.js';
import { acceptChanges, emptyState, resetPreflight, restart, type RunbookState } from '../../core/runbook-state.js';
import { runPlanView } from '../../core/runbook-view.js';
import { renderManual, renderRunPlan } from '../../ui/migrate-text.js';
import type { Context } from '../../cli/context.js';
import { currentState, loadRunbook, migrateCommand, withRunbookLock, type LoadedRunbook } from './common.js';
import { drive, type DriveItem } from './driver.js';
import { driverDeps } from './exec.js';

// `claw migrate run <file>`: resume from the first unfinished step (or start over with
// --restart), show what will run, check the preflight, then run exactly those steps.

export interface MigrateRunOptions {
  phase?: string;
  until?: string;
  restart?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  acceptChanges?: boolean;
}

function checkPhase(rb: Runbook, id: string | undefined): void {
  if (id !== undefined && !rb.phases.some((p) => p.id === id)) {
    throw new UsageError(`--phase ${id}: no such phase in runbook ${rb.name}`, `phases: ${rb.phases.map((p) => p.id).join(', ')}`);
  }
}

/** With --restart, --phase names where to start over, and the run goes on from there. */
function plan(rb: Runbook, state: RunbookState, opts: MigrateRunOptions): RunPlan {
  return planRun(rb, state, { phase: opts.restart ? undefined : opts.phase, until: opts.until });
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const preflightPhase = (rb: Runbook): Phase => ({
  id: 'preflight',
  title: 'preflight checks',
  reversible: false,
  disruptive: false,
  steps: rb.preflight,
  rollback: [],
});

export async function runMigrate(ctx: Context, fileArg: string | undefined, opts: MigrateRunOptions): Promise<void> {
  const l = await loadRunbook(ctx, fileArg);
  checkPhase(l.rb, opts.phase);
  if (opts.dryRun) return dryRun(ctx, l, opts);
  const resumeHint = migrateCommand(ctx, 'run', l.shown);

  await withRunbookLock(ctx, l, 'claw migrate run', async (stored) => {
    let state = currentState(ctx, l, stored, opts.acceptChanges);
    if (opts.restart) {
      const from = opts.phase === undefined ? 'the first step' : `phase ${opts.phase}`;
      if (stored && Object.keys(stored.steps).length > 0) {
        await ctx.confirm(
          `Start runbook ${l.rb.name} over from ${from}? Its recorded progress is forgotten (nothing is undone; claw migrate rollback undoes)`,
          { yes: opts.yes },
        );
      }
      state = restart(l.rb, state, ctx.now(), opts.phase);
      ctx.log.info(`starting runbook ${l.rb.name} over from ${from}`);
    }
    const p = plan(l.rb, state, opts);
    if (p.steps.length === 0) {
      if (state !== stored) await l.store.save(state);
      ctx.print(p.nothing ?? 'nothing to run');
      return;
    }
    ctx.print(renderRunPlan(runPlanView(p), ctx.paint));
    if (ctx.sandbox) {
      const where = l.rehomed ? `; its steps run in the sandbox's repo (${l.baseDir})` : '';
      ctx.log.info(
        `sandbox: ${l.shown} runs against the simulated account${where}; claw, tofu, aws and ssh in its steps are the sandbox's (progress in ${l.store.dir})`,
      );
    }
    warnUnknownHosts(ctx, p);
    const deps = driverDeps(ctx, l, { yes: opts.yes, resumeHint });

    if (l.rb.preflight.length) {
      const phase = preflightPhase(l.rb);
      state = resetPreflight(l.rb, state);
      state = (
        await drive(
          deps,
          state,
          l.rb.preflight.map((step) => ({ phase, step, status: 'pending' as const })),
        )
      ).state;
    }
    const outcome = await drive(deps, state, p.steps as DriveItem[]);
    if (outcome.paused) {
      const { step, phase } = outcome.paused;
      ctx.print(waitingText(ctx, l, step.id, step.title, phase.id, step.kind === 'manual' ? step.instructions : '', resumeHint));
      return;
    }
    if (outcome.state.completedAt) {
      const steps = l.rb.phases.reduce((n, ph) => n + ph.steps.length, 0);
      ctx.print(`runbook ${l.rb.name} complete: ${plural(l.rb.phases.length, 'phase')}, ${plural(steps, 'step')} done`);
    } else {
      ctx.print(`stopped after ${p.until} (--until); to go on: ${resumeHint}`);
    }
  });
}

/** ssm hosts are checked against the registry when their step runs (an earlier step may add one); say so upfront. */
function warnUnknownHosts(ctx: Context, p: RunPlan): void {
  const hosts = [...new Set(p.steps.flatMap(({ step }) => (step.kind === 'ssm' ? [step.host] : [])))];
  if (hosts.length === 0 || !ctx.repo) return;
  let known: Set<string>;
  try {
    known = new Set(ctx.registry().hosts.map((h) => h.host));
  } catch {
    return; // the step itself reports a broken registry
  }
  const missing = hosts.filter((h) => !known.has(h));
  if (missing.length) ctx.log.warn(`not in ${ctx.registry().file}: ${missing.join(', ')}; an ssm step on such a host fails unless an earlier step adds it`);
}

/** The run paused at a manual step: what to do, and the approve command to paste. */
export function waitingText(ctx: Context, l: LoadedRunbook, id: string, title: string | undefined, phase: string, instructions: string, then: string): string {
  return [
    `waiting for operator: ${id}${title ? ` (${title})` : ''}`,
    renderManual({ id, title, instructions }, phase),
    `when it is done: ${migrateCommand(ctx, 'approve', l.shown, id)} [--note TEXT]`,
    `then: ${then}`,
  ].join('\n');
}

function dryRun(ctx: Context, l: LoadedRunbook, opts: MigrateRunOptions): void {
  let state = l.state ?? emptyState(l.rb, { file: l.file, hash: l.hash, now: ctx.now() });
  if (l.changed && !opts.acceptChanges)
    ctx.log.warn(`${l.shown} changed since its state was written: a real run needs --accept-changes (shown here as if accepted)`);
  if (l.state && l.changed) state = acceptChanges(l.rb, l.state, { hash: l.hash, file: l.file, now: ctx.now() });
  if (opts.restart) state = restart(l.rb, state, ctx.now(), opts.phase);
  const p = plan(l.rb, state, opts);
  ctx.print(renderRunPlan(runPlanView(p), ctx.paint));
  warnUnknownHosts(ctx, p);
  if (p.steps.length && l.rb.preflight.length) ctx.print(`preflight first: ${l.rb.preflight.map((s) => s.id).join(', ')}`);
  ctx.print('dry run: nothing was run and no state was written');
}
