import { InterruptedError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { forEachBounded, limiter } from '../core/pool.js';
import { localKeyProblem, type SyncLocation } from '../core/sync-location.js';
import { transferOp, type SyncPlan, type SyncTransfer } from '../core/sync-plan.js';
import { checkMaxDelete, summarizePlan } from '../core/sync-summary.js';
import type { S3Api } from './clients.js';
import { copyS3Object } from './sync-copy.js';
import type { SyncOptions } from './sync-planner.js';
import { localPath, removeLocal } from '../fs/sync-local.js';
import { openTempArea, removeStaleRuns, type TempArea } from '../fs/sync-temp.js';
import { SyncProgress, syncSteps } from './sync-progress.js';
import { deleteS3 } from './sync-remote.js';
import { downloadObject, PARTS_IN_FLIGHT, uploadFile, type TransferIo } from './sync-transfer.js';

// The S3 sync engine: local -> S3, S3 -> local and S3 -> S3. planSync lists both sides
// (paginated, concurrently) and decides from sizes and content hashes with no request
// per object; executeSync carries out exactly that plan with `concurrency` transfers at
// once, and deletes only when every transfer succeeded. Running it again after an
// interruption resumes: what was done is unchanged by then.

export interface SyncFailure {
  key: string;
  op: string;
  message: string;
}

export interface SyncResult {
  transferred: { count: number; bytes: number };
  deleted: number;
  failures: SyncFailure[];
  /** Why the planned deletes were not done (a transfer failed). */
  deletesSkipped?: string;
}

const messageOf = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  const first = err.message.split('\n')[0] ?? '';
  return err.name && err.name !== 'Error' && !first.startsWith(err.name) ? `${err.name}: ${first}` : first;
};

function transferOne(s3: S3Api, plan: SyncPlan, t: SyncTransfer, io: TransferIo, o: SyncOptions, temp: () => Promise<TempArea>): Promise<number> {
  const { source: src, destination: dst } = plan;
  if (src.kind === 'local' && dst.kind === 's3')
    return uploadFile(io, localPath(src.dir, t.key), dst.bucket, dst.prefix + t.key, t.size, { follow: plan.followSymlinks !== false });
  if (src.kind === 's3' && dst.kind === 'local') {
    // The plan never holds such keys; a hand-made one must not write outside the directory either.
    const problem = localKeyProblem(t.key);
    if (problem) return Promise.reject(new Error(`not written: the key has ${problem}`));
    return downloadObject(io, src.bucket, src.prefix + t.key, { root: dst.dir, key: t.key, temp });
  }
  if (src.kind === 's3' && dst.kind === 's3') {
    return copyS3Object(io, { bucket: src.bucket, key: src.prefix + t.key }, { bucket: dst.bucket, key: dst.prefix + t.key }, t.size, o, t.etag);
  }
  transferOp(src, dst); // throws the UsageError for local -> local
  return Promise.reject(new Error('unreachable'));
}

/** The temporary folders of killed pulls the plan showed (only ever inside claw's own `.claw-tmp`). */
async function removeStaleTemp(plan: SyncPlan, events: EventSink | undefined): Promise<void> {
  const dst = plan.destination;
  if (dst.kind !== 'local' || !plan.staleTemp?.length) return;
  try {
    await removeStaleRuns(dst.dir, plan.staleTemp);
  } catch (err) {
    events?.emit({ type: 'warning', message: `could not remove the temporary folders of a killed pull in ${dst.dir}: ${messageOf(err)}` });
  }
}

async function deleteAll(s3: S3Api, plan: SyncPlan, o: SyncOptions): Promise<{ deleted: number; failures: SyncFailure[] }> {
  const keys = plan.deletes.map((d) => d.key);
  const step = syncSteps(transferOp(plan.source, plan.destination)).delete;
  o.events?.emit({ type: 'step-started', step, detail: `${keys.length} to delete` });
  let done = 0;
  const tick = (n: number) => {
    done += n;
    o.events?.emit({ type: 'progress', step, done, total: keys.length, unit: 'items' });
  };
  let out: { deleted: number; failures: SyncFailure[] };
  const dst = plan.destination;
  if (dst.kind === 's3') out = await deleteS3(s3, dst.bucket, dst.prefix, keys, o.signal, tick);
  else {
    out = { deleted: 0, failures: [] };
    // One at a time keeps the "remove directories left empty" climb free of races.
    for (const key of keys) {
      if (o.signal?.aborted) break;
      const problem = localKeyProblem(key);
      try {
        if (problem) throw new Error(`not removed: the key has ${problem}`);
        await removeLocal(dst.dir, key);
        out.deleted++;
        tick(1);
      } catch (err) {
        out.failures.push({ key, op: 'delete', message: messageOf(err) });
      }
    }
  }
  o.events?.emit({
    type: 'step-finished',
    step,
    outcome: out.failures.length > 0 ? 'failed' : 'ok',
    detail: `${out.deleted} deleted${out.failures.length > 0 ? `, ${out.failures.length} failed` : ''}`,
  });
  return out;
}

