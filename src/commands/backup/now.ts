import { parseBackupTarget, parseStack } from '../../core/backup.js';
import { resolveBackupBucket, type BucketOptions } from '../../services/backup/bucket.js';
import { planBackupNow, runBackupNow } from '../../services/backup/now.js';
import { renderBackupNow } from '../../ui/backup-text.js';
import { serviceDeps, type Context } from '../../cli/context.js';

// `claw backup now <host>`: start the host's backup unit through Run Command, wait for
// it, then report the snapshot it made (services/backup/now.ts). Mutating but not
// destructive: plan, no prompt.

export interface NowOptions extends BucketOptions {
  dryRun?: boolean;
  json?: boolean;
}

export async function now(ctx: Context, rawHost: string, opts: NowOptions): Promise<void> {
  const target = parseBackupTarget(rawHost);
  const stack = opts.stack === undefined ? undefined : parseStack(opts.stack);
  const deps = serviceDeps(ctx);
  const bucket = await resolveBackupBucket(deps, opts);
  const plan = await planBackupNow(deps, { target, stack, bucket });
  if (opts.dryRun) {
    const doc = { mode: 'dry-run', plan: plan.text, host: plan.host.host, instanceId: plan.host.instanceId, bucket: bucket.name, newestSnapshot: plan.before };
    return ctx.result(opts, doc, () => `plan: ${plan.text}`);
  }
  const result = await runBackupNow(deps, plan);
  ctx.result(opts, { mode: 'run', ...result }, () => renderBackupNow(result, ctx.paint));
}
