import { deleteOverwriteMarker, markerUrl, readOverwriteMarker, writeOverwriteMarker } from '../../aws/backup-marker.js';
import type { BackupBucket } from '../../aws/backup.js';
import { explainAwsError } from '../../aws/errors.js';
import type { BackupListing } from '../../core/backup.js';
import {
  decideOverwrite,
  keptPrefix,
  MARKER_HEARTBEAT_MS,
  markerAfterKeep,
  markerExpiresAt,
  markerForRun,
  markerHeartbeat,
  markerLive,
  markerStopped,
  type MarkerState,
  type OverwriteDecision,
  type OverwriteMarker,
} from '../../core/backup-overwrite.js';
import { deadLocalRun, startLocalRun } from '../../nix/local-runs.js';
import { retryTransient } from '../../aws/transient.js';
import { isNoop, latestOf, preRestoreStamp, snapshotOf, type BackupSyncStep, type BackupSyncStepId } from '../../core/backup-sync.js';
import { ClawError, RefusedError, RemoteError } from '../../core/errors.js';
import type { SyncPlan } from '../../core/sync-plan.js';
import { earlierRunLine } from '../../ui/backup-sync-text.js';
import { planIn, runSteps, type StepsResult } from './sync.js';
import type { Context } from '../../cli/context.js';
import { operatorIdentity } from '../../services/deploy/lock-options.js';

// push and restore overwrite latest/: keep it as a snapshot first, then write into it.
// A marker in the bucket (src/core/backup-overwrite.ts) says an overwrite is under way
// from before the first write until the last, so a run that stops part-way is known to
// every operator's claw, and running again neither keeps the part-written latest/ as if
// it were a real state nor points the undo at such a copy.

type Found = Extract<MarkerState, { kind: 'found' }>;

/**
 * The marker, if any, of a run that is over; an object there that claw cannot read is
 * refused (never guessed at), and so is the marker of a run that is still writing: one
 * that renewed it within its lease, unless this machine knows that run died here.
 */
export async function loadMarker(ctx: Context, bucket: BackupBucket): Promise<Found | undefined> {
  const state = await readOverwriteMarker((await ctx.clients()).s3, bucket);
  if (state.kind === 'unreadable') {
    throw new RefusedError(
      `${markerUrl(bucket)} is not a marker claw can read (${state.reason}); nothing was changed`,
      'it says whether a push or restore of latest/ stopped part-way: look at it, and remove it (aws s3 rm) only when none did',
    );
  }
  if (state.kind !== 'found') return undefined;
  const m = state.marker;
  const now = ctx.now();
  if (markerLive(m, now) && !deadLocalRun(ctx.home, m.run)) {
    const beat = Math.max(0, Math.round((now.getTime() - Date.parse(m.heartbeatAt ?? m.updatedAt)) / 1000));
    throw new RefusedError(
      `another ${m.command} is writing latest/ now: by ${m.by} from ${m.source}, run ${m.run}, started ${m.startedAt} (renewed ${beat}s ago); nothing was changed`,
      `wait for it to finish (claw backup status shows it); if that claw was killed, it counts as stopped after ${markerExpiresAt(m).toISOString()}, then run again`,
    );
  }
  return state;
}

/**
 * A pull of latest/ while a push or restore is unfinished gets a mix that never existed:
 * said once on stderr, with where the state before it is. The pull itself goes on.
 */
export async function warnIfPartWritten(ctx: Context, bucket: BackupBucket): Promise<void> {
  const state = await readOverwriteMarker((await ctx.clients()).s3, bucket);
  if (state.kind === 'unreadable')
    return ctx.log.warn(`${markerUrl(bucket)} is not a marker claw can read (${state.reason}): latest/ may be part-written; see claw backup status`);
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
  const decision = decideOverwrite({
    marker: o.found?.marker ?? null,
    latestHasObjects: o.listing.latest.objects > 0,
    freshStamp: preRestoreStamp(ctx.now(), o.listing),
  });
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
  return {
    marker: markerUrl(bucket),
    command,
    source,
    by,
    startedAt,
    updatedAt,
    keptAs: keptPrefix(e.marker),
    keepFinished,
    action: e.action,
    line: earlierRunLine(e),
  };
}

/** An AWS failure of a marker call, with what it means for latest/ as the hint. */
function withHint(err: unknown, ctx: Context, hint: string): unknown {
  if (err instanceof RefusedError) return err;
  const known = err instanceof ClawError ? err : explainAwsError(err, ctx.target);
  return known ? new RemoteError(known.message, hint, { cause: err }) : err;
}

/**
 * The marker of this run, written one write after another (each conditional on the last
 * ETag), renewed every MARKER_HEARTBEAT_MS while the run is alive. A write refused
 * because another run changed the marker means it took latest/ over: `lost` is set and
 * the run's transfers are stopped.
 */
