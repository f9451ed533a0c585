import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { RefusedError, UsageError } from '../../core/errors.js';
import { nextAction, type NextAction } from '../../core/runbook-plan.js';
import { findStep } from '../../core/runbook-schema.js';
import { approve, recordOf } from '../../core/runbook-state.js';
import { runbookView, statusView, type StatusView } from '../../core/runbook-view.js';
import { groupAlive, pidAlive } from '../../fs/file-lock.js';
import { renderRunbook, renderStatus } from '../../ui/migrate-text.js';
import type { Context } from '../../cli/context.js';
import { currentState, loadRunbook, migrateCommand, withRunbookLock, type LoadedRunbook } from './common.js';

// `claw migrate plan | status | approve`. `run` and `rollback` live in their own files.

export async function planMigrate(ctx: Context, fileArg: string | undefined, opts: { json?: boolean }): Promise<void> {
  const l = await loadRunbook(ctx, fileArg);
  const view = runbookView(l.rb, l.shown);
  ctx.result(opts, view, () => renderRunbook(view, ctx.paint));
}

function nextText(ctx: Context, l: LoadedRunbook, next: NextAction): { command: string | null; text: string } {
  const run = migrateCommand(ctx, 'run', l.shown);
  switch (next.action) {
    case 'none':
      return { command: null, text: 'nothing: the runbook is complete' };
    case 'accept-changes':
      return { command: `${run} --accept-changes`, text: `the runbook changed since the state was written; review the change, then: ${run} --accept-changes` };
    case 'rollback': {
      const cmd = migrateCommand(ctx, 'rollback', l.shown);
      return { command: cmd, text: `finish the rollback to phase ${next.to}: ${cmd}` };
    }
    case 'approve': {
      const cmd = migrateCommand(ctx, 'approve', l.shown, next.step);
      const then = next.rollback ? migrateCommand(ctx, 'rollback', l.shown) : run;
      return { command: cmd, text: `waiting for operator: ${next.step} (phase ${next.phase}); once done: ${cmd} [--note TEXT], then ${then}` };
    }
    case 'run': {
      const p = next.reason === 'rerun' ? l.state?.steps[next.step]?.process : undefined;
      if (p && p.host === hostname() && groupAlive(p.pid)) {
        return {
          command: null,
          text: `step ${next.phase}/${next.step} is still running from an earlier claw (process group ${p.pid}): wait for it to finish, or stop it (kill -TERM -- -${p.pid}), then: ${run}`,
        };
      }
      const why = { start: 'start at', resume: 'resume at', retry: 'retry the failed step', rerun: 're-run the interrupted step' }[next.reason];
      return { command: run, text: `${why} ${next.phase}/${next.step}: ${run}` };
    }
  }
}

function lockInfo(file: string): StatusView['lock'] {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string; startedAt: string; command?: string };
    const stale = v.host === hostname() && !pidAlive(v.pid);
    return { pid: v.pid, host: v.host, startedAt: v.startedAt, command: v.command ?? '?', stale };
  } catch {
    return null;
  }
}

export async function statusMigrate(ctx: Context, fileArg: string | undefined, opts: { json?: boolean }): Promise<void> {
  const l = await loadRunbook(ctx, fileArg);
  const next = nextAction(l.rb, l.state, l.changed);
  const view = statusView({
    rb: l.rb,
    state: l.state,
    file: l.shown,
    stateFile: l.store.stateFile,
    logDir: l.store.logDir,
    changes: l.diff,
    next: { ...next, ...nextText(ctx, l, next) },
    lock: lockInfo(l.store.lockFile),
    logOf: (id) => (existsSync(l.store.logFile(id)) ? l.store.logFile(id) : null),
  });
  ctx.result(opts, view, () => renderStatus(view, ctx.paint));
}

export interface ApproveOptions {
  note?: string;
  acceptChanges?: boolean;
}

function checkNote(note: string | undefined): string | undefined {
  if (note === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (note.trim() === '' || note.length > 500 || /[\x00-\x1f\x7f]/.test(note)) {
    throw new UsageError('--note: one line of text, at most 500 characters', 'e.g. --note "key handed over to the VM by Alice"');
  }
  return note.trim();
}

export async function approveMigrate(ctx: Context, fileArg: string | undefined, stepId: string | undefined, opts: ApproveOptions): Promise<void> {
  const note = checkNote(opts.note);
  const l = await loadRunbook(ctx, fileArg);
  if (stepId === undefined || stepId === '')
    throw new UsageError('missing the step id to approve', 'claw migrate status shows the step waiting for the operator');
  const place = findStep(l.rb, stepId);
  if (!place)
    throw new UsageError(
      `no step ${JSON.stringify(stepId)} in runbook ${l.rb.name}`,
      `manual steps: ${
        l.rb.phases
          .flatMap((p) => [...p.steps, ...p.rollback])
          .filter((s) => s.kind === 'manual')
          .map((s) => s.id)
          .join(', ') || 'none'
      }`,
    );
  if (place.step.kind !== 'manual') {
    throw new UsageError(
      `step ${stepId} is a ${place.step.kind} step; only manual steps are approved`,
      `claw runs it: ${migrateCommand(ctx, place.role === 'rollback' ? 'rollback' : 'run', l.shown)}`,
    );
  }
  await withRunbookLock(ctx, l, 'claw migrate approve', async (stored) => {
    const state = currentState(ctx, l, stored, opts.acceptChanges);
    const record = recordOf(state, stepId);
    if (record.status === 'done') {
      ctx.print(`step ${stepId} is already done${record.approvedAt ? ` (approved ${record.approvedAt})` : ''}; nothing changed`);
      return;
    }
    if (record.status !== 'waiting') {
      throw new RefusedError(
        `step ${stepId} is not waiting for the operator (it is ${record.status}): the runbook has not reached it yet`,
        `${migrateCommand(ctx, place.role === 'rollback' ? 'rollback' : 'run', l.shown)} goes on until it does, then asks`,
      );
    }
    const next = approve(l.rb, state, stepId, ctx.now(), note);
    await l.store.save(next);
    const then = place.role === 'rollback' || next.rollback ? migrateCommand(ctx, 'rollback', l.shown) : migrateCommand(ctx, 'run', l.shown);
    ctx.print(`approved ${stepId} (phase ${place.phase?.id ?? '?'})${note ? `: ${note}` : ''}; to go on: ${then}`);
  });
}
