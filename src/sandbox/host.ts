import { randomBytes } from 'node:crypto';
import { isActive, oneshotProperties, startOneshot, type HostEnv } from './host-backup.js';
import { parseScript, SHOW_PROPERTIES, type LineResult, type Op } from './host-lines.js';
import { disableNow, reboot, serviceVerb, shredSecrets, workspace } from './host-services.js';
import type { HostRecord, UnitRecord } from './state-ssm.js';

// The simulated host behind a managed instance: runs the lines host-lines.ts
// recognises against a small deterministic state (the running revision, the
// clawdinator service, claw-switch units and their journal; on an OpenClaw host the
// backup lane's units, host-backup.ts). Time on the host moves only through `systemctl
// show` of a running switch unit: each such poll is one tick.

export interface RunOutcome {
  stdout: string;
  stderr: string;
  code: number;
  /** The SSM agent restarted during the run (a switch restarted it): the result is lost. */
  lost: boolean;
}

const unitName = (rev: string) => `claw-switch-${rev}`;
const NIXOS_VERSION = '25.05.20260101.0123abc (Warbler)';
const NIXPKGS_REV = '0123abc4567def8901234abc5678def901234abc';

/** The revision file's content, or null when this system has none (absent, or a stock NixOS host that never writes it). */
const revisionFile = (host: HostRecord) => (host.revisionFile === false ? null : host.currentRev);

/** `date -Is` in UTC: seconds, and the offset spelled out. */
const dateIs = (now: Date) => `${now.toISOString().slice(0, 19)}+00:00`;

/** A host with nothing deployed by claw yet: no revision file, the service running. */
export function defaultHost(instanceId: string): HostRecord {
  return { instanceId, currentRev: null, clawdinator: 'active', openclaw: 'active', oneshots: {}, units: [], journal: {} };
}

function log(host: HostRecord, unit: string, ...lines: string[]): void {
  host.journal[unit] = [...(host.journal[unit] ?? []), ...lines];
}

/** The switch finishes: the unit exits (or fails) and the system is the new one. */
function complete(host: HostRecord, unit: UnitRecord): void {
  if (unit.failure !== undefined) {
    unit.state = 'failed';
    log(
      host,
      unit.name,
      `error: ${unit.failure}`,
      `${unit.name}.service: Main process exited, code=exited, status=1/FAILURE`,
      `${unit.name}.service: Failed with result 'exit-code'.`,
    );
    return;
  }
  unit.state = 'exited';
  host.currentRev = unit.installsRevision;
  log(
    host,
    unit.name,
    'activating the configuration...',
    'setting up /etc...',
    'reloading user units for root...',
    'restarting sysinit-reactivation.target',
    'Done. The new configuration is active.',
  );
}

