import type { FleetRow, SortKey } from './dashboard-rows.js';
import type { Outcome, RefreshClock, Section } from './dashboard-refresh.js';
import type { ClawEvent } from './events.js';
import type { FleetInstance, SsmPing, StatusReport } from './fleet.js';
import type { HistoryRecord } from './history.js';
import type { LockState } from './lock.js';
import type { PrunePlan } from './retention.js';

// The dashboard's state, the messages that change it and the effects it asks for (the
// pure update is dashboard-state.ts, the keys dashboard-keys.ts).

export interface FleetData {
  report: StatusReport;
  /** SSM ping per instance id (registered or not). */
  pings: Record<string, SsmPing>;
  /** Tagged AMI ids, newest first. */
  imageOrder: string[];
  /** Tags and launch time per instance id, for the detail view. */
  instances: Record<string, { tags: Record<string, string>; launchTime: string | null }>;
  /** A part that could not be read without failing the rest (e.g. SSM unavailable). */
  warnings: string[];
}

/** With a backup stack (--stack): its OpenClaw hosts and its bucket's latest/. */
export interface BackupData {
  stack: string;
  bucket: string;
  hosts: FleetInstance[];
  /** The newest LastModified under latest/ (ISO), null when empty. */
  latestAt: string | null;
}

export interface HeadData {
  rev: string | null;
  /** Why there is no rev (not a git checkout), or where it came from. */
  note: string;
}

/** One refresh: every section read in one batch, each with its own outcome. */
export interface RefreshResult {
  fleet: Outcome<FleetData>;
  retention: Outcome<PrunePlan>;
  lock: Outcome<LockState>;
  history: Outcome<HistoryRecord[]>;
  head: Outcome<HeadData>;
  /** The account id, asked once (absent once known). */
  account?: Outcome<string> | undefined;
  /** Only with a backup stack. */
  backup?: Outcome<BackupData> | undefined;
  /** The sandbox's fault injection as this refresh met it (null: off; absent: not the sandbox). */
  faults?: SandboxFaults | null | undefined;
}

/** `claw sandbox faults` while on: the header says so. */
export interface SandboxFaults {
  rate: number;
  attempts: number;
  seed: number;
}

/** `text` is what the dialog shows (warnings and the plan); `fingerprint` the plan's, which the deploy must match. */
export type PlanStatus = { status: 'loading' } | { status: 'ready'; text: string; fingerprint: string; sha: string } | { status: 'error'; message: string };

export type Mode =
  | { kind: 'table' }
  /** Typing a filter; `before`: the row selected when it started (Esc goes back to it). */
  | { kind: 'filter'; before: string | null }
  | { kind: 'detail' }
  | { kind: 'help' }
  | { kind: 'rev'; host: string; text: string }
  | { kind: 'confirm'; host: string; plan: PlanStatus }
  | { kind: 'rollout' }
  | { kind: 'spot' };

export interface RolloutState {
  host: string;
  sha: string;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  /** Progress events as they came, with their time (the view folds them with the progress model). */
  events: { event: ClawEvent; at: number }[];
  /** The outcome line, and the result text the deploy printed. */
  message: string | null;
  result: string[];
  startedAt: number;
  finishedAt: number | null;
}

export interface SpotState {
  status: 'loading' | 'ready' | 'error';
  lines: string[];
  message: string | null;
  at: number | null;
}

export interface DashboardState {
  intervalMs: number;
  readonly: boolean;
  now: number;
  mode: Mode;
  selectedKey: string | null;
  filter: string;
  sort: SortKey;
  /** `S`: the sort column's order reversed. */
  sortReversed: boolean;
  /** The sandbox's fault injection at the last refresh (null: off, or not the sandbox). */
  faults: SandboxFaults | null;
  /** A short notice in the footer until `until`. */
  flash: { text: string; until: number } | null;
  /** Rows the table can show at once (set by the view), and the first one shown. */
  pageSize: number;
  top: number;
  fleet: Section<FleetData>;
  retention: Section<PrunePlan>;
  lock: Section<LockState>;
  history: Section<HistoryRecord[]>;
  head: Section<HeadData>;
  backup: Section<BackupData>;
  account: string | null;
  refresh: RefreshClock;
  /** Every row from the last good fleet read, and the ones the filter and sort leave. */
  rows: FleetRow[];
  visible: FleetRow[];
  rollout: RolloutState | null;
  /** Output tails of hosts deployed in this session, by host. */
  tails: Record<string, string[]>;
  spot: SpotState | null;
  /** The host whose backup runs now (one at a time). */
  backingUp: string | null;
}

export type Effect =
  | { kind: 'refresh' }
  | { kind: 'plan'; host: string; rev: string | undefined }
  | { kind: 'deploy'; host: string; sha: string; fingerprint: string }
  | { kind: 'abort-deploy' }
  | { kind: 'spot' }
  | { kind: 'backup'; host: string }
  | { kind: 'quit' };

export interface KeyPress {
  input: string;
  up?: boolean;
  down?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  enter?: boolean;
  escape?: boolean;
  backspace?: boolean;
  ctrl?: boolean;
}

export type Msg =
  | { type: 'key'; key: KeyPress }
  | { type: 'tick'; now: number }
  | { type: 'viewport'; pageSize: number }
  | { type: 'refresh-started'; at: number }
  | { type: 'refreshed'; at: number; result: RefreshResult }
  | { type: 'plan-ready'; host: string; text: string; fingerprint: string; sha: string }
  | { type: 'plan-failed'; host: string; message: string }
  | { type: 'rollout-event'; event: ClawEvent; at: number }
  | { type: 'rollout-done'; at: number; status: 'succeeded' | 'failed' | 'interrupted'; message: string; result: string[]; tails: Record<string, string[]> }
  | { type: 'spot-ready'; at: number; lines: string[] }
  | { type: 'spot-failed'; at: number; message: string }
  | { type: 'backup-done'; host: string; text: string }
  | { type: 'notice'; text: string };

export interface Step {
  state: DashboardState;
  effects: Effect[];
}
