import { missingBackupBucket, type BackupBucket } from '../../aws/backup.js';
import { executeSync, type SyncFailure, type SyncResult } from '../../aws/sync.js';
import { planSync } from '../../aws/sync-planner.js';
import { type SyncPlan } from '../../core/sync-plan.js';
import { summarizePlan } from '../../core/sync-summary.js';
import { NoSuchBucketError } from '../../aws/sync-remote.js';
import type { BackupSyncStep } from '../../core/backup-sync.js';
import { RemoteError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { describeLocation, type SyncLocation } from '../../core/sync-location.js';
import { renderSyncOutcome, renderSyncSteps, requestsLine, type RestartLine, type StepOutcome } from '../../ui/backup-sync-text.js';
import type { Context } from '../../cli/context.js';
import { escapeField } from '../../core/terminal-text.js';

// What restore, pull and push share: show the plan of sync steps, stop there on a dry
// run, ask when something existing is overwritten or deleted, then carry out exactly
// those plans in order, stopping at the first step with a failure.

export interface SyncFlags {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  /** List every object of the plan, not only counts. */
  objects?: boolean;
  maxDelete?: string;
}

export const stepJson = (s: BackupSyncStep) => ({
  id: s.id,
  title: s.title,
  source: describeLocation(s.plan.source),
  destination: describeLocation(s.plan.destination),
  summary: summarizePlan(s.plan),
  transfers: s.plan.transfers,
  deletes: s.plan.deletes,
  /** Only at the destination, left there without --delete. */
  left: s.plan.left ?? [],
  refused: s.plan.blocked ?? [],
  removeTemporary: s.plan.staleTemp ?? [],
});

/** Options for planSync: its warnings reach the operator; its own plan line does not (the steps are shown instead). */
export function planningOptions(ctx: Context) {
  const events: EventSink = {
    emit: (e) => {
      if (e.type === 'warning') ctx.events.emit(e);
    },
  };
  return { concurrency: ctx.config.values.syncConcurrency, signal: ctx.io.signal, events };
}

/** planSync within the backup bucket: a missing bucket is named the way the command found it (--stack, pattern). */
export async function planIn(
  ctx: Context,
  bucket: BackupBucket,
  src: SyncLocation,
  dst: SyncLocation,
  o: { delete?: boolean; followSymlinks?: boolean } = {},
): Promise<SyncPlan> {
  const { s3 } = await ctx.clients();
  try {
    return await planSync(s3, src, dst, {
      ...planningOptions(ctx),
      delete: Boolean(o.delete),
      ...(o.followSymlinks === false ? { followSymlinks: false } : {}),
    });
  } catch (err) {
    if (err instanceof NoSuchBucketError && err.bucket === bucket.name) throw missingBackupBucket(bucket);
    throw err;
  }
}

/** Print the plan (text mode) and report whether this is a dry run (which prints its JSON). */
export function showPlan(
  ctx: Context,
  steps: readonly BackupSyncStep[],
  flags: SyncFlags,
  extra: { restart?: RestartLine | undefined; json: object; notes?: readonly string[] | undefined },
): boolean {
  if (!flags.json) ctx.print(renderSyncSteps(steps, { objects: Boolean(flags.objects), restart: extra.restart, paint: ctx.paint, notes: extra.notes }));
  if (!flags.dryRun) return false;
  if (flags.json) ctx.print(JSON.stringify({ mode: 'dry-run', ...extra.json, steps: steps.map(stepJson) }, null, 2));
  else ctx.log.info('dry run: nothing changed');
  return true;
}

export async function confirmIf(ctx: Context, needed: boolean, question: string, yes: boolean | undefined): Promise<void> {
  if (!needed) return;
  await ctx.confirm(question, { yes });
}

export interface StepsResult {
  outcomes: (StepOutcome & { id: string; failures: SyncFailure[]; deletesSkipped?: string | undefined })[];
}

/** Run the steps' plans in order; a step with any failure stops the run (RemoteError, exit 1). */
export async function runSteps(ctx: Context, steps: readonly BackupSyncStep[], onFailure: (step: BackupSyncStep) => string): Promise<StepsResult> {
  const { s3 } = await ctx.clients();
  const out: StepsResult = { outcomes: [] };
  for (const step of steps) {
    ctx.events.emit({ type: 'planned', summary: `${step.title}: ${describeLocation(step.plan.source)} -> ${describeLocation(step.plan.destination)}` });
    const r: SyncResult = await executeSync(s3, step.plan, { concurrency: ctx.config.values.syncConcurrency, signal: ctx.io.signal, events: ctx.events });
    out.outcomes.push({
      id: step.id,
      title: step.title,
      transferred: r.transferred.count,
      bytes: r.transferred.bytes,
      deleted: r.deleted,
      failures: r.failures,
      deletesSkipped: r.deletesSkipped,
    });
    if (r.failures.length > 0) {
      const shown = r.failures
        .slice(0, 5)
        .map((f) => `\n  ${f.op} ${escapeField(f.key)}: ${escapeField(f.message)}`)
        .join('');
      const more = r.failures.length > 5 ? `\n  ... and ${r.failures.length - 5} more` : '';
      const skipped = r.deletesSkipped ? `\n  ${r.deletesSkipped}` : '';
      throw new RemoteError(
        `${step.title}: ${r.failures.length} of ${step.plan.transfers.length + step.plan.deletes.length} operations failed${shown}${more}${skipped}`,
        onFailure(step),
      );
    }
  }
  return out;
}

/** The closing report: text lines (stdout), the requests line (stderr), or one JSON document. */
export function report(ctx: Context, flags: SyncFlags, result: StepsResult, extra: { json: object; closing: string[]; outcomeShown?: boolean }): void {
  if (flags.json) ctx.print(JSON.stringify({ mode: 'run', ...extra.json, outcomes: result.outcomes, requests: ctx.requests() }, null, 2));
  else ctx.print(renderSyncOutcome(extra.outcomeShown ? [] : result.outcomes, extra.closing));
  ctx.log.info(requestsLine(ctx.requests()));
}
