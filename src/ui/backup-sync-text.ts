import type { EarlierRun } from '../core/backup-overwrite.js';
import type { BackupSyncStep } from '../core/backup-sync.js';
import { formatBytes, transferOp, type SyncPlan } from '../core/sync-plan.js';
import { summarizePlan } from '../core/sync-summary.js';
import { describeLocation } from '../core/sync-location.js';
import type { Styler } from './style.js';
import { escapeField } from '../core/terminal-text.js';

// restore / pull / push: the plan (steps, counts, bytes, and each object on request) and
// the outcome, as plain text. The JSON shapes live with the commands.

function counts(plan: SyncPlan): string {
  const s = summarizePlan(plan);
  const op = transferOp(plan.source, plan.destination);
  const parts = [`${op} ${s.transfer.count} (${formatBytes(s.transfer.bytes)}; ${s.new} new, ${s.changed} changed)`];
  if (s.delete.count > 0) parts.push(`delete ${s.delete.count} (${formatBytes(s.delete.bytes)})`);
  parts.push(`${s.unchanged.count} unchanged`);
  if (plan.blocked?.length) parts.push(`${plan.blocked.length} refused (cannot be written here)`);
  if (plan.left?.length)
    parts.push(
      `${plan.left.length} not in the source left as ${plan.left.length === 1 ? 'it is' : 'they are'} (--delete would delete ${plan.left.length === 1 ? 'it' : 'them'})`,
    );
  return parts.join(', ');
}

/** What the plan does besides its transfers: clean up after a killed pull, keys it refuses. */
function extraLines(plan: SyncPlan): string[] {
  const out: string[] = [];
  if (plan.staleTemp?.length)
    out.push(`     remove ${plan.staleTemp.length} temporary folder${plan.staleTemp.length === 1 ? '' : 's'} of a killed pull (${plan.staleTemp.join(', ')})`);
  for (const b of plan.blocked ?? []) out.push(`     refused: ${escapeField(b.key)}: ${escapeField(b.reason)}`);
  return out;
}

function objectLines(plan: SyncPlan): string[] {
  const op = transferOp(plan.source, plan.destination);
  return [
    ...plan.transfers.map((t) => `       ${op.padEnd(8)} ${t.reason.padEnd(7)} ${escapeField(t.key)}  ${formatBytes(t.size)}`),
    ...plan.deletes.map((d) => `       ${'delete'.padEnd(8)} ${'gone'.padEnd(7)} ${escapeField(d.key)}  ${formatBytes(d.size)}`),
    ...(plan.left ?? []).map((d) => `       ${'leave'.padEnd(8)} ${'extra'.padEnd(7)} ${escapeField(d.key)}  ${formatBytes(d.size)}`),
  ];
}

export interface RestartLine {
  host: string;
  instanceId: string;
}

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** The one line about an earlier run that stopped part-way through an overwrite of latest/. */
export function earlierRunLine(e: EarlierRun): string {
  const m = e.marker;
  const who = ` (${m.command} from ${m.source} by ${m.by}, started ${utc(m.startedAt)})`;
  if (e.action === 'finish-keep')
    return `an earlier run stopped while keeping latest/ as snapshots/${m.keptAs}/; latest/ was not touched yet and that copy is finished first${who}`;
  if (m.keptAs === null) return `an earlier run stopped while writing into latest/, which was empty before it; latest/ is part-written and is not kept${who}`;
  return `an earlier run stopped after keeping latest/ as snapshots/${m.keptAs}/; latest/ is part-written and is not kept again${who}`;
}

export function renderSyncSteps(
  steps: readonly BackupSyncStep[],
  o: { objects: boolean; restart?: RestartLine | undefined; paint: Styler; notes?: readonly string[] | undefined },
): string {
  const lines: string[] = (o.notes ?? []).map((n) => `  ${o.paint('yellow', n)}`);
  if (steps.length === 0) lines.push('  nothing to copy: latest/ already matches; only the marker of the earlier run is removed');
  steps.forEach((step, i) => {
    const { plan } = step;
    lines.push(`  ${i + 1}. ${step.title}`);
    lines.push(`     ${describeLocation(plan.source)} -> ${describeLocation(plan.destination)}`);
    lines.push(`     ${counts(plan)}`);
    lines.push(...extraLines(plan));
    if (o.objects) lines.push(...objectLines(plan));
  });
  if (o.restart) {
    lines.push(
      `  ${steps.length + 1}. restart on ${o.restart.host} (${o.restart.instanceId}): openclaw-s3-restore.service (latest/ to disk), then openclaw.service`,
    );
  }
  return `${o.paint('bold', 'plan')}\n${lines.join('\n')}`;
}

export interface StepOutcome {
  title: string;
  transferred: number;
  bytes: number;
  deleted: number;
}

export function renderSyncOutcome(outcomes: readonly StepOutcome[], closing: readonly string[]): string {
  const lines = outcomes.map((o) => `${o.title}: ${o.transferred} transferred (${formatBytes(o.bytes)})${o.deleted ? `, ${o.deleted} deleted` : ''}`);
  return [...lines, ...closing].join('\n');
}

/** "s3.ListObjectsV2 2, s3.CopyObject 3": the AWS calls of the run, by kind. */
export function requestsLine(requests: Record<string, number>): string {
  const parts = Object.entries(requests).map(([k, n]) => `${k} ${n}`);
  return `requests: ${parts.length ? parts.join(', ') : 'none'}`;
}
