import { readBackupListing } from '../../aws/backup.js';
import { findBackupHost, type BackupHost } from '../../aws/backup-now.js';
import { runRestoreUnit, type RestoreRun } from '../../aws/backup-restore.js';
import { PollMeter } from '../../aws/run-command.js';
import { parseS3Url } from '../../core/sync-location.js';
import { checkMaxDelete } from '../../core/sync-summary.js';
import { parseBackupTarget, parseStack, snapshotPrefix } from '../../core/backup.js';
import { BACKUP_POLL_BUDGET, SANDBOX_POLL_BUDGET } from '../../core/backup-unit.js';
import {
  checkRestoreSource,
  isNoop,
  refuseNestedSnapshots,
  latestOf,
  requireNonEmptySource,
  requireSnapshot,
  snapshotOf,
  touchesExisting,
  undoHint,
} from '../../core/backup-sync.js';
import { UsageError } from '../../core/errors.js';
import { describeLocation, type SyncLocation } from '../../core/sync-location.js';
import { closingLine } from '../../core/sync-summary.js';
import { resolveBackupBucket, type BucketOptions } from '../../services/backup/bucket.js';
import { bucketFlag, parseMaxDelete } from './flags.js';
import { earlierRunJson, loadMarker, overwriteNotes, planOverwrite, runOverwrite } from './overwrite.js';
import { confirmIf, planIn, report, showPlan, type SyncFlags } from './sync.js';
import { renderSyncOutcome } from '../../ui/backup-sync-text.js';
import type { Context } from '../../cli/context.js';

// `claw backup restore`: a snapshot (or any s3:// prefix) synced server-side into latest/.
// Before latest/ is overwritten it is itself kept as a snapshot, so a restore can be undone
// (under the unfinished-overwrite marker: backup-overwrite.ts);
// --restart then has the host pull latest/ to disk and restart openclaw.service.

export interface RestoreOptions extends BucketOptions, SyncFlags {
  snapshot?: string;
  from?: string;
  delete?: boolean;
  restart?: string;
}

export async function restore(ctx: Context, opts: RestoreOptions): Promise<void> {
  if ((opts.snapshot === undefined) === (opts.from === undefined)) {
    throw new UsageError('name exactly one source: --snapshot STAMP or --from s3://bucket/prefix/', 'claw backup list shows the snapshots');
  }
  const maxDelete = parseMaxDelete(opts.maxDelete);
  const fromUrl = opts.from === undefined ? undefined : parseS3Url(opts.from);
  const wantedHost = opts.restart === undefined ? undefined : parseBackupTarget(opts.restart);
  const bucket = await resolveBackupBucket(ctx, opts);
  if (fromUrl) checkRestoreSource(fromUrl, bucket.name);
  const { s3, ec2 } = await ctx.clients();
  const [listing, found] = await Promise.all([readBackupListing(s3, bucket), loadMarker(ctx, bucket)]);
  const source: SyncLocation = fromUrl ?? snapshotOf(bucket.name, requireSnapshot(listing, opts.snapshot!));
  // The host is found before anything changes: a wrong name stops here.
  const host: BackupHost | undefined = wantedHost
    ? await findBackupHost(ec2, wantedHost, opts.stack === undefined ? undefined : parseStack(opts.stack))
    : undefined;

  const main = await planIn(ctx, bucket, source, latestOf(bucket.name), { delete: opts.delete });
  requireNonEmptySource(main);
  if (fromUrl) refuseNestedSnapshots(main);
  checkMaxDelete(main, maxDelete);
  const restartJson = host ? { host: host.host, instanceId: host.instanceId } : null;
  // An earlier run that stopped part-way is finished even when latest/ already matches: it may not have restarted the host.
  if (isNoop(main) && !found) {
    ctx.result(
      opts,
      {
        mode: opts.dryRun ? 'dry-run' : 'run',
        bucket: bucket.name,
        source: describeLocation(source),
        keptAs: null,
        earlierRun: null,
        restart: restartJson,
        steps: [],
        outcomes: [],
      },
      () => `${closingLine('latest/', describeLocation(source), main, 'already')}: nothing to restore${host ? ', so nothing to restart' : ''}`,
    );
    return;
  }
  const shortSource = source.kind === 's3' && source.bucket === bucket.name ? source.prefix : describeLocation(source);
  const plan = await planOverwrite(ctx, bucket, { main, step: { id: 'restore', title: `restore ${shortSource} into latest/` }, listing, found });
  const kept = plan.decision.keptAs ?? undefined;

  const flag = bucketFlag(opts);
  const json = {
    bucket: bucket.name,
    source: describeLocation(source),
    keptAs: kept ? snapshotPrefix(kept) : null,
    earlierRun: earlierRunJson(bucket, plan),
    restart: restartJson,
  };
  if (showPlan(ctx, plan.steps, opts, { restart: host, json, notes: overwriteNotes(plan) })) return;
  if (!host)
    ctx.log.warn(
      "the host's backup timer syncs its disk to latest/ every 20 minutes and will overwrite this restore; use --restart HOST to load it on the host now",
    );
  await confirmIf(
    ctx,
    touchesExisting(main) || host !== undefined,
    `Overwrite s3://${bucket.name}/latest/ with ${describeLocation(source)}${host ? ` and restart openclaw on ${host.host}` : ''}?`,
    opts.yes,
  );

  // Restoring the kept copy itself is the undo: there is nothing to go back to after it.
  const undo =
    kept && !(source.kind === 's3' && source.bucket === bucket.name && source.prefix === snapshotPrefix(kept))
      ? `undo with: ${undoHint(flag, kept)}`
      : undefined;
  const result = await runOverwrite(ctx, bucket, plan, {
    command: 'restore',
    source: describeLocation(source),
    onFailure: (step) =>
      step.id === 'keep-latest' ? 'latest/ was not touched; run the same restore again' : `run the same restore again to finish${undo ? `, or ${undo}` : ''}`,
  });
  const closing = [closingLine('latest/', describeLocation(source), main), ...(undo ? [undo] : [])];
  if (!host) return report(ctx, opts, result, { json, closing });
  // The restore in S3 is done: say so before the host step, whose failure is its own.
  if (!opts.json) ctx.print(renderSyncOutcome(result.outcomes, closing));
  const step = `restart ${host.host}`;
  ctx.events.emit({ type: 'step-started', step, detail: 'openclaw-s3-restore.service, then openclaw.service' });
  let restart: RestoreRun;
  try {
    restart = await runRestoreUnit((await ctx.clients()).ssm, host, {
      meter: new PollMeter(ctx.sandbox ? SANDBOX_POLL_BUDGET : BACKUP_POLL_BUDGET),
      signal: ctx.io.signal,
    });
  } catch (err) {
    ctx.events.emit({ type: 'step-finished', step, outcome: 'failed' });
    throw err;
  }
  ctx.events.emit({ type: 'step-finished', step, outcome: 'ok', detail: 'openclaw.service is active' });
  report(ctx, opts, result, {
    json: { ...json, restartResult: restart },
    closing: [`${host.host}: restored to disk and openclaw.service restarted (active)`],
    outcomeShown: true,
  });
}
