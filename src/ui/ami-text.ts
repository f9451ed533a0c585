import type { TaggedImage } from '../core/fleet.js';
import type { PruneResult, ResumePlan } from '../core/prune-journal.js';
import type { PlannedImage, PrunePlan } from '../core/retention.js';
import { SNAPSHOT_USD_PER_GB_MONTH } from '../core/retention.js';
import { formatAge, shortSha } from './format.js';
import type { Styler } from './style.js';
import { renderFitted, renderTable, type FitColumn } from './table.js';

export interface AmiRow {
  image: TaggedImage;
  usedBy: string[];
  latest: boolean;
  preserved: boolean;
  verdict?: PlannedImage | undefined;
}

const gib = (n: number) => `${n} GiB`;

/** Dropped first to last to fit a terminal: the image, who uses it, its marks and the verdict always stay. */
const AMI_COLUMNS: FitColumn[] = [
  { title: 'IMAGE' },
  { title: 'NAME', drop: 2 },
  { title: 'CREATED', drop: 3 },
  { title: 'AGE', drop: 5 },
  { title: 'SIZE', drop: 4 },
  { title: 'SOURCE', drop: 1 },
  { title: 'GIT', drop: 6 },
  { title: 'USED BY' },
  { title: 'MARKS' },
];

/** `claw ami list`: fitted to `width` (a terminal's) unless undefined or --wide. */
export function renderAmiList(rows: AmiRow[], now: Date, paint: Styler, withVerdict: boolean, width?: number): string {
  const columns = [...AMI_COLUMNS, ...(withVerdict ? [{ title: 'VERDICT' }] : [])];
  const table = rows.map((r) => {
    const marks = [r.latest ? paint('green', 'latest') : '', r.preserved ? paint('cyan', 'preserved') : ''].filter(Boolean).join(',');
    const v = r.verdict;
    return [
      r.image.imageId,
      r.image.name ?? '-',
      r.image.creationDate.slice(0, 16).replace('T', ' '),
      formatAge(r.image.creationDate, now),
      gib(r.image.snapshots.reduce((s, x) => s + x.sizeGiB, 0)),
      r.image.tags['source-s3-key'] ?? '-',
      shortSha(r.image.tags['clawdinator:git-sha']),
      r.usedBy.join(',') || '-',
      marks || '-',
      ...(withVerdict && v ? [v.action === 'keep' ? paint('green', `keep (${v.reasons.join(', ')})`) : paint('yellow', 'prune')] : []),
    ];
  });
  return rows.length ? renderFitted(columns, table, width) : 'no AMIs carry the AMI tag in this account and region';
}

export function renderPrunePlan(plan: PrunePlan, paint: Styler): string {
  const rows = plan.images.map((i) => [
    i.imageId,
    i.name ?? '-',
    i.creationDate.slice(0, 10),
    i.action === 'keep' ? paint('green', 'keep') : paint('yellow', 'prune'),
    i.reasons.join(', ') || '-',
    i.snapshotIds.join(',') || '-',
  ]);
  const pruned = plan.images.filter((i) => i.action === 'prune').length;
  return [
    renderTable(['IMAGE', 'NAME', 'CREATED', 'ACTION', 'REASONS', 'SNAPSHOTS'], rows),
    '',
    pruned
      ? `plan: prune ${pruned} of ${plan.images.length} images and ${plan.snapshotsToDelete.length} snapshots, keep ${plan.images.length - pruned}; ${savings(plan.freedGiB)}`
      : `plan: nothing to prune (${plan.images.length} images kept)`,
  ].join('\n');
}

export function savings(freedGiB: number): string {
  const usd = (freedGiB * SNAPSHOT_USD_PER_GB_MONTH).toFixed(2);
  return `frees ${gib(freedGiB)} of snapshots, about $${usd}/month (estimate: EBS snapshot standard tier, $${SNAPSHOT_USD_PER_GB_MONTH} per GB-month)`;
}

export function renderPruneResult(result: PruneResult): string {
  const lines = [
    ...result.images.map((i) => `${i.imageId}: ${i.outcome}${i.detail ? ` (${i.detail})` : ''}`),
    ...result.snapshots.map((s) => `${s.snapshotId}: ${s.outcome}${s.detail ? ` (${s.detail})` : ''}`),
  ];
  const pruned = result.images.filter((i) => i.outcome === 'pruned' || i.outcome === 'already-gone').length;
  const deleted = result.snapshots.filter((s) => s.outcome === 'deleted').length;
  const kept = result.images.filter((i) => i.outcome === 'kept').length;
  const keptNote = kept ? `; kept ${kept} image${kept === 1 ? '' : 's'} a guard now holds` : '';
  lines.push('', `pruned ${pruned} images and ${deleted} snapshots${keptNote}; ${savings(result.freedGiB).replace(/^frees/, 'freed')}`);
  return lines.join('\n');
}

/** What `ami prune --resume` will do, before it asks. */
export function renderResumePlan(plan: ResumePlan, file: string): string {
  const lines: string[] = [];
  const j = plan.journal;
  if (j) {
    const rules = [
      `keep ${j.rules.keep}`,
      ...(j.rules.minAgeMs !== null ? [`min-age ${Math.round(j.rules.minAgeMs / 3_600_000)}h`] : []),
      ...(j.rules.override ? [`latest ${j.rules.override.imageId}`] : []),
    ];
    lines.push(`plan: finish the interrupted prune (${rules.join(', ')}) journaled in ${file}:`);
    for (const e of j.entries) {
      const snaps = e.snapshotIds.join(', ') || 'no snapshots';
      lines.push(
        e.stage === 'deregistered'
          ? `  ${e.imageId}${e.name ? ` (${e.name})` : ''}: already deregistered; delete ${snaps}`
          : `  ${e.imageId}${e.name ? ` (${e.name})` : ''}: deregister and delete ${snaps}, unless a guard (newest-N, in use, preserved, min-age, latest) now keeps it`,
      );
    }
  }
  for (const [imageId, o] of plan.orphans) {
    lines.push(`  snapshots tagged as pruned from ${imageId}: delete ${o.snapshotIds.join(', ')} if ${imageId} is gone (else left alone)`);
  }
  if (!j) lines.unshift('plan: finish an interrupted prune from another machine (no journal here):');
  return lines.join('\n');
}
