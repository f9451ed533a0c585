import { randomUUID } from 'node:crypto';
import { deleteOverwriteMarker, markerUrl, readOverwriteMarker, writeOverwriteMarker } from '../aws/backup-marker.js';
import type { BackupBucket } from '../aws/backup.js';
import { explainAwsError } from '../aws/errors.js';
import type { BackupListing } from '../core/backup.js';
import {
  decideOverwrite, keptPrefix, markerAfterKeep, markerForRun, type MarkerState, type OverwriteDecision, type OverwriteMarker,
} from '../core/backup-overwrite.js';
import { isNoop, latestOf, preRestoreStamp, snapshotOf, type BackupSyncStep, type BackupSyncStepId } from '../core/backup-sync.js';
import { ClawError, RefusedError, RemoteError } from '../core/errors.js';
import type { SyncPlan } from '../core/sync-plan.js';
import { earlierRunLine } from '../ui/backup-sync-text.js';
import { planIn, runSteps, type StepsResult } from './backup-sync.js';
import type { Context } from './context.js';
import { operatorIdentity } from './lock.js';

// push and restore overwrite latest/: keep it as a snapshot first, then write into it.
// A marker in the bucket (src/core/backup-overwrite.ts) says an overwrite is under way
// from before the first write until the last, so a run that stops part-way is known to
// every operator's claw, and running again neither keeps the part-written latest/ as if
// it were a real state nor points the undo at such a copy.

type Found = Extract<MarkerState, { kind: 'found' }>;

/** The marker, if any; an object there that claw cannot read is refused (never guessed at). */
export async function loadMarker(ctx: Context, bucket: BackupBucket): Promise<Found | undefined> {
  const state = await readOverwriteMarker((await ctx.clients()).s3, bucket);
  if (state.kind === 'unreadable') {
    throw new RefusedError(
      `${markerUrl(bucket)} is not a marker claw can read (${state.reason}); nothing was changed`,
      'it says whether a push or restore of latest/ stopped part-way: look at it, and remove it (aws s3 rm) only when none did',
    );
  }
  return state.kind === 'found' ? state : undefined;
}

/**
 * A pull of latest/ while a push or restore is unfinished gets a mix that never existed:
 * said once on stderr, with where the state before it is. The pull itself goes on.
 */
export async function warnIfPartWritten(ctx: Context, bucket: BackupBucket): Promise<void> {
  const state = await readOverwriteMarker((await ctx.clients()).s3, bucket);
  if (state.kind === 'unreadable') return ctx.log.warn(`${markerUrl(bucket)} is not a marker claw can read (${state.reason}): latest/ may be part-written; see claw backup status`);
  if (state.kind === 'none') return;
  const m = state.marker;
  if (!m.keepFinished) return; // latest/ was not touched yet
  const before = m.keptAs === null ? 'it was empty before' : `the state before it is snapshots/${m.keptAs}/ (--snapshot ${m.keptAs})`;
  ctx.log.warn(`latest/ is part-written: a ${m.command} from ${m.source} by ${m.by} stopped part-way; ${before}; see claw backup status`);
}

export interface OverwritePlan {
  steps: BackupSyncStep[];
  decision: OverwriteDecision;
  found: Found | undefined;
}

function keepTitle(d: OverwriteDecision): string {
  const into = `snapshots/${d.keep!.into}/`;
  if (d.earlier === null) return `keep latest/ as ${into}`;
  return d.keptAs === null ? `empty the partial copy ${into} (latest/ is empty now)` : `finish keeping latest/ as ${into}`;
}

