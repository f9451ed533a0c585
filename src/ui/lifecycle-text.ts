import type { LifecycleChange, LifecyclePlan, LifecycleRuleLike } from '../core/lifecycle.js';
import type { Styler } from './style.js';
import { renderTable } from './table.js';

// `claw ami lifecycle` as plain text: the bucket's rules, then each change.

const days = (n: number | undefined) => (n === 1 ? '1 day' : `${n ?? '?'} days`);
const dateOf = (d: Date | string | undefined) => (d instanceof Date ? d.toISOString() : (d ?? '?')).slice(0, 10);
const tag = (t: { Key?: string | undefined; Value?: string | undefined }) => `tag ${t.Key ?? ''}=${t.Value ?? ''}`;

/** Which objects a rule applies to: `prefix x/`, `tag k=v`, `size > N B`, or the whole bucket. */
export function describeScope(rule: LifecycleRuleLike): string {
  if (rule.Filter === undefined) return rule.Prefix ? `prefix ${rule.Prefix}` : 'whole bucket';
  const f = rule.Filter.And ?? rule.Filter;
  const parts: string[] = [];
  if (f.Prefix) parts.push(`prefix ${f.Prefix}`);
  if ('Tag' in f && f.Tag) parts.push(tag(f.Tag));
  if ('Tags' in f && f.Tags) parts.push(...f.Tags.map(tag));
  if (f.ObjectSizeGreaterThan !== undefined) parts.push(`size > ${f.ObjectSizeGreaterThan} B`);
  if (f.ObjectSizeLessThan !== undefined) parts.push(`size < ${f.ObjectSizeLessThan} B`);
  return parts.length ? parts.join(', ') : 'whole bucket';
}

/** What a rule does, e.g. `expire after 30 days; abort incomplete uploads after 1 day`. */
export function describeActions(rule: LifecycleRuleLike): string {
  const parts: string[] = [];
  const e = rule.Expiration;
  if (e?.Days !== undefined) parts.push(`expire after ${days(e.Days)}`);
  if (e?.Date !== undefined) parts.push(`expire on ${dateOf(e.Date)}`);
  if (e?.ExpiredObjectDeleteMarker) parts.push('remove expired delete markers');
  for (const t of rule.Transitions ?? [])
    parts.push(`move to ${t.StorageClass ?? '?'} ${t.Date !== undefined ? `on ${dateOf(t.Date)}` : `after ${days(t.Days)}`}`);
  const n = rule.NoncurrentVersionExpiration;
  if (n)
    parts.push(
      `expire noncurrent versions after ${days(n.NoncurrentDays)}${n.NewerNoncurrentVersions ? ` (keeping the newest ${n.NewerNoncurrentVersions})` : ''}`,
    );
  for (const t of rule.NoncurrentVersionTransitions ?? []) parts.push(`move noncurrent versions to ${t.StorageClass ?? '?'} after ${days(t.NoncurrentDays)}`);
  const a = rule.AbortIncompleteMultipartUpload;
  if (a) parts.push(`abort incomplete uploads after ${days(a.DaysAfterInitiation)}`);
  return parts.length ? parts.join('; ') : '(no action)';
}

const describeRule = (rule: LifecycleRuleLike) => `${describeScope(rule)}: ${describeActions(rule)}`;

const show = (v: unknown) => (v === null ? '(none)' : JSON.stringify(v));

function changeDetail(c: LifecycleChange<LifecycleRuleLike>): string {
  if (c.owner === 'other') return "not claw's: kept as it is";
  switch (c.action) {
    case 'add':
      return describeRule(c.after!);
    case 'remove':
      return `no longer one of claw's rules (${describeRule(c.before!)})`;
    case 'update':
      return (c.fields ?? []).map((f) => `${f.path} ${show(f.before)} -> ${show(f.after)}`).join(', ');
    case 'keep':
      return 'unchanged';
  }
}

const ACTION_COLOR = { add: 'green', update: 'yellow', remove: 'red', keep: 'dim' } as const;

/** The current rules, the changes and a summary line. */
export function renderLifecyclePlan(bucket: string, plan: LifecyclePlan<LifecycleRuleLike>, paint: Styler): string {
  const out = [paint('bold', `Lifecycle of s3://${bucket}`) + paint('dim', " (claw's rules are named claw-*)"), ''];
  out.push(paint('bold', 'Current rules'));
  if (plan.current.length === 0) out.push('  (none)');
  else {
    out.push(
      renderTable(
        ['  ID', 'STATUS', 'APPLIES TO', 'ACTIONS'],
        plan.current.map((r) => [`  ${r.ID ?? '(no ID)'}`, r.Status ?? '?', describeScope(r), describeActions(r)]),
      ),
    );
  }
  out.push('', paint('bold', 'Changes'));
  out.push(
    renderTable(
      ['  ACTION', 'ID', 'DETAIL'],
      plan.changes.map((c) => [`  ${paint(ACTION_COLOR[c.action], c.action)}`, c.id || '(no ID)', changeDetail(c)]),
    ),
  );
  out.push('', summaryLine(plan, paint));
  return out.join('\n');
}

export function summaryLine(plan: LifecyclePlan<LifecycleRuleLike>, paint: Styler): string {
  const n = plan.counts;
  const others = n.other ? `; ${n.other} other ${n.other === 1 ? 'rule' : 'rules'} kept as ${n.other === 1 ? 'it is' : 'they are'}` : '';
  if (!plan.changed) return paint('green', `nothing to change: claw's ${n.keep} rules are already in place${others}`);
  return paint('yellow', `${n.add} to add, ${n.update} to update, ${n.remove} to remove, ${n.keep} unchanged${others}`);
}
