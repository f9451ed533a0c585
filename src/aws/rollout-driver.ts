import type { FullSha, HostId } from '../core/deploy-target.js';
import { InterruptedError } from '../core/errors.js';
import {
  initialRolloutState,
  nextActions,
  reduceRollout,
  rolloutResult,
  type RolloutEvent,
  type RolloutPhase,
  type RolloutPlan,
  type RolloutResult,
  type RolloutState,
} from '../core/rollout.js';
import {
  healthCommands,
  parseHealthOutput,
  parsePollOutput,
  parseRevisionOutput,
  parseSwitchOutput,
  pollCommands,
  DEPLOY_RECORD_DIR,
  recordCommands,
  ssmComment,
  switchCommands,
  tailLines,
  type FlakeBase,
} from '../core/ssm-script.js';
import type { SsmApi } from './clients.js';
import { PollBudgetExceeded, runCommand, sleep as realSleep, type CommandResult, type PollMeter, type Sleep } from './run-command.js';

// Drives the pure rollout state machine (src/core/rollout.ts): starts exactly the hosts
// `nextActions` offers, feeds every outcome back through `reduceRollout`, and stops
// starting hosts at the first failure or on abort. What one host does is `switchHost`.

export type HostRun = { ok: true } | { ok: false; reason: string; outputTail: string[] } | { ok: false; timedOutAfterMs: number; outputTail: string[] };

export type Report = (phase: RolloutPhase, line?: string) => void;
export type RunHost = (host: HostId, report: Report, signal: AbortSignal) => Promise<HostRun>;

export interface DriveOptions {
  signal?: AbortSignal | undefined;
  now?: () => number;
  /** Every event after it was applied, with the new state (live views, logs). */
  onEvent?: (event: RolloutEvent, state: RolloutState) => void;
  /** The failure reason for an error a host's run threw (default: its message). */
  describeError?: (err: unknown) => string;
}

