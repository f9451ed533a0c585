import { buildFleetRows, visibleRows, type FleetRow, type SortKey } from './dashboard-rows.js';
import { emptySection, finishRefresh, idleClock, mergeSection, startRefresh, type Outcome } from './dashboard-refresh.js';
import { type DashboardState, type Msg, type PlanStatus, type RefreshResult, type RolloutState, type Step } from './dashboard-types.js';

// The dashboard's update (its types: dashboard-types.ts). `update` is pure and
// returns the effects to run (a refresh, a plan, a deploy...); the Ink shell runs them
// and feeds their results back as messages. Keys are handled in dashboard-keys.ts.

export const FLASH_MS = 4_000;

export function initialState(o: { intervalMs: number; readonly: boolean; now: number }): DashboardState {
  return {
    intervalMs: o.intervalMs,
    readonly: o.readonly,
    now: o.now,
    mode: { kind: 'table' },
    selectedKey: null,
    filter: '',
    sort: 'host',
    sortReversed: false,
    faults: null,
    flash: null,
    pageSize: 10,
    top: 0,
    fleet: emptySection(),
    retention: emptySection(),
    lock: emptySection(),
    history: emptySection(),
    head: emptySection(),
    backup: emptySection(),
    account: null,
    refresh: idleClock(),
    rows: [],
    visible: [],
    rollout: null,
    tails: {},
    spot: null,
    backingUp: null,
  };
}

export const flash = (s: DashboardState, text: string): DashboardState => ({ ...s, flash: { text, until: s.now + FLASH_MS } });

export const selectedRow = (s: DashboardState): FleetRow | undefined => s.visible.find((r) => r.key === s.selectedKey);

/** Scroll only as far as needed to keep the selected row on screen (no jumping view). */
export function scrolled(s: DashboardState): DashboardState {
  const at = Math.max(
    0,
    s.visible.findIndex((r) => r.key === s.selectedKey),
  );
  let top = Math.min(s.top, at);
  if (at >= top + s.pageSize) top = at - s.pageSize + 1;
  top = Math.max(0, Math.min(top, s.visible.length - s.pageSize));
  return top === s.top ? s : { ...s, top };
}

/** Recompute the visible rows and keep the selection on the same row, or the nearest one. */
export function withRows(s: DashboardState, rows: FleetRow[], filter: string, sort: SortKey, sortReversed = s.sortReversed): DashboardState {
  const visible = visibleRows(rows, filter, sort, sortReversed);
  let selectedKey = s.selectedKey;
  // Nothing shown (a filter that matches nothing): the selection waits, unchanged, for rows to come back.
  if (visible.length > 0 && !visible.some((r) => r.key === selectedKey)) {
    const was = Math.max(
      0,
      s.visible.findIndex((r) => r.key === selectedKey),
    );
    selectedKey = visible[Math.min(was, visible.length - 1)]?.key ?? null;
  }
  return scrolled({ ...s, rows, filter, sort, sortReversed, visible, selectedKey });
}

/** Move the selection by `delta` rows within the visible ones (clamped). */
export function moveSelection(s: DashboardState, delta: number): DashboardState {
  if (!s.visible.length) return s;
  const at = Math.max(
    0,
    s.visible.findIndex((r) => r.key === s.selectedKey),
  );
  const next = Math.min(s.visible.length - 1, Math.max(0, at + delta));
  return scrolled({ ...s, selectedKey: s.visible[next]!.key });
}