/**
 * Carry out exactly `plan`: the --max-delete guard first (a RefusedError before anything
 * is done), then the transfers, `concurrency` at once, each failure collected without
 * stopping the others; then the deletes, only when no transfer failed. An abort stops
 * scheduling and ends in an InterruptedError (never deleting); run again to resume.
 */
export async function executeSync(s3: S3Api, plan: SyncPlan, o: SyncOptions): Promise<SyncResult> {
  checkMaxDelete(plan, o.maxDelete);
  const interrupted = (done: number) =>
    new InterruptedError(`sync interrupted after ${done} of ${plan.transfers.length} transfers; nothing was deleted; run the same sync again to finish`);
  if (o.signal?.aborted) throw interrupted(0);
  await removeStaleTemp(plan, o.events);
  // This run's temporary folder, made on the first download and removed at the end.
  let area: Promise<TempArea> | undefined;
  const temp = () => (area ??= openTempArea((plan.destination as Extract<SyncLocation, { kind: 'local' }>).dir));
  try {
    return await transferAndDelete(s3, plan, o, temp);
  } finally {
    if (area)
      await area.then(
        (a) => a.finish(),
        () => undefined,
      );
  }
}

async function transferAndDelete(s3: S3Api, plan: SyncPlan, o: SyncOptions, temp: () => Promise<TempArea>): Promise<SyncResult> {
  const interrupted = (done: number) =>
    new InterruptedError(`sync interrupted after ${done} of ${plan.transfers.length} transfers; nothing was deleted; run the same sync again to finish`);

  const summary = summarizePlan(plan);
  const progress = new SyncProgress(o.events, transferOp(plan.source, plan.destination), summary.transfer.count, summary.transfer.bytes);
  // Multipart uploads at once: their parts in flight add up to about `concurrency`.
  const large = limiter(Math.floor(o.concurrency / PARTS_IN_FLIGHT));
  const io: TransferIo = { s3, signal: o.signal, onBytes: (n) => progress.bytes(n), large };
  // Keys the plan refused to write are failures of the run: it exits 1 naming them, and deletes nothing.
  const result: SyncResult = {
    transferred: { count: 0, bytes: 0 },
    deleted: 0,
    failures: (plan.blocked ?? []).map((b) => ({ key: b.key, op: 'download', message: `not written: ${b.reason}` })),
  };
  progress.start();
  await forEachBounded(
    plan.transfers,
    Math.max(1, o.concurrency),
    async (t) => {
      try {
        const bytes = await transferOne(s3, plan, t, io, o, temp);
        result.transferred.count++;
        result.transferred.bytes += bytes;
        progress.fileDone(true);
      } catch (err) {
        result.failures.push({ key: t.key, op: t.op, message: messageOf(err) });
        progress.fileDone(false);
      }
    },
    o.signal,
  );
  progress.finish(Boolean(o.signal?.aborted));
  if (o.signal?.aborted) throw interrupted(result.transferred.count);

  if (plan.deletes.length > 0) {
    if (result.failures.length > 0) {
      const n = result.failures.length;
      result.deletesSkipped = `${n} transfer${n === 1 ? '' : 's'} failed, so none of the ${plan.deletes.length} planned deletes was done (a run with errors never deletes)`;
      o.events?.emit({
        type: 'step-finished',
        step: syncSteps(transferOp(plan.source, plan.destination)).delete,
        outcome: 'skipped',
        detail: result.deletesSkipped,
      });
    } else {
      const d = await deleteAll(s3, plan, o);
      result.deleted = d.deleted;
      for (const f of d.failures) result.failures.push(f);
      if (o.signal?.aborted)
        throw new InterruptedError(`sync interrupted while deleting (${d.deleted} of ${plan.deletes.length} deleted); run the same sync again to finish`);
    }
  }
  return result;
}
