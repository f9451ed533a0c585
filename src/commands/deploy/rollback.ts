import { readHistory } from '../../aws/history.js';
import { asFullSha, parseRevInput, resolveDeployTarget } from '../../core/deploy-target.js';
import { RefusedError } from '../../core/errors.js';
import { previousSuccessfulRev } from '../../core/history.js';
import { planRollout } from '../../core/rollout.js';
import type { DeployRequest } from '../../services/deploy/plan.js';
import { parsePollBudget } from '../../services/deploy/request.js';
import { resolveInstances } from '../../services/deploy/steps.js';
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

  const hosts = await resolveInstances(serviceDeps(ctx), target.hosts);
  const s3 = (await ctx.clients()).s3;
  const { records } = await readHistory(s3, ctx.config.values.bootstrapBucket, { now: ctx.now() });
  const previous = hosts.map((h) => ({ host: h.host, current: h.currentRev, to: previousSuccessfulRev(records, h.host, h.currentRev) }));
  const none = previous.filter((p) => p.to === undefined);
  if (none.length) {
    throw new RefusedError(
      `nothing to roll back to for ${none.map((p) => `${p.host} (running ${p.current?.slice(0, 12) ?? 'an untagged rev'})`).join(', ')}: no earlier successful deploy in the history`,
      'pass --to SHA to choose the rev, or "claw history <host>" to see what ran before',
    );
  }
  const revs = [...new Set(previous.map((p) => p.to!))];
  if (revs.length > 1) {
    const groups = revs.map(
      (rev) =>
        `${rev.slice(0, 12)}: ${previous
          .filter((p) => p.to === rev)
          .map((p) => p.host)
          .join(',')}`,
    );
    throw new RefusedError(
      `the hosts' previous revs differ (${groups.join('; ')}); one rollback deploys one rev`,
      `roll back each group on its own, e.g. "claw rollback ${previous
        .filter((p) => p.to === revs[0])
        .map((p) => p.host)
        .join(',')}", or pass --to SHA`,
    );
  }
  const currents = [...new Set(previous.map((p) => p.current?.slice(0, 12) ?? 'an untagged rev'))].join(', ');
  const revWhy = `the rev before ${currents}, from the deploy history`;
  await runPipeline(ctx, request({ kind: 'sha', sha: asFullSha(revs[0]!) }, revWhy), opts);
}
