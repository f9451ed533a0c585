import { parseRevInput, resolveDeployTarget } from '../../core/deploy-target.js';
import { planRollout } from '../../core/rollout.js';
import type { DeployRequest } from '../../services/deploy/plan.js';
import { parsePollBudget } from '../../services/deploy/request.js';
import { previousRev } from '../../services/deploy/rollback.js';
import { serviceDeps, type Context } from '../../cli/context.js';
import { runPipeline, type DeployOptions } from './deploy.js';

// `claw rollback <target> [--to SHA]`: deploy, through the same pipeline, the rev each
// host ran before its current one (from the S3 history: what ran before the deploy that
// put the current rev there, else its newest earlier successful deploy; "current" is the
// instance's clawdinator:rev tag). Hosts whose previous revs
// differ are refused rather than rolled back in several passes: one pipeline run is
// one rev, one lock, one canary order, and the operator picks the groups.

export interface RollbackOptions extends Omit<DeployOptions, 'rev'> {
  to?: string;
}

export async function rollback(ctx: Context, rawTarget: string | undefined, opts: RollbackOptions): Promise<void> {
  const target = resolveDeployTarget({ target: rawTarget, caller: opts.caller ?? ctx.config.values.caller, registry: ctx.registry() });
  const explicit = opts.to === undefined ? undefined : parseRevInput(opts.to);
  const plan = planRollout({
    hosts: target.hosts,
    canaryOrder: ctx.config.values.canaryOrder,
    canary: opts.canary?.split(',').map((s) => s.trim()),
    parallel: opts.parallel === undefined ? undefined : Number(opts.parallel),
  });
  parsePollBudget(opts.pollBudget);
  const request = (rev: DeployRequest['rev'], revWhy?: string): DeployRequest => ({
    verb: 'rollback',
    target,
    rev,
    revWhy,
    plan,
    eval: opts.eval !== false,
    bootstrap: opts.bootstrap !== false,
    budget: parsePollBudget(opts.pollBudget, ctx.sandbox),
  });
  if (explicit) return runPipeline(ctx, request(explicit), opts);

  const back = await previousRev(serviceDeps(ctx), target);
  await runPipeline(ctx, request(back.rev, back.revWhy), opts);
}