function applyRefresh(s: DashboardState, at: number, r: RefreshResult): DashboardState {
  const fleet = mergeSection(s.fleet, r.fleet, at);
  const head = mergeSection(s.head, r.head, at);
  const backup = r.backup ? mergeSection(s.backup, r.backup, at) : s.backup;
  const outcomes: Outcome<unknown>[] = [r.fleet, r.retention, r.lock, r.history, r.head, ...(r.account ? [r.account] : []), ...(r.backup ? [r.backup] : [])];
  const errors = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
  const next: DashboardState = {
    ...s,
    fleet,
    head,
    backup,
    retention: mergeSection(s.retention, r.retention, at),
    lock: mergeSection(s.lock, r.lock, at),
    history: mergeSection(s.history, r.history, at),
    account: r.account?.ok ? r.account.value : s.account,
    faults: r.faults === undefined ? s.faults : r.faults,
    refresh: finishRefresh(s.refresh, at, errors),
  };
  // Rows change only with a good read (fleet, HEAD, backups): a failure keeps the last good rows.
  if (!r.fleet.ok && !r.head.ok && !r.backup?.ok) return next;
  const data = fleet.value;
  if (!data) return next;
  const rows = buildFleetRows(data.report, {
    head: head.value?.rev ?? null,
    pings: new Map(Object.entries(data.pings)),
    imageOrder: data.imageOrder,
    backup: backup.value ? { hosts: backup.value.hosts, latestAt: backup.value.latestAt, now: new Date(at) } : undefined,
  });
  return withRows(next, rows, s.filter, s.sort);
}

/** Everything but keys (see dashboard-keys.ts, which calls back here for the rest). */
export function updateData(s: DashboardState, msg: Exclude<Msg, { type: 'key' }>): Step {
  const none = (state: DashboardState): Step => ({ state, effects: [] });
  switch (msg.type) {
    case 'tick':
      return none({ ...s, now: msg.now, flash: s.flash && s.flash.until > msg.now ? s.flash : null });
    case 'viewport':
      return none(msg.pageSize === s.pageSize ? s : scrolled({ ...s, pageSize: Math.max(1, msg.pageSize) }));
    case 'refresh-started':
      return none({ ...s, refresh: startRefresh(s.refresh, msg.at) });
    case 'refreshed':
      return none(applyRefresh({ ...s, now: Math.max(s.now, msg.at) }, msg.at, msg.result));
    case 'plan-ready':
    case 'plan-failed': {
      // A plan for a dialog the operator already left is dropped.
      if (s.mode.kind !== 'confirm' || s.mode.host !== msg.host || s.mode.plan.status !== 'loading') return none(s);
      const plan: PlanStatus =
        msg.type === 'plan-ready' ? { status: 'ready', text: msg.text, fingerprint: msg.fingerprint, sha: msg.sha } : { status: 'error', message: msg.message };
      return none({ ...s, mode: { ...s.mode, plan } });
    }
    case 'rollout-event':
      if (!s.rollout || s.rollout.status !== 'running') return none(s);
      return none({ ...s, rollout: { ...s.rollout, events: [...s.rollout.events, { event: msg.event, at: msg.at }] } });
    case 'rollout-done': {
      if (!s.rollout) return none(s);
      const rollout: RolloutState = { ...s.rollout, status: msg.status, message: msg.message, result: msg.result, finishedAt: msg.at };
      // What the deploy changed shows up at once: refresh now.
      return { state: { ...s, rollout, tails: { ...s.tails, ...msg.tails } }, effects: [{ kind: 'refresh' }] };
    }
    case 'spot-ready':
      return none({ ...s, spot: { status: 'ready', lines: msg.lines, message: null, at: msg.at } });
    case 'spot-failed':
      return none({ ...s, spot: { status: 'error', lines: s.spot?.lines ?? [], message: msg.message, at: s.spot?.at ?? null } });
    case 'backup-done':
      // Its snapshot and the new latest/ show up at once: refresh now.
      return { state: flash({ ...s, backingUp: null }, msg.text), effects: [{ kind: 'refresh' }] };
    case 'notice':
      return none(flash(s, msg.text));
  }
}

/**
 * When the newest data on screen was read: the latest time any section was read well
 * (null: nothing yet). A refresh that partly failed still brought what it brought.
 */
export function newestRead(s: Pick<DashboardState, 'fleet' | 'retention' | 'lock' | 'history' | 'head' | 'backup'>): number | null {
  const times = [s.fleet, s.retention, s.lock, s.history, s.head, s.backup].map((x) => x.at).filter((t): t is number => t !== null);
  return times.length ? Math.max(...times) : null;
}