export async function driveRollout(plan: RolloutPlan, runHost: RunHost, o: DriveOptions = {}): Promise<RolloutResult> {
  const now = o.now ?? Date.now;
  let state = initialRolloutState(plan);
  const apply = (event: RolloutEvent) => {
    state = reduceRollout(state, event);
    o.onEvent?.(event, state);
  };
  const inner = new AbortController();
  const onAbort = () => {
    apply({ type: 'interrupted', reason: 'interrupted (Ctrl-C or lost lock)' });
    inner.abort(o.signal?.reason);
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  const running = new Map<HostId, Promise<void>>();
  const launch = (host: HostId) => {
    apply({ type: 'host-started', host, at: now() });
    const report: Report = (phase, line) => apply({ type: 'host-phase', host, phase, ...(line !== undefined && { line }), at: now() });
    const done = runHost(host, report, inner.signal)
      .catch((err: unknown): HostRun => ({
        ok: false,
        reason: err instanceof InterruptedError ? 'interrupted while deploying: its state is unknown' : (o.describeError?.(err) ?? (err as Error).message),
        outputTail: [],
      }))
      .then((r) => {
        if (r.ok) apply({ type: 'host-succeeded', host, at: now() });
        else if ('timedOutAfterMs' in r) apply({ type: 'host-timeout', host, afterMs: r.timedOutAfterMs, outputTail: r.outputTail, at: now() });
        else apply({ type: 'host-failed', host, reason: r.reason, outputTail: r.outputTail, at: now() });
      })
      .finally(() => running.delete(host));
    running.set(host, done);
  };
  try {
    for (;;) {
      const next = nextActions(state);
      for (const host of next.start) launch(host);
      if (nextActions(state).finished) return rolloutResult(state);
      await Promise.race(running.values());
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

export interface SwitchHostInput {
  ssm: SsmApi;
  host: HostId;
  instanceId: string;
  rev: FullSha;
  flakeBase: FlakeBase;
  meter: PollMeter;
  report: Report;
  signal?: AbortSignal | undefined;
  sleep?: Sleep | undefined;
}

const TAIL = 10;
const both = (r: CommandResult) => `${r.stdout}\n${r.stderr}`;
const lostResult = (r: CommandResult) => r.responseCode === -1 || both(r).trim() === '';

/**
 * One host: start the switch detached, poll its unit until it ends, then check that
 * clawdinator is active and that the running revision is `rev`.
 */
export async function switchHost(i: SwitchHostInput): Promise<HostRun> {
  // Only the switch changes the system; the others read (record rewrites two small files), so sending one again is safe.
  const run = (kind: 'switch' | 'poll' | 'health' | 'record', commands: string[]) =>
    runCommand({
      ssm: i.ssm,
      instanceId: i.instanceId,
      commands,
      comment: ssmComment(kind, i.host, i.rev),
      meter: i.meter,
      signal: i.signal,
      sleep: i.sleep,
      retrySend: kind !== 'switch',
    });
  let log: string[] = [];
  try {
    i.report('sending');
    const sw = await run('switch', switchCommands({ host: i.host, rev: i.rev, flakeBase: i.flakeBase }));
    const start = parseSwitchOutput(both(sw));
    if (start.status === 'busy') return { ok: false, reason: `another switch is running on the host: ${start.other}`, outputTail: tailLines(both(sw), TAIL) };
    // A lost result (agent restart: -1, no output) means "look at the unit", not failure.
    if (start.status === 'unknown' && !lostResult(sw)) {
      return {
        ok: false,
        reason: `the switch command ended ${sw.status} (exit ${sw.responseCode}) without starting the switch`,
        outputTail: tailLines(both(sw), TAIL),
      };
    }
    i.report('switching', start.status === 'unknown' ? `switch command result lost (${sw.status}/${sw.statusDetails}); polling the unit` : undefined);
    for (let attempt = 0; ; attempt++) {
      const polled = parsePollOutput((await run('poll', pollCommands(i.rev))).stdout);
      if (polled.log.length) log = polled.log;
      if (polled.state === 'succeeded') break;
      if (polled.state === 'failed') return { ok: false, reason: polled.reason ?? 'the switch failed', outputTail: log.slice(-TAIL) };
      if (polled.state === 'missing') {
        return {
          ok: false,
          reason: `the switch never started: unit claw-switch-${i.rev} is unknown to systemd (switch command: ${sw.status}/${sw.statusDetails})`,
          outputTail: tailLines(both(sw), TAIL),
        };
      }
      i.report('polling', log.at(-1));
      const delay = i.meter.take(attempt);
      if (delay === undefined) throw new PollBudgetExceeded(i.instanceId, i.meter.calls, i.meter.waitedMs);
      await (i.sleep ?? realSleep)(delay, i.signal);
    }
    i.report('verifying', log.at(-1));
    const health = parseHealthOutput((await run('health', healthCommands())).stdout);
    if (!health.healthy) return { ok: false, reason: `clawdinator is ${health.state} after the switch`, outputTail: log.slice(-TAIL) };
    // As upstream: a good switch with the service up is recorded on the host, then its revision is checked.
    const recorded = await run('record', recordCommands(i.rev));
    if (recorded.status !== 'Success') {
      return {
        ok: false,
        reason: `could not record the switch in ${DEPLOY_RECORD_DIR} (${recorded.status}, exit ${recorded.responseCode})`,
        outputTail: tailLines(both(recorded), TAIL),
      };
    }
    const revision = parseRevisionOutput(recorded.stdout, i.rev);
    if (revision.status === 'missing') {
      return {
        ok: false,
        reason: 'the host reports no configurationRevision after the switch (neither /run/current-system/configurationRevision nor nixos-version --json)',
        outputTail: log.slice(-TAIL),
      };
    }
    if (revision.status === 'mismatch') return { ok: false, reason: `the host runs revision ${revision.actual}, not ${i.rev}`, outputTail: log.slice(-TAIL) };
    return { ok: true };
  } catch (err) {
    if (err instanceof PollBudgetExceeded) return { ok: false, timedOutAfterMs: err.waitedMs, outputTail: log.slice(-TAIL) };
    throw err;
  }
}
