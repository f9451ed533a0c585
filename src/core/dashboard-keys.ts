import { nextSortKey } from './dashboard-rows.js';
import { flash, moveSelection, selectedRow, updateData, withRows } from './dashboard-state.js';
import { type DashboardState, type Effect, type KeyPress, type Msg, type Step } from './dashboard-types.js';

// What each key does in each view (k9s-like). Pure: returns the next state and the
// effects for the shell to run. The help view lists the same keys (src/ui/dashboard/help.tsx).

const step = (state: DashboardState, ...effects: Effect[]): Step => ({ state, effects });
const quit = (s: DashboardState) => step(s, { kind: 'quit' });
const back = (s: DashboardState): DashboardState => ({ ...s, mode: { kind: 'table' } });
const isCtrlC = (k: KeyPress) => Boolean(k.ctrl) && k.input === 'c';
/** Typed text: printable characters only (no control keys, no escape sequences). */
// eslint-disable-next-line no-control-regex
const printable = (k: KeyPress) => (!k.ctrl && k.input.length > 0 && !/[\u0000-\u001f\u007f]/.test(k.input) ? k.input : '');

function movement(s: DashboardState, k: KeyPress): DashboardState | undefined {
  if (k.down || k.input === 'j') return moveSelection(s, 1);
  if (k.up || k.input === 'k') return moveSelection(s, -1);
  if (k.pageDown) return moveSelection(s, s.pageSize);
  if (k.pageUp) return moveSelection(s, -s.pageSize);
  if (k.home || k.input === 'g') return moveSelection(s, -s.visible.length);
  if (k.end || k.input === 'G') return moveSelection(s, s.visible.length);
  return undefined;
}

function startDeploy(s: DashboardState): Step {
  if (s.readonly) return step(flash(s, 'read-only (--readonly): deploy is disabled'));
  const row = selectedRow(s);
  if (!row) return step(flash(s, 'no host selected'));
  if (!row.registered) return step(flash(s, `${row.host} is not in nix/instances.json: claw deploys registry hosts only`));
  if (s.rollout?.status === 'running') return step(flash(s, 'a deploy is already running'));
  const head = s.head.value?.rev;
  if (!head) return step({ ...s, mode: { kind: 'rev', host: row.host, text: '' } });
  return step({ ...s, mode: { kind: 'confirm', host: row.host, plan: { status: 'loading' } } }, { kind: 'plan', host: row.host, rev: head });
}

function startBackup(s: DashboardState): Step {
  if (s.readonly) return step(flash(s, 'read-only (--readonly): backup is disabled'));
  const row = selectedRow(s);
  if (!row) return step(flash(s, 'no host selected'));
  if (row.kind !== 'backup') {
    const stack = s.backup.value?.stack;
    return step(
      flash(
        s,
        stack
          ? `${row.host} has no S3 backup: only the OpenClaw hosts of stack ${stack} do`
          : `${row.host} has no S3 backup (OpenClaw hosts do: claw tui --stack NAME lists them)`,
      ),
    );
  }
  if (s.backingUp) return step(flash(s, `a backup of ${s.backingUp} is running already`));
  return step(flash({ ...s, backingUp: row.host }, `backup ${row.host}: starting its backup unit now`), { kind: 'backup', host: row.host });
}

function tableKey(s: DashboardState, k: KeyPress): Step {
  const moved = movement(s, k);
  if (moved) return step(moved);
  if (k.enter) return step(selectedRow(s) ? { ...s, mode: { kind: 'detail' } } : s);
  if (k.escape) return step(s.filter ? withRows(s, s.rows, '', s.sort) : s);
  switch (k.input) {
    case '/':
      return step({ ...s, mode: { kind: 'filter', before: s.selectedKey } });
    case 's':
      // The next column, in its natural order.
      return step(withRows(s, s.rows, s.filter, nextSortKey(s.sort), false));
    case 'S':
      return step(withRows(s, s.rows, s.filter, s.sort, !s.sortReversed));
    case 'r':
      return s.refresh.inFlight ? step(flash(s, 'refreshing already')) : step(s, { kind: 'refresh' });
    case 'd':
      return startDeploy(s);
    case 'b':
      return startBackup(s);
    case 'p':
      return step(
        { ...s, mode: { kind: 'spot' }, spot: { status: 'loading', lines: s.spot?.lines ?? [], message: null, at: s.spot?.at ?? null } },
        { kind: 'spot' },
      );
    case 'l':
      return step(s.rollout ? { ...s, mode: { kind: 'rollout' } } : flash(s, 'no deploy in this session yet'));
    case '?':
      return step({ ...s, mode: { kind: 'help' } });
    case 'q':
      return quit(s);
  }
  return step(s);
}

