import { verdictLine, type StackDiagnosis, type StacksDocument } from '../core/doctor-stacks.js';
import type { StackPhase } from '../core/stack-status.js';
import { formatAge } from './format.js';
import type { Color, Styler } from './style.js';

// `claw doctor stacks` as plain text: one block per stuck stack (name, status, since
// when and what it means; the reason; for an export in use the export, its value and
// who imports it; the numbered fix), then one closing line. A clean account is one line.

const COLOR: Partial<Record<StackPhase, Color>> = { failed: 'red', 'rolled-back': 'yellow', 'rolling-back': 'yellow', 'in-progress': 'yellow' };

const utcMinute = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function block(d: StackDiagnosis, now: Date, paint: Styler): string[] {
  const lines = [
    `${paint('bold', d.stackName)}  ${paint(COLOR[d.phase] ?? 'bold', d.status)}  ${formatAge(d.since, now)} ago (${utcMinute(d.since)})`,
    `  ${d.meaning}`,
  ];
  if (d.nestedIn) lines.push(`  nested in: ${d.nestedIn}`);
  if (d.reason) {
    const lead = d.reasons.find((r) => r.reason === d.reason);
    const where = lead && lead.logicalId !== d.stackName ? ` (${lead.logicalId}, ${lead.resourceType}, ${lead.status})` : '';
    lines.push(`  reason: ${d.reason}${paint('dim', where)}`);
    const more = d.reasons.length - (lead ? 1 : 0);
    if (more > 0) lines.push(paint('dim', `          and ${more} more in the last operation's events (--json lists them)`));
  } else {
    lines.push(`  reason: none found in the last operation's events`);
  }
  for (const e of d.exportsInUse) {
    lines.push(`  export: ${e.exportName} (cannot be ${e.operation === 'update' ? 'updated' : 'deleted'} while imported)`);
    lines.push(`    value: ${e.value ?? 'not exported any more'}`);
    if (e.valueNote) lines.push(`           ${e.valueNote}`);
    lines.push(`    imported by: ${e.importers.length > 0 ? e.importers.join(', ') : 'no stack any more'}`);
  }
  if (d.remedy.length > 0) {
    lines.push('  fix:');
    d.remedy.forEach((step, i) => lines.push(`    ${i + 1}. ${step}`));
  }
  return lines;
}

export function renderStacks(doc: StacksDocument, now: Date, paint: Styler): string {
  const scope = `${doc.checked} stack${doc.checked === 1 ? '' : 's'} checked in ${doc.region}`;
  if (doc.stacks.length === 0) return `no stacks in a failed or rollback state (${scope})`;
  const blocks = doc.stacks.map((d) => block(d, now, paint).join('\n'));
  return `${blocks.join('\n\n')}\n\n${verdictLine(doc)} (${doc.region})`;
}