/** The steps: the keep (unless an earlier run already kept latest/, or it is already done), then `main` (unless it has nothing to do). */
export async function planOverwrite(
  ctx: Context,
  bucket: BackupBucket,
  o: { main: SyncPlan; step: { id: BackupSyncStepId; title: string }; listing: BackupListing; found: Found | undefined },
): Promise<OverwritePlan> {
  const decision = decideOverwrite({ marker: o.found?.marker ?? null, latestHasObjects: o.listing.latest.objects > 0, freshStamp: preRestoreStamp(ctx.now(), o.listing) });
  const steps: BackupSyncStep[] = [];
  if (decision.keep) {
    const plan = await planIn(ctx, bucket, latestOf(bucket.name), snapshotOf(bucket.name, decision.keep.into), { delete: decision.keep.delete });
    if (!isNoop(plan)) steps.push({ id: 'keep-latest', title: keepTitle(decision), plan });
  }
  if (!isNoop(o.main)) steps.push({ ...o.step, plan: o.main });
  return { steps, decision, found: o.found };
}

/** The plan's note (one line) about an earlier run, for the plan text. */
export const overwriteNotes = (p: OverwritePlan): string[] => (p.decision.earlier ? [earlierRunLine(p.decision.earlier)] : []);

/** What --json says about an earlier run: its marker and what this run does about it. */
export function earlierRunJson(bucket: BackupBucket, p: OverwritePlan): object | null {
  const e = p.decision.earlier;
  if (!e) return null;
  const { command, source, by, startedAt, updatedAt, keepFinished } = e.marker;
  return { marker: markerUrl(bucket), command, source, by, startedAt, updatedAt, keptAs: keptPrefix(e.marker), keepFinished, action: e.action, line: earlierRunLine(e) };
}

/** An AWS failure of a marker call, with what it means for latest/ as the hint. */
function withHint(err: unknown, ctx: Context, hint: string): unknown {
  if (err instanceof RefusedError) return err;
  const known = err instanceof ClawError ? err : explainAwsError(err, ctx.target);
  return known ? new RemoteError(known.message, hint, { cause: err }) : err;
}

/**
 * Carry out the plan under the marker: write it (create, or take over the earlier run's),
 * the keep, mark the keep done, the rest, remove the marker. A run that stops anywhere
 * leaves the marker saying how far it got.
 */
export async function runOverwrite(
  ctx: Context,
  bucket: BackupBucket,
  p: OverwritePlan,
  o: { command: OverwriteMarker['command']; source: string; onFailure: (step: BackupSyncStep) => string },
): Promise<StepsResult> {
  const { s3 } = await ctx.clients();
  const again = `run the same ${o.command} again`;
  const keep = p.steps.find((s) => s.id === 'keep-latest');
  let etag = p.found?.etag;
  let marker: OverwriteMarker | undefined;
  if (p.steps.length > 0) {
    marker = markerForRun({ previous: p.found?.marker ?? null, decision: p.decision, run: randomUUID(), command: o.command, source: o.source, by: operatorIdentity(ctx), now: ctx.now(), keepPlanned: keep !== undefined });
    try {
      etag = await writeOverwriteMarker(s3, bucket, marker, etag === undefined ? 'absent' : { etag });
    } catch (err) {
      throw withHint(err, ctx, `nothing was changed; ${again}`);
    }
  }
  const result: StepsResult = { outcomes: [] };
  for (const step of p.steps) {
    result.outcomes.push(...(await runSteps(ctx, [step], o.onFailure)).outcomes);
    if (step !== keep) continue;
    marker = markerAfterKeep(marker!, p.decision, ctx.now());
    try {
      etag = await writeOverwriteMarker(s3, bucket, marker, { etag: etag! });
    } catch (err) {
      throw withHint(err, ctx, `latest/ was not touched; ${again}`);
    }
  }
  if (etag === undefined) return result;
  // Left behind, the marker would make the next push or restore skip keeping a latest/ that is whole.
  let cleared: Awaited<ReturnType<typeof deleteOverwriteMarker>>;
  try {
    cleared = await deleteOverwriteMarker(s3, bucket, etag);
  } catch (err) {
    throw withHint(err, ctx, `latest/ is complete, but ${markerUrl(bucket)} still says it is part-written: ${again} (it has nothing to copy and removes it)`);
  }
  if (cleared === 'changed') ctx.log.warn(`${markerUrl(bucket)} was rewritten by another run since this one wrote it: left in place (claw backup status shows it)`);
  return result;
}