function filterKey(s: DashboardState & { mode: { kind: 'filter'; before: string | null } }, k: KeyPress): Step {
  if (k.enter) return step(back(s));
  // Esc cancels the filter: no filter, and the host that was selected before it.
  if (k.escape) return step(back(withRows({ ...s, selectedKey: s.mode.before ?? s.selectedKey }, s.rows, '', s.sort)));
  if (k.up || k.down) return step(movement(s, k)!);
  if (k.backspace) return step(withRows(s, s.rows, s.filter.slice(0, -1), s.sort));
  const typed = printable(k);
  return step(typed ? withRows(s, s.rows, s.filter + typed, s.sort) : s);
}

function revKey(s: DashboardState & { mode: { kind: 'rev' } }, k: KeyPress): Step {
  const { host, text } = s.mode;
  if (k.escape) return step(back(s));
  if (k.backspace) return step({ ...s, mode: { kind: 'rev', host, text: text.slice(0, -1) } });
  if (k.enter) {
    const rev = text.trim();
    if (!rev) return step(flash(s, 'type the rev to deploy (a full 40-hex SHA outside a git checkout), or Esc'));
    return step({ ...s, mode: { kind: 'confirm', host, plan: { status: 'loading' } } }, { kind: 'plan', host, rev });
  }
  const typed = printable(k);
  return step(typed && text.length < 200 ? { ...s, mode: { kind: 'rev', host, text: text + typed } } : s);
}

function confirmKey(s: DashboardState & { mode: { kind: 'confirm' } }, k: KeyPress): Step {
  const { host, plan } = s.mode;
  if (k.escape || k.input === 'n' || k.input === 'N') return step(back(s));
  if (k.input === 'q') return quit(s);
  if ((k.input === 'y' || k.input === 'Y') && plan.status === 'ready') {
    const rollout = { host, sha: plan.sha, status: 'running' as const, events: [], message: null, result: [], startedAt: s.now, finishedAt: null };
    return step({ ...s, mode: { kind: 'rollout' }, rollout }, { kind: 'deploy', host, sha: plan.sha, fingerprint: plan.fingerprint });
  }
  return step(s);
}

function rolloutKey(s: DashboardState, k: KeyPress): Step {
  if (s.rollout?.status === 'running') {
    if (isCtrlC(k)) return step(flash(s, 'interrupting the deploy: hosts not started are left untouched'), { kind: 'abort-deploy' });
    if (k.escape || k.input === 'q') return step(flash(s, 'a deploy is running: wait for it to finish, or Ctrl-C to interrupt it'));
    return step(s);
  }
  if (k.escape || k.enter) return step(back(s));
  if (k.input === 'q') return quit(s);
  return step(s);
}

/** The one entry point: a message in, the next state and its effects out. */
export function update(s: DashboardState, msg: Msg): Step {
  if (msg.type !== 'key') return updateData(s, msg);
  const k = msg.key;
  const mode = s.mode;
  if (mode.kind === 'rollout') return rolloutKey(s, k);
  // Ctrl-C leaves from anywhere but a running deploy (raw mode: it arrives as a key).
  if (isCtrlC(k)) return quit(s);
  switch (mode.kind) {
    case 'table':
      return tableKey(s, k);
    case 'filter':
      return filterKey({ ...s, mode }, k);
    case 'rev':
      return revKey({ ...s, mode }, k);
    case 'confirm':
      return confirmKey({ ...s, mode }, k);
    case 'detail': {
      if (k.escape || k.enter) return step(back(s));
      if (k.input === 'q') return quit(s);
      if (k.input === 'd') return startDeploy(s);
      if (k.input === 'b') return startBackup(s);
      return step(movement(s, k) ?? s);
    }
    case 'help':
      if (k.input === 'q') return quit(s);
      return step(k.escape || k.enter || k.input === '?' ? back(s) : s);
    case 'spot':
      if (k.input === 'q') return quit(s);
      if (k.input === 'r')
        return step({ ...s, spot: { status: 'loading', lines: s.spot?.lines ?? [], message: null, at: s.spot?.at ?? null } }, { kind: 'spot' });
      return step(k.escape || k.enter || k.input === 'p' ? back(s) : s);
  }
}
