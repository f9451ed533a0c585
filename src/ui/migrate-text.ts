import type { RollbackPlanView, RunbookView, RunPlanView, StatusView, StepDefView, StepStateView } from '../core/runbook-view.js';
import type { Color, Styler } from './style.js';
import { renderTable } from './table.js';

// Plain text for `claw migrate`: the runbook (plan), what a run or a rollback would do,
// and the status. Colour only through `paint` (off for pipes and NO_COLOR).

const STATUS_COLOR: Record<string, Color> = {
  done: 'green',
  failed: 'red',
  interrupted: 'yellow',
  running: 'yellow',
  waiting: 'cyan',
  pending: 'gray',
  'rolled-back': 'yellow',
  'rolling-back': 'yellow',
};

function phaseFlags(p: { reversible: boolean; disruptive: boolean }, paint: Styler): string {
  const flags = [p.reversible ? 'reversible' : paint('yellow', 'not reversible')];
  if (p.disruptive) flags.push(paint('red', 'disruptive (asks first)'));
  return flags.join(', ');
}

/** What for (the title) and what exactly (the summary). */
const what = (s: StepDefView) => (s.title && s.kind !== 'manual' ? `${s.title}: ${s.summary}` : s.summary);

function stepRows(steps: readonly StepDefView[], indent: string): string[][] {
  return steps.map((s) => [`${indent}${s.id}`, s.kind, what(s)]);
}

/** `claw migrate plan`: phases and steps, reversible and disruptive marked. */
export function renderRunbook(v: RunbookView, paint: Styler): string {
  const steps = v.phases.reduce((n, p) => n + p.steps.length, 0);
  const out = [
    `${paint('bold', v.name)}: ${v.description.trim().split('\n')[0]}`,
    `file: ${v.file} · ${v.phases.length} phase${v.phases.length > 1 ? 's' : ''} · ${steps} step${steps > 1 ? 's' : ''}`,
  ];
  const rows: string[][] = [];
  if (v.preflight.length) {
    rows.push([paint('bold', 'preflight'), '', '(checked before every run)']);
    rows.push(...stepRows(v.preflight, '   '));
  }
  for (const p of v.phases) {
    rows.push([paint('bold', `${p.id}  ${p.title}`), '', phaseFlags(p, paint)]);
    rows.push(...stepRows(p.steps, '   '));
    if (p.rollback.length) {
      rows.push(['   rollback:', '', '']);
      rows.push(...stepRows(p.rollback, '     '));
    }
  }
  out.push('', renderTable(['STEP', 'KIND', 'WHAT'], rows));
  return out.join('\n');
}

/** What `run` does (also its --dry-run): the resume point, then the steps in order. */
export function renderRunPlan(v: RunPlanView, paint: Styler): string {
  if (v.nothing !== null) return v.nothing;
  const at = v.resumeAt!;
  const how: Record<string, string> = {
    pending: 'starting at',
    running: 're-running (it was interrupted mid-way)',
    interrupted: 're-running (it was interrupted mid-way)',
    failed: 'retrying (it failed last time)',
    waiting: 'waiting for the operator at',
  };
  const out = [
    `${how[at.status] ?? 'resuming at'} ${at.phase}/${at.step}; ${v.steps.length} step${v.steps.length > 1 ? 's' : ''} to run${v.until ? `, up to ${v.until} (--until)` : ''}:`,
  ];
  const rows = v.steps.map((s) => {
    const notes = [
      s.confirm ? paint('red', `asks first: phase ${s.phase} is disruptive`) : '',
      s.kind === 'manual' ? paint('cyan', 'pauses for the operator') : '',
      s.status === 'failed' ? 'retry' : s.status === 'running' || s.status === 'interrupted' ? 're-run' : '',
    ].filter(Boolean);
    return [`  ${s.phase}`, s.id, s.kind, `${what(s)}${notes.length ? `   [${notes.join('; ')}]` : ''}`];
  });
  out.push(renderTable(['  PHASE', 'STEP', 'KIND', 'WHAT'], rows));
  return out.join('\n');
}

/** What `rollback` does: the phases latest first, each with its rollback steps. */
export function renderRollbackPlan(v: RollbackPlanView, paint: Styler): string {
  const out = [`rollback to phase ${v.to} (latest phase first): ${v.phases.map((p) => p.id).join(', ')}`];
  for (const p of v.phases) {
    const what = p.forced
      ? paint('yellow', 'not reversible: nothing to run, its changes stay (--force); claw forgets it ran')
      : `${p.progress === 'done' ? 'completed' : 'partly run'}${p.disruptive ? `, ${paint('red', 'disruptive')}` : ''}; ${p.steps.length} rollback step${p.steps.length === 1 ? '' : 's'} to run`;
    out.push(`  ${paint('bold', `${p.id}  ${p.title}`)}: ${what}`);
    for (const s of p.steps) out.push(`     ${s.id}  ${s.kind}  ${s.summary}${s.status !== 'pending' ? `   [${s.status}]` : ''}`);
  }
  return out.join('\n');
}

