import type { DeployRequest } from '../../services/deploy/plan.js';
import { deployRequest } from '../../services/deploy/request.js';
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
  // The same request as a deploy's (every flag checked before anything is read), with --to as its rev.
  const req: DeployRequest = { ...deployRequest(ctx, { ...opts, target: rawTarget, rev: opts.to }), verb: 'rollback' };
  if (req.rev) return runPipeline(ctx, req, opts);
  const back = await previousRev(serviceDeps(ctx), req.target);
  await runPipeline(ctx, { ...req, ...back }, opts);
}
