import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readBackupListing } from '../../aws/backup.js';
import { checkMaxDelete } from '../../core/sync-summary.js';
import { snapshotPrefix } from '../../core/backup.js';
import {
  checkStamp,
  isEmptySource,
  isNoop,
  latestOf,
  requireNonEmptySource,
  requireSnapshot,
  snapshotOf,
  touchesExisting,
  undoHint,
  type BackupSyncStep,
} from '../../core/backup-sync.js';
import { UsageError } from '../../core/errors.js';
import { describeLocation, type SyncLocation } from '../../core/sync-location.js';
import { closingLine } from '../../core/sync-summary.js';
import { resolveBackupBucket, type BucketOptions } from '../../services/backup/bucket.js';
import { bucketFlag, parseMaxDelete } from './flags.js';
import { earlierRunJson, loadMarker, overwriteNotes, planOverwrite, runOverwrite, warnIfPartWritten } from './overwrite.js';
import { confirmIf, planIn, report, runSteps, showPlan, type SyncFlags } from './sync.js';
import type { Context } from '../../cli/context.js';

// `claw backup pull` (a snapshot or latest/ to a local directory) and `claw backup push`
// (a local directory to latest/, keeping the current latest/ as a snapshot first, under
// the unfinished-overwrite marker: backup-overwrite.ts), both on the sync engine: only
// what differs moves, and running again resumes.

export interface PullOptions extends BucketOptions, SyncFlags {
  snapshot?: string;
  to?: string;
  delete?: boolean;
}

export interface PushOptions extends BucketOptions, SyncFlags {
  from?: string;
  delete?: boolean;
  /** commander's --no-follow-symlinks: false. */
  followSymlinks?: boolean;
}

async function localDir(ctx: Context, raw: string | undefined, flag: '--to' | '--from'): Promise<string> {
  if (raw === undefined || raw === '')
    throw new UsageError(`${flag} DIR is required`, flag === '--to' ? 'e.g. --to ./restore' : 'e.g. --from ./openclaw-state');
  const dir = resolve(ctx.io.cwd, raw);
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) throw new UsageError(`${flag} ${raw} is not a directory`, 'give a directory');
  if (!st && flag === '--from') throw new UsageError(`--from ${raw} does not exist`, 'give an existing directory to push');
  return dir;
}

const nothingToDo = (ctx: Context, flags: SyncFlags, json: object, line: string) => {
  if (flags.json) ctx.print(JSON.stringify({ mode: flags.dryRun ? 'dry-run' : 'run', ...json, steps: [], outcomes: [] }, null, 2));
  else ctx.print(line);
};

export async function pull(ctx: Context, opts: PullOptions): Promise<void> {
  const maxDelete = parseMaxDelete(opts.maxDelete);
  const dir = await localDir(ctx, opts.to, '--to');
  if (opts.snapshot !== undefined) checkStamp(opts.snapshot);
  const bucket = await resolveBackupBucket(ctx, opts);
  const { s3 } = await ctx.clients();
  const source: SyncLocation = opts.snapshot === undefined ? latestOf(bucket.name) : snapshotOf(bucket.name, opts.snapshot);
  const plan = await planIn(ctx, bucket, source, { kind: 'local', dir }, { delete: opts.delete });
  if (opts.snapshot === undefined) await warnIfPartWritten(ctx, bucket);
  // An empty source is refused; for a snapshot, the listing says which ones there are.
  if (isEmptySource(plan) && opts.snapshot !== undefined) requireSnapshot(await readBackupListing(s3, bucket), opts.snapshot);
  requireNonEmptySource(plan);
  checkMaxDelete(plan, maxDelete);
  const json = { bucket: bucket.name, source: describeLocation(source), destination: dir };
  if (isNoop(plan)) return nothingToDo(ctx, opts, json, `${closingLine(dir, describeLocation(source), plan, 'already')}: nothing to pull`);
  const steps: BackupSyncStep[] = [{ id: 'pull', title: `pull ${describeLocation(source)}`, plan }];
  if (showPlan(ctx, steps, opts, { json })) return;
  await confirmIf(ctx, touchesExisting(plan), `Overwrite or delete files in ${dir}?`, opts.yes);
  const result = await runSteps(ctx, steps, () => 'run the same pull again to finish: what arrived intact is kept, partial files never replace good ones');
  report(ctx, opts, result, { json, closing: [closingLine(dir, describeLocation(source), plan)] });
}

export async function push(ctx: Context, opts: PushOptions): Promise<void> {
  const maxDelete = parseMaxDelete(opts.maxDelete);
  const dir = await localDir(ctx, opts.from, '--from');
  const bucket = await resolveBackupBucket(ctx, opts);
  const { s3 } = await ctx.clients();
  const main = await planIn(ctx, bucket, { kind: 'local', dir }, latestOf(bucket.name), { delete: opts.delete, followSymlinks: opts.followSymlinks !== false });
  requireNonEmptySource(main);
  checkMaxDelete(main, maxDelete);
  const found = await loadMarker(ctx, bucket);
  const json0 = { bucket: bucket.name, source: dir, destination: describeLocation(latestOf(bucket.name)) };
  // Nothing to change (and no earlier run to finish) costs the listing of latest/ and the marker's read.
  if (isNoop(main) && !found)
    return nothingToDo(ctx, opts, { ...json0, keptAs: null, earlierRun: null }, `${closingLine('latest/', dir, main, 'already')}: nothing to push`);
  const listing = await readBackupListing(s3, bucket);
  const plan = await planOverwrite(ctx, bucket, { main, step: { id: 'push', title: `push ${dir} into latest/` }, listing, found });
  const kept = plan.decision.keptAs ?? undefined;
  const json = { ...json0, keptAs: kept ? snapshotPrefix(kept) : null, earlierRun: earlierRunJson(bucket, plan) };
  if (showPlan(ctx, plan.steps, opts, { json, notes: overwriteNotes(plan) })) return;
  await confirmIf(ctx, touchesExisting(main), `Overwrite s3://${bucket.name}/latest/ with ${dir}?`, opts.yes);
  const undo = kept ? `undo with: ${undoHint(bucketFlag(opts), kept)}` : undefined;
  const result = await runOverwrite(ctx, bucket, plan, {
    command: 'push',
    source: dir,
    onFailure: (step) =>
      step.id === 'keep-latest' ? 'latest/ was not touched; run the same push again' : `run the same push again to finish${undo ? `, or ${undo}` : ''}`,
  });
  report(ctx, opts, result, { json, closing: [closingLine('latest/', dir, main), ...(undo ? [undo] : [])] });
}
