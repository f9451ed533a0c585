import type { HistoryRecord, HistoryResult } from '../core/history.js';
import { formatAge, shortSha } from './format.js';
import type { Color, Styler } from './style.js';
import { renderTable } from './table.js';

// `claw history` as plain text: one row per host and deploy, newest first.

const RESULT_COLOR: Record<HistoryResult, Color> = { success: 'green', failed: 'red', skipped: 'yellow' };
const DETAIL_WIDTH = 60;

/** `2026-01-07 16:52Z`: minute precision, UTC. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderHistory(records: readonly HistoryRecord[], o: { host?: string | undefined; where: string; now: Date; paint: Styler }): string {
  if (records.length === 0) return `no deploys recorded${o.host ? ` for ${o.host}` : ''} (${o.where})`;
  const rows = records.map((r) => [
    `${when(r.finishedAt)} (${formatAge(r.finishedAt, o.now)} ago)`,
    o.paint('bold', r.host),
    shortSha(r.rev),
    o.paint(RESULT_COLOR[r.result], r.result),
    r.who,
    r.previousRev ? `from ${shortSha(r.previousRev)}` : '',
    cut(r.detail, DETAIL_WIDTH),
  ]);
  return renderTable(['FINISHED', 'HOST', 'REV', 'RESULT', 'WHO', 'PREVIOUS', 'DETAIL'], rows);
}
