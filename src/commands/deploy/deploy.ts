import { executeDeploy, throwOutcome } from '../../services/deploy/execute.js';
import { planDeploy, type DeployRequest } from '../../services/deploy/plan.js';
import { deployRequest } from '../../services/deploy/request.js';
import { renderDeployPlan, renderDeployResult } from '../../ui/deploy-text.js';
import { serviceDeps, type Context } from '../../cli/context.js';

// `claw deploy <target>`: the request checked, the plan shown, then exactly it run
// (services/deploy). `claw rollback` runs the same pipeline (`runPipeline`) with an
// older rev.

export interface DeployOptions {
  rev?: string;
  parallel?: number;
  canary?: string;
  caller?: string;
  eval?: boolean;
  bootstrap?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  pollBudget?: string;
}

/** A request -> the plan shown -> confirmed -> run; throws the exit-code error of the outcome. */
export async function runPipeline(ctx: Context, req: DeployRequest, opts: Pick<DeployOptions, 'dryRun' | 'yes' | 'json'>): Promise<void> {
  const deps = serviceDeps(ctx);
  const plan = await planDeploy(deps, req);
  const planText = renderDeployPlan(plan.view);
  if (opts.json) ctx.log.info(planText);
  else ctx.print(planText);
  if (opts.dryRun) {
    const { verb, plan: rollout } = req;
    ctx.result(
      opts,
      { verb, mode: 'dry-run', target: plan.label, rev: plan.rev, canaries: rollout.canaries, batches: rollout.batches, hosts: plan.hosts },
      () => 'dry run: nothing was changed (no eval, upload, lock or SSM command)',
    );
    return;
  }
  await ctx.confirm(`${req.verb === 'deploy' ? 'Deploy' : 'Roll back'} ${plan.label} to ${plan.rev}?`, { yes: opts.yes });
  const report = await executeDeploy(deps, plan);
  ctx.result(opts, report, () => renderDeployResult(report, ctx.paint));
  throwOutcome(report, ctx.io.signal);
}

/** `claw deploy <target> [--rev ...]`: every input checked before anything is asked or sent. */
export async function deploy(ctx: Context, rawTarget: string | undefined, opts: DeployOptions): Promise<void> {
  await runPipeline(ctx, deployRequest(ctx, { ...opts, target: rawTarget }), opts);
}
