import { z } from 'zod';
import { parseStamp, snapshotPrefix, type UnfinishedOverwrite } from './backup.js';
import { undoHint } from './backup-sync.js';

// The marker of an unfinished overwrite of latest/ (a push or restore that stopped), kept
// in the backup bucket itself so every operator's claw sees it, and what a push or
// restore does when it finds one. Pure: src/aws/backup-marker.ts reads and writes it.
//
// Where it lives: claw/, beside latest/ and snapshots/, never inside them. The host's
// timer (openclaw-s3-backup.service) syncs its disk to latest/ only; retention (claw
// backup prune, src/core/backup-retention.ts) and every listing (status, list, the TUI's
// backup age, doctor) read latest/ and snapshots/ by prefix only (src/aws/backup.ts), so
// the marker is never taken for a snapshot or for the host's state.

export const OVERWRITE_MARKER_KEY = 'claw/unfinished-overwrite.json';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'is not a timestamp');
const stamp = z.string().refine((s) => parseStamp(s) !== undefined, 'is not a snapshot stamp (YYYY-MM-DD-HH-MM)');

export const overwriteMarkerSchema = z
  .object({
    version: z.literal(1),
    /** The run that wrote it last: recognises our own write when S3's answer to it was lost. */
    run: z.string().min(1).max(64),
    /** What the latest attempt was: its command, source and operator. */
    command: z.enum(['push', 'restore']),
    source: z.string().min(1).max(2_000),
    by: z.string().min(1).max(200),
    /** When the first attempt started (the state before it is `keptAs`). */
    startedAt: iso,
    updatedAt: iso,
    /** The snapshot holding latest/ as it was before the first attempt; null: latest/ was empty. */
    keptAs: stamp.nullable(),
    /** false: latest/ is not touched yet (the copy into keptAs may be partial). */
    keepFinished: z.boolean(),
    /** Renewed while the run is alive (every MARKER_HEARTBEAT_MS); a marker without it counts from updatedAt. */
    heartbeatAt: iso.optional(),
    /** How long after its last heartbeat the run is presumed dead. */
    leaseSeconds: z.number().int().min(10).max(3600).optional(),
    /** Written by a run that stopped on an error: no longer live, whatever its heartbeat. */
    stoppedAt: iso.optional(),
  })
  .refine((m) => m.keptAs !== null || m.keepFinished, 'keptAs: null needs keepFinished: true (nothing to keep)');
export type OverwriteMarker = z.infer<typeof overwriteMarkerSchema>;

/** A run renews its marker this often while it writes. */
export const MARKER_HEARTBEAT_MS = 30_000;
/** ...and is presumed dead this long after its last renewal (four missed heartbeats). */
export const MARKER_LEASE_SECONDS = 120;

/**
 * Is the marker a running push's or restore's? Renewed within its lease and not marked
 * stopped. (A run that died on this machine is told apart by its run id: local-runs.ts.)
 */
export function markerLive(m: OverwriteMarker, now: Date): boolean {
  if (m.stoppedAt !== undefined) return false;
  const beat = Date.parse(m.heartbeatAt ?? m.updatedAt);
  return now.getTime() - beat < (m.leaseSeconds ?? MARKER_LEASE_SECONDS) * 1000;
}

/** When a live marker's run is presumed dead, if it stops renewing it. */
export const markerExpiresAt = (m: OverwriteMarker): Date =>
  new Date(Date.parse(m.heartbeatAt ?? m.updatedAt) + (m.leaseSeconds ?? MARKER_LEASE_SECONDS) * 1000);

export type MarkerState =
  | { kind: 'none' }
  | { kind: 'found'; marker: OverwriteMarker; etag: string }
  /** An object is there but is not a marker (written by hand?): never guessed at. */
  | { kind: 'unreadable'; etag: string; reason: string };

export function parseMarker(text: string, etag: string): MarkerState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', etag, reason: 'not JSON' };
  }
  const parsed = overwriteMarkerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'unreadable', etag, reason: `${issue.path.join('.') || 'marker'}: ${issue.message}` };
  }
  return { kind: 'found', marker: parsed.data, etag };
}

/** What an earlier, stopped run left and what this run does about it. */
export interface EarlierRun {
  marker: OverwriteMarker;
  /** finish-keep: latest/ was not touched, the copy into keptAs is completed first; not-kept-again: latest/ is part-written. */
  action: 'finish-keep' | 'not-kept-again';
}

export interface OverwriteDecision {
  /** Sync latest/ into snapshots/<into>/ first (delete: make it an exact copy, finishing a partial one). */
  keep: { into: string; delete: boolean } | null;
  /** The snapshot that holds latest/ as it was before this overwrite (first attempt's); null: it was empty. */
  keptAs: string | null;
  earlier: EarlierRun | null;
}

