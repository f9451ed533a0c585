import { orderChecks, verdict, type CheckResult, type CheckStatus } from '../core/doctor.js';
import type { Color, Styler } from './style.js';

// `claw doctor` as plain text: one line per check (status, id, what was found, and the
// fix when it is not ok), then one closing line with the counts.

const COLOR: Record<CheckStatus, Color> = { ok: 'green', warn: 'yellow', fail: 'red' };

export function renderDoctor(results: readonly CheckResult[], paint: Styler): string {
  const ordered = orderChecks(results);
  const idWidth = Math.max(...ordered.map((r) => r.id.length), 2);
  const lines = ordered.map((r) => {
    const status = paint(COLOR[r.status], r.status.padEnd(4));
    const fix = r.fix ? paint('dim', ` — fix: ${r.fix}`) : '';
    return `${status}  ${r.id.padEnd(idWidth)}  ${r.summary}${fix}`;
  });
  const { counts } = verdict(ordered);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push('', `${plural(ordered.length, 'check')}: ${counts.ok} ok, ${plural(counts.warn, 'warning')}, ${counts.fail} failed`);
  return lines.join('\n');
}