function time(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

function took(s: StepStateView): string {
  if (!s.startedAt || !s.finishedAt) return '';
  const ms = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 60_000)}m`;
}

function stepLine(s: StepStateView, paint: Styler, indent: string): string[] {
  const status = s.status === 'failed' && s.exitCode !== null ? `failed (exit ${s.exitCode})` : s.status;
  const when = s.finishedAt ? `${time(s.finishedAt)}${took(s) ? ` (${took(s)})` : ''}` : s.startedAt ? `since ${time(s.startedAt)}` : '';
  return [`${indent}${s.id}`, s.kind, paint(STATUS_COLOR[s.status] ?? 'gray', status), s.attempts ? String(s.attempts) : '', when, s.logFile ?? ''];
}

/** `claw migrate status`: every step's state, times, attempts and log, then the next action. */
export function renderStatus(v: StatusView, paint: Styler): string {
  const state = v.complete ? paint('green', `complete since ${time(v.completedAt)}`) : v.started ? `updated ${time(v.updatedAt)}` : 'not started';
  const out = [
    `${paint('bold', v.name)}: ${v.description.trim().split('\n')[0]}`,
    `file:  ${v.file}`,
    `state: ${v.stateFile} (${state})`,
    `logs:  ${v.logDir}`,
  ];
  if (v.changed) out.push(paint('yellow', `changed since the state was written: ${v.changes ? describeChanges(v.changes) : ''}`));
  if (v.rollback) out.push(paint('yellow', `a rollback to phase ${v.rollback.to} is unfinished (since ${time(v.rollback.startedAt)})`));
  if (v.lock)
    out.push(
      v.lock.stale
        ? paint('yellow', `stale lock: pid ${v.lock.pid} (${v.lock.command}) is no longer running; the next command removes it`)
        : paint('cyan', `in use: pid ${v.lock.pid} on ${v.lock.host} since ${time(v.lock.startedAt)} (${v.lock.command})`),
    );
  const rows: string[][] = [];
  if (v.preflight.length) {
    rows.push([paint('bold', 'preflight'), '', '', '', '', '']);
    for (const s of v.preflight) rows.push(stepLine(s, paint, '   '));
  }
  for (const p of v.phases) {
    const when = p.completedAt ? ` ${time(p.completedAt)}` : p.rolledBackAt && p.status === 'rolled-back' ? ` ${time(p.rolledBackAt)}` : '';
    rows.push([paint('bold', `${p.id}  ${p.title}`), '', `${paint(STATUS_COLOR[p.status] ?? 'gray', p.status)}${when}`, '', '', phaseFlags(p, paint)]);
    for (const s of p.steps) rows.push(stepLine(s, paint, '   '));
    const rolled = p.rollback.filter((s) => s.status !== 'pending');
    if (rolled.length) {
      rows.push(['   rollback:', '', '', '', '', '']);
      for (const s of rolled) rows.push(stepLine(s, paint, '     '));
    }
  }
  out.push('', renderTable(['STEP', 'KIND', 'STATE', 'TRIES', 'WHEN', 'LOG'], rows));
  const failed = [...v.preflight, ...v.phases.flatMap((p) => [...p.steps, ...p.rollback])].filter(
    (s) => s.status === 'failed' && s.error && !/^exit code \d+$/.test(s.error),
  );
  for (const s of failed) out.push(paint('red', `${s.id}: ${s.error}`));
  const notes = v.phases.flatMap((p) => [...p.steps, ...p.rollback]).filter((s) => s.note);
  for (const s of notes) out.push(`${s.id}: approved ${time(s.approvedAt)}: ${s.note}`);
  out.push('', `next: ${v.next.text}`);
  return out.join('\n');
}

export function describeChanges(d: { added: string[]; removed: string[]; changed: string[] }): string {
  const parts = [
    d.added.length ? `added ${d.added.join(', ')}` : '',
    d.removed.length ? `removed ${d.removed.join(', ')}` : '',
    d.changed.length ? `changed ${d.changed.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? `steps ${parts.join('; ')}` : 'no step changed (comments, titles or layout only)';
}

/** The manual step's instructions as the operator reads them. */
export function renderManual(step: { id: string; title: string | undefined; instructions: string }, phase: string): string {
  const head = `operator step ${phase}/${step.id}${step.title ? `: ${step.title}` : ''}`;
  return [head, ...step.instructions.split('\n').map((l) => `  ${l}`.trimEnd())].join('\n');
}