/**
 * Which copy of latest/ a push or restore keeps before it overwrites latest/.
 * - no marker: latest/ is a real state; keep it in a fresh snapshot (`freshStamp`), if it holds anything.
 * - a marker whose keep finished: latest/ is a part-written mix that never existed; it is
 *   not kept again, and the state before is the marker's snapshot, whatever this run's source.
 * - a marker whose keep had not finished: latest/ is still the state before; the copy into
 *   the marker's snapshot is completed (exactly), not started anew elsewhere.
 */
export function decideOverwrite(o: { marker: OverwriteMarker | null; latestHasObjects: boolean; freshStamp: string }): OverwriteDecision {
  const m = o.marker;
  if (m === null) {
    return o.latestHasObjects
      ? { keep: { into: o.freshStamp, delete: false }, keptAs: o.freshStamp, earlier: null }
      : { keep: null, keptAs: null, earlier: null };
  }
  if (m.keepFinished) return { keep: null, keptAs: m.keptAs, earlier: { marker: m, action: 'not-kept-again' } };
  // keptAs is set whenever the keep had not finished (the schema says so). A latest/ emptied
  // since leaves nothing before this overwrite: the partial copy is emptied with it.
  const into = m.keptAs!;
  return { keep: { into, delete: true }, keptAs: o.latestHasObjects ? into : null, earlier: { marker: m, action: 'finish-keep' } };
}

/** The marker a run writes before its first write (into the kept snapshot or latest/). */
export function markerForRun(o: {
  previous: OverwriteMarker | null;
  decision: OverwriteDecision;
  run: string;
  command: OverwriteMarker['command'];
  source: string;
  by: string;
  now: Date;
  keepPlanned: boolean;
}): OverwriteMarker {
  const at = o.now.toISOString();
  return {
    version: 1,
    run: o.run,
    command: o.command,
    source: o.source,
    by: o.by,
    startedAt: o.previous?.startedAt ?? at,
    updatedAt: at,
    // While the copy runs, it names the snapshot it goes into (the state before, once done).
    keptAs: o.keepPlanned && o.decision.keep ? o.decision.keep.into : o.decision.keptAs,
    // Nothing to copy (latest/ empty, or the copy already done): the next write is latest/.
    keepFinished: !o.keepPlanned,
    heartbeatAt: at,
    leaseSeconds: MARKER_LEASE_SECONDS,
  };
}

/** The marker renewed by its live run. */
export const markerHeartbeat = (m: OverwriteMarker, now: Date): OverwriteMarker => ({ ...m, heartbeatAt: now.toISOString() });

/** The marker of a run that stopped on an error: not live, so the next run need not wait for the lease. */
export const markerStopped = (m: OverwriteMarker, now: Date): OverwriteMarker => ({ ...m, stoppedAt: now.toISOString() });

/** The marker once the keep is done: latest/ is written next. */
export const markerAfterKeep = (m: OverwriteMarker, decision: OverwriteDecision, now: Date): OverwriteMarker => ({
  ...m,
  keptAs: decision.keptAs,
  keepFinished: true,
  updatedAt: now.toISOString(),
  heartbeatAt: now.toISOString(),
});

export const keptPrefix = (m: Pick<OverwriteMarker, 'keptAs'>): string | null => (m.keptAs === null ? null : snapshotPrefix(m.keptAs));

/**
 * What to do about an unfinished overwrite (status). A partial copy is never offered as
 * the way back: while the keep had not finished, only running again is.
 */
export function unfinishedFix(m: OverwriteMarker, bucketFlag: string): string {
  const again = `run the same ${m.command} again`;
  if (!m.keepFinished) return `${again}: latest/ was not touched yet; it finishes the copy into snapshots/${m.keptAs}/ first`;
  if (m.keptAs === null) return `${again} (latest/ was empty before it)`;
  return `${again}, or put the state before it back: ${undoHint(bucketFlag, m.keptAs)}`;
}

/** What `claw backup status` says about the marker it read. */
export function unfinishedOverwrite(state: MarkerState, bucketFlag: string, now: Date = new Date()): UnfinishedOverwrite | null {
  if (state.kind === 'none') return null;
  if (state.kind === 'unreadable') {
    return {
      readable: false,
      reason: state.reason,
      fix: `look at ${OVERWRITE_MARKER_KEY} and remove it only when no push or restore of latest/ stopped part-way; until then claw backup push and restore refuse to run`,
    };
  }
  const { command, source, by, startedAt, updatedAt, keptAs, keepFinished } = state.marker;
  const live = markerLive(state.marker, now);
  const fix = live
    ? `wait for it to finish; if that claw was killed, it counts as stopped after ${markerExpiresAt(state.marker).toISOString()} (then: ${unfinishedFix(state.marker, bucketFlag)})`
    : unfinishedFix(state.marker, bucketFlag);
  return { readable: true, command, source, by, startedAt, updatedAt, keptAs, keepFinished, live, fix };
}
