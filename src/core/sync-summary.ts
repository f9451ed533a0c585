import { RefusedError } from './errors.js';
import { formatBytes } from './bytes.js';
import { describeLocation } from './sync-location.js';
import { transferOp, type SyncPlan } from './sync-plan.js';

// What a sync plan amounts to, in numbers and in words: the summary, the one-line
// description, the --max-delete guard and the closing line of a push, pull or restore.

export interface Tally {
  count: number;
  bytes: number;
}

export interface PlanSummary {
  upload: Tally;
  download: Tally;
  copy: Tally;
  /** All transfers, whatever their op. */
  transfer: Tally;
  new: number;
  changed: number;
  delete: Tally;
  unchanged: Tally;
}

/** Counts and bytes per operation: what a dry run shows and what an execution reports against. */
export function summarizePlan(plan: SyncPlan): PlanSummary {
  const tally = (): Tally => ({ count: 0, bytes: 0 });
  const s: PlanSummary = {
    upload: tally(),
    download: tally(),
    copy: tally(),
    transfer: tally(),
    new: 0,
    changed: 0,
    delete: tally(),
    unchanged: { ...plan.unchanged },
  };
  for (const t of plan.transfers) {
    s[t.op].count++;
    s[t.op].bytes += t.size;
    s.transfer.count++;
    s.transfer.bytes += t.size;
    s[t.reason]++;
  }
  for (const d of plan.deletes) {
    s.delete.count++;
    s.delete.bytes += d.size;
  }
  return s;
}

/** One line for the `planned` event, e.g. "upload 3 (1.2 MiB; 2 new, 1 changed), delete 1 (8.0 KiB), 40 unchanged (2.0 MiB)". */
export function describePlan(plan: SyncPlan): string {
  const s = summarizePlan(plan);
  const op = transferOp(plan.source, plan.destination);
  const parts = [`${op} ${s.transfer.count} (${formatBytes(s.transfer.bytes)}; ${s.new} new, ${s.changed} changed)`];
  if (plan.deletes.length > 0) parts.push(`delete ${s.delete.count} (${formatBytes(s.delete.bytes)})`);
  parts.push(`${s.unchanged.count} unchanged (${formatBytes(s.unchanged.bytes)})`);
  if (plan.left?.length) parts.push(`${plan.left.length} only at the destination, left there (--delete would remove them)`);
  if (plan.blocked?.length) parts.push(`${plan.blocked.length} refused (cannot be written here)`);
  if (plan.staleTemp?.length)
    parts.push(`remove ${plan.staleTemp.length} temporary folder${plan.staleTemp.length === 1 ? '' : 's'} of a killed pull (${plan.staleTemp.join(', ')})`);
  return `${describeLocation(plan.source)} -> ${describeLocation(plan.destination)}: ${parts.join(', ')}`;
}

/** The --max-delete guard, before anything is done: more deletes than allowed is refused. */
export function checkMaxDelete(plan: SyncPlan, maxDelete: number | undefined): void {
  if (maxDelete === undefined || plan.deletes.length <= maxDelete) return;
  const what = plan.destination.kind === 's3' ? 'objects' : 'files';
  throw new RefusedError(
    `would delete ${plan.deletes.length} ${what}, more than --max-delete ${maxDelete}; nothing was changed`,
    `check that ${describeLocation(plan.source)} is complete, then run again with --max-delete ${plan.deletes.length} (or without --delete)`,
  );
}

/**
 * The closing line of a sync into `where`: it matches the source only when nothing was
 * left there that the source lacks; otherwise exactly what is true, and what --delete
 * would have removed (at most 5 keys named).
 */
export function closingLine(where: string, source: string, plan: SyncPlan | undefined, when: 'now' | 'already' = 'now'): string {
  const left = plan?.left ?? [];
  if (left.length === 0) return `${where} ${when} matches ${source}`;
  const names =
    left
      .slice(0, 5)
      .map((l) => l.key)
      .join(', ') + (left.length > 5 ? ` and ${left.length - 5} more` : '');
  const n = `${left.length} object${left.length === 1 ? '' : 's'}`;
  const would = when === 'now' ? 'would have removed' : 'would remove';
  return `${where} ${when} holds everything in ${source}; ${n} not in it remain${left.length === 1 ? 's' : ''} (${names}): --delete ${would} ${left.length === 1 ? 'it' : 'them'}`;
}
