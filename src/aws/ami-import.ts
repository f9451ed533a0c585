// ImportSnapshot for `claw ami build`: find earlier tasks for an image, start one
// (idempotent through its client token), and poll it to the end with backoff.
import type { DescribeImportSnapshotTasksCommandInput, ImportSnapshotTask } from '@aws-sdk/client-ec2';
import { setTimeout as delay } from 'node:timers/promises';
import { diskFormat, importTaskTags, TAG, taskPhase, type FoundTask, type ImageFormat, type Provenance } from '../core/ami-build.js';
import { InterruptedError, RemoteError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Ec2Api } from './clients.js';
import { tagMap } from './instances.js';
import { collectPages } from './paginate.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface PollOptions {
  /** First wait between polls; grows by half each time up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  /** Give up (the task keeps running; a re-run resumes it). */
  timeoutMs: number;
}

// Imports of a few GiB take 10-40 minutes; polling every 30 s at most keeps calls few.
export const DEFAULT_POLL: PollOptions = { initialMs: 5_000, maxMs: 30_000, timeoutMs: 3 * 3_600_000 };

export const realSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError('interrupted while waiting for the import');
    throw err;
  }
};

/** The import ended in `deleted|deleting|error`, or took too long. */
export class ImportFailedError extends RemoteError {}

export interface ImportTarget {
  bucket: string;
  vmimportRole: string;
}

function checkHint(t: ImportTarget, key: string, format: ImageFormat): string {
  return (
    `check that the IAM role "${t.vmimportRole}" exists, trusts vmie.amazonaws.com and may read s3://${t.bucket}/${key}, ` +
    `and that the object is a ${diskFormat(format)} disk image; re-running claw ami build starts a new attempt`
  );
}

function toFoundTask(t: ImportSnapshotTask): FoundTask | undefined {
  if (!t.ImportTaskId) return undefined;
  const d = t.SnapshotTaskDetail;
  return { taskId: t.ImportTaskId, status: d?.Status, statusMessage: d?.StatusMessage, snapshotId: d?.SnapshotId, snapshotExists: false, tags: tagMap(t.Tags) };
}

async function snapshotExists(ec2: Ec2Api, snapshotId: string): Promise<boolean> {
  try {
    const out = await ec2.describeSnapshots({ SnapshotIds: [snapshotId] });
    return (out.Snapshots ?? []).some((s) => s.SnapshotId === snapshotId);
  } catch (err) {
    if ((err as Error).name === 'InvalidSnapshot.NotFound') return false;
    throw err;
  }
}

/**
 * Import tasks carrying this image's hash tag. AWS keeps tasks for 7 days and has no
 * server-side tag filter for them, so this reads them all; a completed task's snapshot
 * is checked, since a prune may have deleted it since.
 */
export async function findImportTasks(ec2: Ec2Api, sha256: string): Promise<FoundTask[]> {
  const tasks = await collectPages(
    (input: DescribeImportSnapshotTasksCommandInput) => ec2.describeImportSnapshotTasks(input),
    {},
    (out) => out.ImportSnapshotTasks,
    'DescribeImportSnapshotTasks',
  );
  const found = tasks.map(toFoundTask).filter((t): t is FoundTask => t !== undefined && t.tags[TAG.imageSha] === sha256);
  for (const t of found) {
    if (taskPhase(t.status) === 'completed' && t.snapshotId !== undefined) t.snapshotExists = await snapshotExists(ec2, t.snapshotId);
  }
  return found;
}

export interface StartImport {
  name: string;
  format: ImageFormat;
  provenance: Provenance;
  attempt: number;
  clientToken: string;
}

/** ImportSnapshot; the same client token returns the same task, so a retry never starts a second one. */
export async function startImport(ec2: Ec2Api, t: ImportTarget, s: StartImport): Promise<string> {
  const key = s.provenance.sourceS3Key;
  let out;
  try {
    out = await ec2.importSnapshot({
      ClientToken: s.clientToken,
      Description: `${s.name} (claw ami build, sha256 ${s.provenance.imageSha256.slice(0, 12)})`,
      RoleName: t.vmimportRole,
      DiskContainer: { Format: diskFormat(s.format), UserBucket: { S3Bucket: t.bucket, S3Key: key }, Description: s.name },
      TagSpecifications: [
        { ResourceType: 'import-snapshot-task', Tags: Object.entries(importTaskTags(s.name, s.provenance, s.attempt)).map(([Key, Value]) => ({ Key, Value })) },
      ],
    });
  } catch (err) {
    // AWS refuses a missing or untrusted role, or an unreadable object, up front.
    const e = err as Error & { $metadata?: unknown };
    if (e.$metadata !== undefined && /^Invalid/.test(e.name)) {
      throw new ImportFailedError(`ImportSnapshot refused: ${e.name}: ${e.message.split('\n')[0] ?? ''}`, checkHint(t, key, s.format), { cause: err });
    }
    throw err;
  }
  if (!out.ImportTaskId) throw new RemoteError('ImportSnapshot returned no ImportTaskId');
  return out.ImportTaskId;
}

export interface WaitDeps {
  events: EventSink;
  now: () => Date;
  sleep?: Sleep | undefined;
  signal?: AbortSignal | undefined;
  poll?: Partial<PollOptions> | undefined;
}

/** Poll until the task completes; its snapshot id. Failure and timeout throw with what to check. */
export async function waitForImport(ec2: Ec2Api, taskId: string, t: ImportTarget & { key: string; format: ImageFormat }, deps: WaitDeps): Promise<string> {
  const poll = { ...DEFAULT_POLL, ...deps.poll };
  const sleep = deps.sleep ?? realSleep;
  const started = deps.now().getTime();
  let wait = poll.initialMs;
  let last = -1;
  for (;;) {
    if (deps.signal?.aborted) throw new InterruptedError('interrupted while waiting for the import');
    const out = await ec2.describeImportSnapshotTasks({ ImportTaskIds: [taskId] });
    const task = (out.ImportSnapshotTasks ?? []).find((x) => x.ImportTaskId === taskId);
    if (!task) throw new RemoteError(`import task ${taskId} was not found`, 'AWS keeps import tasks for 7 days; re-run claw ami build to start a new one');
    const d = task.SnapshotTaskDetail ?? {};
    const phase = taskPhase(d.Status);
    if (phase === 'completed') {
      if (!d.SnapshotId) throw new RemoteError(`import task ${taskId} completed without a snapshot id`);
      deps.events.emit({ type: 'progress', step: 'import', done: 100, total: 100, unit: 'percent' });
      return d.SnapshotId;
    }
    if (phase === 'failed') {
      throw new ImportFailedError(`import task ${taskId} ${d.Status}: ${d.StatusMessage ?? 'AWS gave no status message'}`, checkHint(t, t.key, t.format));
    }
    const pct = Number(d.Progress);
    if (Number.isFinite(pct) && pct !== last) {
      last = pct;
      deps.events.emit({ type: 'progress', step: 'import', done: pct, total: 100, unit: 'percent' });
    }
    if (deps.now().getTime() - started + wait > poll.timeoutMs) {
      throw new ImportFailedError(
        `import task ${taskId} is still ${d.Status ?? 'active'}${d.StatusMessage ? ` (${d.StatusMessage})` : ''} after ${Math.round(poll.timeoutMs / 60_000)} min`,
        `it keeps running on AWS: re-run claw ami build later to pick it up (aws ec2 describe-import-snapshot-tasks --import-task-ids ${taskId})`,
      );
    }
    await sleep(wait, deps.signal);
    wait = Math.min(Math.round(wait * 1.5), poll.maxMs);
  }
}