/** NIX_CONFIG turns on both features a flake switch needs. */
function flakesEnabled(nixConfig: string | undefined): boolean {
  const features = [...(nixConfig ?? '').matchAll(/^\s*(?:extra-)?experimental-features\s*=\s*(.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  return features.includes('nix-command') && features.includes('flakes');
}

function startSwitch(host: HostRecord, op: Extract<Op, { kind: 'switch' }>, hostName: string | undefined): LineResult {
  const name = unitName(op.rev);
  if (host.units.some((u) => u.name === name)) {
    return { err: `Failed to start transient service unit: Unit ${name}.service was already loaded or has a fragment file.\n`, code: 1 };
  }
  let failure: string | undefined;
  if (!flakesEnabled(op.nixConfig)) {
    // The sandbox hosts' nix.conf leaves flakes off: only the unit's NIX_CONFIG turns them on.
    failure = "experimental Nix feature 'nix-command' is disabled; add '--extra-experimental-features nix-command' to enable it";
  } else if (hostName !== undefined && hostName !== op.host) {
    failure = `this is ${hostName}: the sandbox does not switch it to the configuration of ${op.host}`;
  } else if (host.failNextSwitch) {
    failure = host.failNextSwitch.message;
  }
  delete host.failNextSwitch;
  const installsRevision = host.revisionMismatchOnNextSwitch ?? op.rev;
  delete host.revisionMismatchOnNextSwitch;
  const unit: UnitRecord = {
    name,
    rev: op.rev,
    state: 'running',
    pollsLeft: host.switchDurationPolls ?? 1,
    installsRevision,
    ...(failure !== undefined && { failure }),
  };
  host.units.push(unit);
  log(host, name, `Started ${name}.service - ${op.command}.`, 'building the system configuration...');
  if (unit.pollsLeft === 0) complete(host, unit);
  const lost = host.agentRestartOnNextSwitch === true;
  delete host.agentRestartOnNextSwitch;
  return { err: `Running as unit: ${name}.service; invocation ID: ${randomBytes(16).toString('hex')}\n`, code: 0, lost };
}

function showUnit(host: HostRecord, rev: string, props: string[]): LineResult {
  const unit = host.units.find((u) => u.name === unitName(rev));
  if (unit?.state === 'running') {
    if (unit.pollsLeft > 0) unit.pollsLeft--;
    else complete(host, unit);
  }
  const values: Record<(typeof SHOW_PROPERTIES)[number], string> = !unit
    ? { Result: 'success', ExecMainStatus: '0', LoadState: 'not-found', ActiveState: 'inactive', SubState: 'dead' }
    : unit.state === 'failed'
      ? { Result: 'exit-code', ExecMainStatus: '1', LoadState: 'loaded', ActiveState: 'failed', SubState: 'failed' }
      : { Result: 'success', ExecMainStatus: '0', LoadState: 'loaded', ActiveState: 'active', SubState: unit.state };
  return showProperties(values, props);
}

function stopOrReset(host: HostRecord, kind: 'stop' | 'reset-failed', rev: string): LineResult {
  const matches = host.units.filter((u) => rev === '*' || u.name === unitName(rev));
  if (rev !== '*' && matches.length === 0) {
    const name = `${unitName(rev)}.service`;
    return kind === 'stop'
      ? { err: `Failed to stop ${name}: Unit ${name} not loaded.\n`, code: 5 }
      : { err: `Failed to reset failed state of unit ${name}: Unit ${name} not loaded.\n`, code: 1 };
  }
  for (const unit of matches) {
    // stop: a running switch is killed and an exited unit unloaded; a failed unit stays
    // failed until reset-failed unloads it.
    if (kind === 'stop' && unit.state === 'running')
      log(host, unit.name, `Stopping ${unit.name}.service...`, `${unit.name}.service: Deactivated successfully.`);
    const unload = kind === 'stop' ? unit.state !== 'failed' : unit.state === 'failed';
    if (unload) host.units = host.units.filter((u) => u !== unit);
  }
  return { code: 0 };
}

function showProperties(values: Record<(typeof SHOW_PROPERTIES)[number], string>, props: string[]): LineResult {
  return {
    out: SHOW_PROPERTIES.filter((p) => props.includes(p))
      .map((p) => `${p}=${values[p]}\n`)
      .join(''),
    code: 0,
  };
}

function runOp(host: HostRecord, op: Op, env: HostEnv): LineResult {
  switch (op.kind) {
    case 'noop':
    case 'errexit':
      return { code: 0 };
    case 'echo':
      return { out: `${op.text}\n`, code: 0 };
    case 'busy-guard': {
      const running = host.units.filter((u) => u.state === 'running').map((u) => `${u.name}.service`);
      if (running.includes(`${unitName(op.rev)}.service`)) return { out: `claw: ${unitName(op.rev)} already running\n`, code: 0, stop: true };
      if (running.length > 0) return { err: `claw: another switch is running: ${running.join('\n')}\n`, code: op.busyExit, stop: true };
      return { code: 0 };
    }
    case 'switch':
      return startSwitch(host, op, env.name);
    case 'show':
      return showUnit(host, op.rev, op.props);
    case 'stop':
    case 'reset-failed':
      return stopOrReset(host, op.kind, op.rev);
    case 'journal': {
      const lines = host.journal[op.unit] ?? [];
      return { out: lines.length === 0 ? '-- No entries --\n' : `${lines.slice(-op.lines).join('\n')}\n`, code: 0 };
    }
    case 'is-active':
      return isActive(host, op.service);
    case 'oneshot-start':
      return startOneshot(host, op.unit, env);
    case 'oneshot-show':
      return showProperties(oneshotProperties(host, op.unit), op.props);
    case 'service':
      return serviceVerb(host, op.verb, op.service);
    case 'disable-now':
      return disableNow(host, op.units);
    case 'reboot':
      return reboot(host);
    case 'workspace-test':
    case 'workspace-remove':
      return workspace(host, op.kind);
    case 'secrets-shred':
      return shredSecrets(host);
    case 'true':
      return { code: 0 };
    case 'cat-revision':
      // Written with `echo -n`: no trailing newline.
      return revisionFile(host) === null
        ? { err: 'cat: /run/current-system/configurationRevision: No such file or directory\n', code: 1 }
        : { out: host.currentRev!, code: 0 };
    case 'echo-revision':
      return { out: `configurationRevision=${revisionFile(host) ?? ''}\n`, code: 0 };
    case 'nixos-version':
      return {
        out: `${JSON.stringify({ ...(host.currentRev !== null && { configurationRevision: host.currentRev }), nixosVersion: NIXOS_VERSION, nixpkgsRevision: NIXPKGS_REV })}\n`,
        code: 0,
      };
    case 'record-dir':
      host.deployRecord = { ...host.deployRecord };
      return { code: 0 };
    case 'record-time':
    case 'record-rev': {
      const file = `/var/lib/clawd/deploy/last-switch.${op.kind === 'record-time' ? 'time' : 'rev'}`;
      if (!host.deployRecord) return { err: `sh: 1: cannot create ${file}: Directory nonexistent\n`, code: 2 };
      if (op.kind === 'record-time') host.deployRecord.time = dateIs(env.now);
      else host.deployRecord.rev = op.rev;
      return { code: 0 };
    }
    case 'unknown':
      return { err: `sandbox: command not simulated: ${op.line}\n`, code: 127, stop: true };
  }
}

/**
 * Run an AWS-RunShellScript `commands` list on the host. Without `set -e` the script
 * goes on after a failing line and exits with the last line's status, as sh does; an
 * unrecognised line always stops it with 127.
 */
export function runScript(host: HostRecord, commands: readonly string[], env: HostEnv): RunOutcome {
  let stdout = '';
  let stderr = '';
  let code = 0;
  let errexit = false;
  for (const step of parseScript(commands)) {
    if (step.op.kind === 'errexit') errexit = true;
    const r = runOp(host, step.op, env);
    if (r.lost) return { stdout: '', stderr: '', code: -1, lost: true };
    stdout += r.out ?? '';
    if (!step.quiet) stderr += r.err ?? '';
    code = step.orTrue ? 0 : r.code;
    if (r.stop || (errexit && code !== 0)) break;
  }
  return { stdout, stderr, code, lost: false };
}
