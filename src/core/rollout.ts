import type { HostId } from './deploy-target.js';
import { UsageError } from './errors.js';
import { HOSTNAME_RE } from './patterns.js';

// The rollout plan and its state machine. The driver (src/aws) feeds events into
// `reduceRollout` and starts exactly the hosts `nextActions` names; the reducer refuses
// any other start, so "no host is touched after a failure" holds even for a buggy driver.

export const DEFAULT_CANARY_ORDER = ['clawdinator-1', 'clawdinator-2'] as const;
export const ROLLOUT_PHASES = ['sending', 'switching', 'polling', 'verifying'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
export type HostRole = 'canary' | 'batch';

export interface RolloutPlanInput {
  /** The validated target, in target order. */
  hosts: readonly HostId[];
  /** Config `canaryOrder`; entries not in the target are skipped. */
  canaryOrder?: readonly string[] | undefined;
  /** `--canary`: replaces canaryOrder; each must be in the target. */
  canary?: readonly string[] | undefined;
  /** `--parallel N` for the non-canary hosts (default 1). */
  parallel?: number | undefined;
}

export interface RolloutPlan {
  parallel: number;
  canaries: HostId[];
  /** Canaries as single-host batches first, then the rest in chunks of `parallel`. */
  batches: HostId[][];
}

export function planRollout(input: RolloutPlanInput): RolloutPlan {
  const parallel = input.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel must be a whole number of at least 1 (got ${parallel})`);
  const hosts = [...new Set(input.hosts)];
  if (hosts.length === 0) throw new UsageError('nothing to deploy: the target is empty');
  let canaries: HostId[];
  if (input.canary !== undefined && input.canary.length > 0) {
    for (const c of input.canary) {
      if (!HOSTNAME_RE.test(c)) throw new UsageError(`--canary ${JSON.stringify(c)} is not a valid host name`);
      if (!hosts.includes(c as HostId)) throw new UsageError(`--canary ${c} is not in the deploy target`, `target: ${hosts.join(', ')}`);
    }
    canaries = [...new Set(input.canary as readonly HostId[])];
  } else {
    const order = input.canaryOrder ?? DEFAULT_CANARY_ORDER;
    canaries = [...new Set(order)].filter((c): c is HostId => hosts.includes(c as HostId));
  }
  const rest = hosts.filter((h) => !canaries.includes(h));
  const batches = canaries.map((c) => [c]);
  for (let i = 0; i < rest.length; i += parallel) batches.push(rest.slice(i, i + parallel));
  return { parallel, canaries, batches };
}

export type HostStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface HostState {
  host: HostId;
  role: HostRole;
  batch: number;
  status: HostStatus;
  phase: RolloutPhase | null;
  startedAt: number | null;
  finishedAt: number | null;
  lastLine: string | null;
  failure: { reason: string; outputTail: string[]; timedOut: boolean } | null;
}

export type RolloutStop = { kind: 'failure'; host: HostId } | { kind: 'interrupted'; reason: string };

export interface RolloutState {
  plan: RolloutPlan;
  /** Plan order. */
  hosts: readonly HostState[];
  /** Why nothing more starts; the first cause wins. */
  stop: RolloutStop | null;
}

export type RolloutEvent =
  | { type: 'host-started'; host: HostId; at?: number }
  | { type: 'host-phase'; host: HostId; phase: RolloutPhase; line?: string; at?: number }
  | { type: 'host-succeeded'; host: HostId; at?: number }
  | { type: 'host-failed'; host: HostId; reason: string; outputTail?: readonly string[]; at?: number }
  | { type: 'host-timeout'; host: HostId; afterMs: number; outputTail?: readonly string[]; at?: number }
  | { type: 'interrupted'; reason?: string };

export function initialRolloutState(plan: RolloutPlan): RolloutState {
  const canaries = new Set(plan.canaries);
  const hosts = plan.batches.flatMap((batch, index) =>
    batch.map((host): HostState => ({
      host,
      role: canaries.has(host) ? 'canary' : 'batch',
      batch: index,
      status: 'pending',
      phase: null,
      startedAt: null,
      finishedAt: null,
      lastLine: null,
      failure: null,
    })),
  );
  return { plan, hosts, stop: null };
}

export interface NextActions {
  /** Start these now (all of them may start at once). */
  start: HostId[];
  running: HostId[];
  /** Nothing runs and nothing more will start: read `rolloutResult`. */
  finished: boolean;
}

export function nextActions(state: RolloutState): NextActions {
  const running = state.hosts.filter((h) => h.status === 'running').map((h) => h.host);
  // The current batch is the first one not wholly succeeded; the next waits for it.
  const current = state.hosts.find((h) => h.status !== 'succeeded')?.batch;
  const start = state.stop !== null || current === undefined ? [] : state.hosts.filter((h) => h.batch === current && h.status === 'pending').map((h) => h.host);
  const finished = running.length === 0 && (state.stop !== null || current === undefined);
  return { start, running, finished };
}

function update(state: RolloutState, host: HostId, change: Partial<HostState>): RolloutState {
  return { ...state, hosts: state.hosts.map((h) => (h.host === host ? { ...h, ...change } : h)) };
}

/**
 * The pure transition. A start that `nextActions` did not offer is a bug and throws.
 * Late events for a finished host are ignored: a timeout can race with a result and
 * the first terminal event wins.
 */
export function reduceRollout(state: RolloutState, event: RolloutEvent): RolloutState {
  if (event.type === 'interrupted') {
    return state.stop ? state : { ...state, stop: { kind: 'interrupted', reason: event.reason ?? 'interrupted' } };
  }
  const host = state.hosts.find((h) => h.host === event.host);
  if (!host) throw new Error(`rollout: event ${event.type} for ${event.host}, which is not in the plan`);
  const at = event.at ?? null;
  switch (event.type) {
    case 'host-started': {
      if (!nextActions(state).start.includes(host.host)) {
        const why = state.stop ? `the rollout stopped (${describeStop(state.stop)})` : `it is ${host.status} or its batch is not due`;
        throw new Error(`rollout: refusing to start ${host.host}: ${why}`);
      }
      return update(state, host.host, { status: 'running', phase: 'sending', startedAt: at });
    }
    case 'host-phase':
      if (host.status !== 'running') return state;
      return update(state, host.host, { phase: event.phase, lastLine: event.line ?? host.lastLine });
    case 'host-succeeded':
      if (host.status === 'pending') throw new Error(`rollout: ${host.host} succeeded but was never started`);
      if (host.status !== 'running') return state;
      return update(state, host.host, { status: 'succeeded', phase: null, finishedAt: at });
    case 'host-failed':
    case 'host-timeout': {
      if (host.status === 'pending') throw new Error(`rollout: ${host.host} failed but was never started`);
      if (host.status !== 'running') return state;
      const timedOut = event.type === 'host-timeout';
      const reason = timedOut ? `timed out after ${Math.round(event.afterMs / 1000)}s` : event.reason;
      const next = update(state, host.host, {
        status: 'failed',
        phase: null,
        finishedAt: at,
        failure: { reason, outputTail: [...(event.outputTail ?? [])], timedOut },
      });
      // A failure outranks an earlier interrupt as the reason the rest is skipped.
      return next.stop?.kind === 'failure' ? next : { ...next, stop: { kind: 'failure', host: host.host } };
    }
  }
}

function describeStop(stop: RolloutStop): string {
  return stop.kind === 'failure' ? `${stop.host} failed` : stop.reason;
}

export type HostOutcome = 'succeeded' | 'failed' | 'skipped';

export interface HostResult {
  host: HostId;
  role: HostRole;
  status: HostOutcome;
  /** Failed: what went wrong; skipped: why it was never started. */
  reason: string | null;
  outputTail: string[];
  timedOut: boolean;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface RolloutResult {
  outcome: 'succeeded' | 'failed' | 'interrupted';
  firstFailure: HostId | null;
  hosts: HostResult[];
}

/** The final report; only once `nextActions(state).finished`. */
export function rolloutResult(state: RolloutState): RolloutResult {
  if (!nextActions(state).finished) throw new Error('rollout: result asked for before the rollout finished');
  const hosts = state.hosts.map((h): HostResult => ({
    host: h.host,
    role: h.role,
    status: h.status === 'pending' ? 'skipped' : h.status === 'running' ? 'failed' : h.status,
    reason: h.failure?.reason ?? (h.status === 'pending' && state.stop ? `not started: ${describeStop(state.stop)}` : null),
    outputTail: h.failure?.outputTail ?? [],
    timedOut: h.failure?.timedOut ?? false,
    startedAt: h.startedAt,
    finishedAt: h.finishedAt,
  }));
  const firstFailure = state.stop?.kind === 'failure' ? state.stop.host : null;
  const outcome = firstFailure ? 'failed' : hosts.every((h) => h.status === 'succeeded') ? 'succeeded' : 'interrupted';
  return { outcome, firstFailure, hosts };
}
