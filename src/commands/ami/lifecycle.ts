import type { LifecycleRule } from '@aws-sdk/client-s3';
import { readLifecycle, writeLifecycle } from '../../aws/lifecycle.js';
import { RefusedError, UsageError } from '../../core/errors.js';
import { desiredRules, planLifecycle, ruleForm, sameRules, type LifecyclePlan } from '../../core/lifecycle.js';
import { renderLifecyclePlan, summaryLine } from '../../ui/lifecycle-text.js';
import { styler } from '../../ui/style.js';
import type { Context } from '../../cli/context.js';

export interface LifecycleOptions {
  days?: number;
  apply?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** The `--json` document. */
export interface LifecycleReport {
  bucket: string;
  days: number;
  current: LifecycleRule[];
  desired: LifecycleRule[];
  changes: LifecyclePlan<LifecycleRule>['changes'];
  applied: boolean;
}

/**
 * `claw ami lifecycle`: the images bucket's lifecycle against claw's rules. A dry run
 * unless --apply; the write keeps every rule claw does not own, and is skipped (no
 * call at all) when nothing would change.
 */
export async function run(ctx: Context, opts: LifecycleOptions): Promise<void> {
  const days = opts.days ?? ctx.config.values.lifecycleDays;
  const bucket = ctx.config.values.imagesBucket;
  const s3 = (await ctx.clients()).s3;

  const read = async () => {
    const state = await readLifecycle(s3, bucket);
    if (!state.bucketExists) {
      const source = ctx.config.sources.imagesBucket;
      const from = source.source === 'default' ? 'the default' : `from ${source.origin}`;
      throw new UsageError(
        `images bucket ${bucket} does not exist (config key imagesBucket, ${from}); nothing changed`,
        'set imagesBucket in claw.config.json or CLAW_IMAGES_BUCKET; "claw config" shows the value in use',
      );
    }
    return state;
  };
  const state = await read();
  const plan = planLifecycle<LifecycleRule>(state.rules, desiredRules(days, ruleForm(state.rules)));

  const report = (applied: boolean): LifecycleReport => ({ bucket, days, current: plan.current, desired: plan.desired, changes: plan.changes, applied });
  if (!opts.json) ctx.print(renderLifecyclePlan(bucket, plan, ctx.paint));

  if (!opts.apply || !plan.changed) {
    if (opts.json) ctx.print(JSON.stringify(report(false), null, 2));
    if (!opts.apply && plan.changed) ctx.log.info('dry run: nothing changed; run again with --apply to write these rules');
    return;
  }

  if (opts.json && !opts.yes && ctx.io.stdinIsTTY) ctx.log.info(`plan: ${summaryLine(plan, styler(false))}`);
  await ctx.confirm(`Write the lifecycle of s3://${bucket} (${plan.desired.length} rules)?`, { yes: opts.yes });

  // The write replaces the whole configuration: re-read right before it, so a rule
  // someone added since the plan was shown is never dropped.
  const again = await read();
  if (!sameRules(again.rules, state.rules)) {
    throw new RefusedError(`the lifecycle of s3://${bucket} changed since the plan was made; nothing written`, 'run the command again to see the new diff');
  }
  await writeLifecycle(s3, bucket, plan.desired, state.transitionDefaultMinimumObjectSize);

  const n = plan.counts;
  ctx.result(opts, report(true), () =>
    ctx.paint(
      'green',
      `applied: s3://${bucket} now has ${plan.desired.length} lifecycle rules (${n.add} added, ${n.update} updated, ${n.remove} removed${n.other ? `, ${n.other} not claw's kept` : ''})`,
    ),
  );
}
