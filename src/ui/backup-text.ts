import type { BackupListing, BackupStatus, SnapshotSummary, UnfinishedOverwrite, UnparsableEntry } from '../core/backup.js';
import type { BackupNowReport } from '../core/backup-unit.js';
import type { BackupPrunePlan, BackupPruneResult } from '../core/backup-retention.js';
import { formatBytes as formatSize } from '../core/bytes.js';
import { formatAge } from './format.js';
import type { Styler } from './style.js';
import { renderTable } from './table.js';
import { escapeField } from '../core/terminal-text.js';

// `claw backup status | list | prune | now` as plain text. JSON shapes live with the commands.

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const contents = (objects: number, bytes: number) => `${plural(objects, 'object')}, ${formatSize(bytes)}`;

function untouchedLine(entries: readonly UnparsableEntry[]): string {
  const shown = entries
    .slice(0, 5)
    .map((e) => e.prefix)
    .join(', ');
  return `${plural(entries.length, 'prefix', 'prefixes')} under snapshots/ ${entries.length === 1 ? 'is' : 'are'} not a snapshot (never touched): ${shown}${entries.length > 5 ? ', ...' : ''}`;
}

/** The warning rows of an unfinished push or restore: what, when, where the state before it is, and the fix. */
function overwriteRows(u: UnfinishedOverwrite, now: Date, paint: Styler): string[][] {
  if (!u.readable)
    return [
      ['overwrite', `${paint('yellow', 'UNREADABLE MARKER')}: ${u.reason}`],
      ['', `fix: ${u.fix}`],
    ];
  const what = `${u.command} from ${u.source} by ${u.by}, started ${utc(u.startedAt)} (${formatAge(u.startedAt, now)} ago)`;
  if (u.live)
    return [
      ['overwrite', `${paint('cyan', 'RUNNING')} ${what}: it is writing latest/ now`],
      ['', `fix: ${u.fix}`],
    ];
  const where = !u.keepFinished
    ? `it stopped while keeping latest/ as snapshots/${u.keptAs}/ (a partial copy); latest/ is not touched yet`
    : u.keptAs === null
      ? 'latest/ is part-written; it was empty before'
      : `latest/ is part-written; the state before it is snapshots/${u.keptAs}/`;
  return [
    ['overwrite', `${paint('yellow', 'UNFINISHED')} ${what}: ${where}`],
    ['', `fix: ${u.fix}`],
  ];
}

export function renderBackupStatus(s: BackupStatus, paint: Styler): string {
  const now = new Date(s.checkedAt);
  const l = s.latest;
  const timer = `the timer runs every ${l.intervalMinutes} min, stale after ${l.staleAfterMinutes} min`;
  let latest: string;
  if (l.state === 'empty') latest = `${paint('red', 'EMPTY')}: latest/ holds no objects; has the host's backup timer ever run?`;
  else {
    const when = `newest object ${utc(l.newestObjectTime!)} (${formatAge(l.newestObjectTime, now)} ago; ${timer})`;
    latest =
      l.state === 'fresh' ? `${paint('green', 'fresh')}: ${when}` : `${paint('red', 'STALE')}: ${when}; is openclaw-s3-backup.timer running on the host?`;
  }
  const n = s.snapshots.newest;
  const snaps =
    s.snapshots.count === 0
      ? paint('yellow', 'none')
      : `${s.snapshots.count} (${contents(s.snapshots.objects, s.snapshots.bytes)}); newest ${n!.stamp} (${formatAge(n!.time, now)} ago, ${contents(n!.objects, n!.bytes)})`;
  const rows = [
    ['bucket', `s3://${s.bucket}`],
    ['latest/', latest],
    ...(l.state === 'empty' ? [] : [['', contents(l.objects, l.bytes)]]),
    ['snapshots', snaps],
    ...(s.unparsable.length ? [['other', paint('yellow', untouchedLine(s.unparsable))]] : []),
    ...(s.unfinishedOverwrite ? overwriteRows(s.unfinishedOverwrite, now, paint) : []),
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join('\n');
}

export function renderSnapshotList(listing: BackupListing, now: Date): string {
  if (listing.snapshots.length === 0) return `no snapshots in s3://${listing.bucket}/snapshots/`;
  const rows = listing.snapshots.map((s: SnapshotSummary) => [s.stamp, utc(s.time), formatAge(s.time, now), String(s.objects), formatSize(s.bytes)]);
  const total = listing.snapshots.reduce((t, s) => t + s.bytes, 0);
  return `${renderTable(['SNAPSHOT', 'TIME', 'AGE', 'OBJECTS', 'SIZE'], rows)}\n\n${plural(listing.snapshots.length, 'snapshot')}, ${formatSize(total)} in total`;
}

export function renderBackupPrunePlan(bucket: string, plan: BackupPrunePlan, paint: Styler): string {
  const now = new Date(plan.now);
  const rows = plan.snapshots.map((s) => [
    s.stamp,
    formatAge(s.time, now),
    String(s.objects),
    formatSize(s.bytes),
    s.action === 'keep' ? paint('green', 'keep') : paint('yellow', 'delete'),
    s.reason.replace(/^(kept|delete): /, ''),
  ]);
  const lines = plan.snapshots.length
    ? [renderTable(['SNAPSHOT', 'AGE', 'OBJECTS', 'SIZE', 'ACTION', 'REASON'], rows), '']
    : [`no snapshots in s3://${bucket}/snapshots/`];
  if (plan.untouched.length) lines.push(untouchedLine(plan.untouched));
  const d = plan.delete;
  lines.push(
    d.count
      ? `plan: delete ${d.count} of ${plan.snapshots.length} snapshots (${contents(d.objects, d.bytes)}), keep ${plan.keep.count}; latest/ is never touched`
      : `plan: nothing to delete (${plural(plan.keep.count, 'snapshot')} kept); latest/ is never touched`,
  );
  return lines.join('\n');
}

export function renderBackupPruneResult(result: BackupPruneResult): string {
  const lines = result.snapshots.map((s) => {
    if (s.found === 0) return `${s.prefix}: already gone`;
    return `${s.prefix}: deleted ${s.deleted} of ${plural(s.found, 'object')} (${formatSize(s.bytes)})`;
  });
  for (const f of result.failed.slice(0, 20)) lines.push(`failed: ${escapeField(f.key)}: ${f.code}${f.message ? ` (${f.message})` : ''}`);
  if (result.failed.length > 20) lines.push(`failed: ... and ${result.failed.length - 20} more`);
  const done = result.snapshots.filter((s) => s.found > 0 && s.deleted === s.found).length;
  lines.push(
    '',
    `deleted ${plural(done, 'snapshot')}: ${contents(result.deletedObjects, result.deletedBytes)}${result.failed.length ? `; ${plural(result.failed.length, 'object')} could not be deleted` : ''}`,
  );
  return lines.join('\n');
}

export function renderBackupNow(r: BackupNowReport, paint: Styler): string {
  const head = `openclaw-s3-backup.service on ${r.host} (${r.instanceId}): ${paint('green', 'succeeded')}`;
  if (r.isNew && r.snapshot)
    return `${head}\nnew snapshot ${r.snapshot.stamp}: ${contents(r.snapshot.objects, r.snapshot.bytes)} (s3://${r.bucket}/${r.snapshot.prefix})`;
  const still = r.previous ? `the newest is still ${r.previous.stamp}, from before the run` : 'there are none';
  return `${head}\n${paint('yellow', 'no new snapshot')} in s3://${r.bucket}/snapshots/: ${still}`;
}