export function markerWriter(
  ctx: Context,
  bucket: BackupBucket,
  s3: Awaited<ReturnType<Context['clients']>>['s3'],
  first: { marker: OverwriteMarker; etag: string | undefined },
) {
  let marker = first.marker;
  let etag = first.etag;
  let chain: Promise<unknown> = Promise.resolve();
  let lost: unknown;
  const stop = new AbortController();
  const write = (next: OverwriteMarker): Promise<string> => {
    const p = chain.then(async () => {
      const e = await writeOverwriteMarker(s3, bucket, next, etag === undefined ? 'absent' : { etag });
      marker = next;
      etag = e;
      return e;
    });
    chain = p.catch(() => undefined);
    return p;
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    signal: AbortSignal.any([ctx.io.signal, stop.signal]),
    current: () => ({ marker, etag }),
    lost: () => lost,
    write,
    startHeartbeat() {
      timer = setInterval(() => {
        write(markerHeartbeat(marker, ctx.now())).catch((err: unknown) => {
          if (!(err instanceof RefusedError)) return ctx.log.debug(`marker heartbeat failed (tried again next time): ${(err as Error).message}`);
          lost = err;
          clearInterval(timer);
          stop.abort();
        });
      }, MARKER_HEARTBEAT_MS);
      timer.unref();
    },
    async stopHeartbeat() {
      clearInterval(timer);
      await chain;
    },
  };
}

/**
 * Carry out the plan under the marker: write it (create, or take over the earlier run's),
 * the keep, mark the keep done, the rest, remove the marker. While it runs the marker is
 * renewed (a second push or restore refuses to start); a run that stops anywhere leaves
 * the marker saying how far it got, marked stopped when it can still say so.
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
  const result: StepsResult = { outcomes: [] };
  if (p.steps.length === 0) {
    if (p.found) await clearMarker(ctx, bucket, p.found.etag, again);
    return result;
  }
  // Recorded here before the marker is written: a claw killed outright on this machine is known as dead by it.
  const run = startLocalRun(ctx.home, `backup ${o.command}`, ctx.now());
  const first = markerForRun({
    previous: p.found?.marker ?? null,
    decision: p.decision,
    run: run.id,
    command: o.command,
    source: o.source,
    by: operatorIdentity({ env: ctx.io.env }),
    now: ctx.now(),
    keepPlanned: keep !== undefined,
  });
  const writer = markerWriter(ctx, bucket, s3, { marker: first, etag: p.found?.etag });
  try {
    await writer.write(first);
  } catch (err) {
    run.end();
    throw withHint(err, ctx, `nothing was changed; ${again}`);
  }
  writer.startHeartbeat();
  const runCtx: Context = { ...ctx, io: { ...ctx.io, signal: writer.signal } };
  try {
    for (const step of p.steps) {
      result.outcomes.push(...(await runSteps(runCtx, [step], o.onFailure)).outcomes);
      if (step !== keep) continue;
      try {
        await writer.write(markerAfterKeep(writer.current().marker, p.decision, ctx.now()));
      } catch (err) {
        throw withHint(err, ctx, `latest/ was not touched; ${again}`);
      }
    }
  } catch (err) {
    await writer.stopHeartbeat();
    if (writer.lost())
      throw new RefusedError(
        `another run took ${markerUrl(bucket)} over while this ${o.command} was writing; it stopped where it was`,
        'see claw backup status; run again once that run is over',
      );
    // Best effort (tried again through transient faults): marked stopped, the next run need
    // not wait for the lease to run out; on this machine its run id tells it anyway.
    await retryTransient(() => writer.write(markerStopped(writer.current().marker, ctx.now()))).catch(() => undefined);
    throw err;
  }
  await writer.stopHeartbeat();
  await clearMarker(ctx, bucket, writer.current().etag!, again);
  run.end();
  return result;
}

/** Left behind, the marker would make the next push or restore skip keeping a latest/ that is whole. */
async function clearMarker(ctx: Context, bucket: BackupBucket, etag: string, again: string): Promise<void> {
  let cleared: Awaited<ReturnType<typeof deleteOverwriteMarker>>;
  try {
    cleared = await deleteOverwriteMarker((await ctx.clients()).s3, bucket, etag);
  } catch (err) {
    throw withHint(err, ctx, `latest/ is complete, but ${markerUrl(bucket)} still says it is part-written: ${again} (it has nothing to copy and removes it)`);
  }
  if (cleared === 'changed')
    ctx.log.warn(`${markerUrl(bucket)} was rewritten by another run since this one wrote it: left in place (claw backup status shows it)`);
}
