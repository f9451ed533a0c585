import { planRollback, resumePoint, type RollbackPlan } from '../../core/runbook-plan.js';
import { emptyState } from '../../core/runbook-state.js';
import { rollbackPlanView } from '../../core/runbook-view.js';
import { renderRollbackPlan } from '../../ui/migrate-text.js';
import type { Context } from '../../cli/context.js';
import { currentState, loadRunbook, migrateCommand, withRunbookLock } from './common.js';
import { driveRollback } from './driver.js';
import { driverDeps } from './exec.js';
import { waitingText } from './run.js';

// `claw migrate rollback <file> [--to PHASE]`: the rollback steps of completed (and partly
// run) phases, latest phase first, down to and including PHASE. A phase that is not
// reversible stops it unless --force. Shown, confirmed (or --yes), then run; interrupted
// or paused, the next `rollback` carries on where it stopped.

export interface MigrateRollbackOptions {
  to?: string;
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  acceptChanges?: boolean;
}

const phaseList = (plan: RollbackPlan) => plan.phases.map((p) => p.phase.id).join(', ');

export async function rollbackMigrate(ctx: Context, fileArg: string | undefined, opts: MigrateRollbackOptions): Promise<void> {
  const l = await loadRunbook(ctx, fileArg);
  const flags = [...(opts.to !== undefined ? ['--to', opts.to] : []), ...(opts.force ? ['--force'] : [])];
  if (opts.dryRun) {
    const state = l.state ?? emptyState(l.rb, { file: l.file, hash: l.hash, now: ctx.now() });
    const plan = planRollback(l.rb, state, opts);
    ctx.print(
      plan.phases.length
        ? renderRollbackPlan(rollbackPlanView(plan), ctx.paint)
        : `nothing to roll back: no phase of runbook ${l.rb.name} from ${plan.to.id} on has run`,
    );
    ctx.print('dry run: nothing was run and no state was written');
    return;
  }
  const resumeHint = migrateCommand(ctx, 'rollback', l.shown, ...flags);

  await withRunbookLock(ctx, l, 'claw migrate rollback', async (stored) => {
    let state = currentState(ctx, l, stored, opts.acceptChanges);
    const plan = planRollback(l.rb, state, opts);
    if (plan.phases.length === 0) {
      ctx.print(`nothing to roll back: no phase of runbook ${l.rb.name} from ${plan.to.id} on has run`);
      return;
    }
    ctx.print(renderRollbackPlan(rollbackPlanView(plan), ctx.paint));
    const resuming = stored?.rollback !== undefined;
    await ctx.confirm(
      `${resuming ? 'Continue rolling back' : 'Roll back'} phase${plan.phases.length > 1 ? 's' : ''} ${phaseList(plan)} of runbook ${l.rb.name}?`,
      { yes: opts.yes },
    );

    const deps = driverDeps(ctx, l, { yes: true, resumeHint });
    const outcome = await driveRollback(deps, state, plan);
    if (outcome.paused) {
      const { step, phase } = outcome.paused;
      ctx.print(waitingText(ctx, l, step.id, step.title, phase.id, step.kind === 'manual' ? step.instructions : '', resumeHint));
      return;
    }
    state = outcome.state;
    const next = resumePoint(l.rb, state);
    ctx.print(
      `rolled back phase${plan.phases.length > 1 ? 's' : ''} ${phaseList(plan)}${next ? `; the next run starts at ${next.phase.id}/${next.step.id}: ${migrateCommand(ctx, 'run', l.shown)}` : ''}`,
    );
  });
}
