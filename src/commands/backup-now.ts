import { readBackupListing } from '../aws/backup.js';
import { BackupUnitFailed, findBackupHost, runBackupUnit } from '../aws/backup-now.js';
import { PollMeter } from '../aws/run-command.js';
import { BACKUP_POLL_BUDGET, BACKUP_UNIT, isNewSnapshot, parseBackupTarget, parseStack, SANDBOX_POLL_BUDGET } from '../core/backup.js';
import { renderBackupNow, type BackupNowReport } from '../ui/backup-text.js';
import { resolveBackupBucket, type BucketOptions } from './backup-common.js';
import type { Context } from './context.js';

// `claw backup now <host>`: start the host's backup unit through Run Command, wait for
// it, then report the snapshot it made. Mutating but not destructive: plan, no prompt.

export interface NowOptions extends BucketOptions {
  dryRun?: boolean;
  json?: boolean;
}

export async function now(ctx: Context, rawHost: string, opts: NowOptions): Promise<void> {
  const wanted = parseBackupTarget(rawHost);
  const bucket = await resolveBackupBucket(ctx, opts);
  const { ec2, ssm, s3 } = await ctx.clients();
  const target = await findBackupHost(ec2, wanted, opts.stack === undefined ? undefined : parseStack(opts.stack));
  // Read before sending: a missing bucket stops here, and "new" needs a before.
  const before = (await readBackupListing(s3, bucket)).snapshots[0] ?? null;
  const plan = `start ${BACKUP_UNIT} on ${target.host} (${target.instanceId}), then look for its snapshot in s3://${bucket.name}/snapshots/`;
  if (opts.dryRun) {
    if (opts.json) ctx.print(JSON.stringify({ mode: 'dry-run', plan, host: target.host, instanceId: target.instanceId, bucket: bucket.name, newestSnapshot: before }, null, 2));
    else ctx.print(`plan: ${plan}`);
    return;
  }
  ctx.events.emit({ type: 'planned', summary: plan });

  const step = `backup ${target.host}`;
  ctx.events.emit({ type: 'step-started', step, detail: `${BACKUP_UNIT} via SSM Run Command` });
  let run;
  try {
    run = await runBackupUnit(ssm, target, { meter: new PollMeter(ctx.sandbox ? SANDBOX_POLL_BUDGET : BACKUP_POLL_BUDGET), signal: ctx.io.signal });
  } catch (err) {
    ctx.events.emit({ type: 'step-finished', step, outcome: 'failed', detail: err instanceof BackupUnitFailed ? `result ${err.run.result ?? err.run.status}` : undefined });
    throw err;
  }
  ctx.events.emit({ type: 'step-finished', step, outcome: 'ok', detail: `command ${run.commandId}` });

  const after = (await readBackupListing(s3, bucket)).snapshots[0] ?? null;
  const isNew = isNewSnapshot(before, after);
  const report: BackupNowReport = { host: target.host, instanceId: target.instanceId, bucket: bucket.name, snapshot: isNew ? after : null, isNew, previous: before };
  if (!isNew) ctx.log.warn(`${BACKUP_UNIT} succeeded but no snapshot newer than ${before?.stamp ?? '(none)'} appeared in s3://${bucket.name}/snapshots/`);
  if (opts.json) {
    ctx.print(JSON.stringify({ mode: 'run', ...report, commandId: run.commandId, unit: { result: run.result, exitStatus: run.exitStatus } }, null, 2));
  } else ctx.print(renderBackupNow(report, ctx.paint));
}
