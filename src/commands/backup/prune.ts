import { applyBackupPrune, readBackupListing } from '../../aws/backup.js';
import { planBackupPrune, type BackupPrunePlan, type BackupPruneResult } from '../../core/backup-retention.js';
import { RemoteError } from '../../core/errors.js';
import { renderBackupPrunePlan, renderBackupPruneResult } from '../../ui/backup-text.js';
import { resolveBackupBucket, type BucketOptions } from '../../services/backup/bucket.js';
import type { Context } from '../../cli/context.js';

// `claw backup prune`: the tiered snapshot retention (src/core/backup-retention.ts). A dry
// run unless --apply; then, after a confirmation or --yes, exactly the planned snapshots'
// objects are deleted (snapshots/ is listed again right before). latest/ is never touched.

export interface PruneOptions extends BucketOptions {
  apply?: boolean;
  yes?: boolean;
  json?: boolean;
}

const planJson = (mode: 'dry-run' | 'apply', bucket: string, plan: BackupPrunePlan) => ({
  mode,
  bucket,
  now: plan.now,
  snapshots: plan.snapshots.map(({ ageMs, ...s }) => ({ ...s, ageSeconds: Math.floor(ageMs / 1000) })),
  keep: plan.keep,
  delete: plan.delete,
  untouched: plan.untouched,
});

export async function prune(ctx: Context, opts: PruneOptions): Promise<void> {
  const bucket = await resolveBackupBucket(ctx, opts);
  const { s3 } = await ctx.clients();
  const listing = await readBackupListing(s3, bucket);
  const plan = planBackupPrune({ snapshots: listing.snapshots, unparsable: listing.unparsable, now: ctx.now() });
  const json = planJson(opts.apply ? 'apply' : 'dry-run', bucket.name, plan);
  if (!opts.json) ctx.print(renderBackupPrunePlan(bucket.name, plan, ctx.paint));
  if (!opts.apply || plan.delete.count === 0) {
    if (opts.json) ctx.print(JSON.stringify(json, null, 2));
    else if (!opts.apply && plan.delete.count > 0) ctx.log.info('dry run: nothing changed; run again with --apply to delete');
    return;
  }
  await ctx.confirm(`Delete ${plan.delete.count} snapshots (${plan.delete.objects} objects) from s3://${bucket.name}?`, { yes: opts.yes });
  const result: BackupPruneResult = await applyBackupPrune(s3, bucket, plan, { events: ctx.events });
  ctx.result(opts, { ...json, result }, () => renderBackupPruneResult(result));
  if (result.failed.length) {
    throw new RemoteError(
      `${result.failed.length} of ${result.failed.length + result.deletedObjects} objects could not be deleted from s3://${bucket.name}`,
      'run the prune again: it plans from what is left',
    );
  }
}
