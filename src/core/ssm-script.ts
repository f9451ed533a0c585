import { asFullSha, asHostId, shown, type FullSha, type HostId } from './deploy-target.js';
import { UsageError } from './errors.js';

// The AWS-RunShellScript `commands` claw sends, and parsers of what comes back.
// Every command is a fixed template; the only substitutions are {unit}, {flake}, {host}
// and {rev}, from values re-validated here (HOSTNAME_RE, FULL_SHA_RE, flake base below).
//
//   {unit}  = claw-switch-{rev}        (the systemd unit; .service when listed)
//   {flake} = {flakeBase}/{rev}#{host}   for github:OWNER/REPO
//           = {flakeBase}?rev={rev}#{host} for git+https://HOST/PATH
//
// switch (switchCommands): the switch runs DETACHED in a transient unit, so an SSM agent
// restart during the switch cannot lose it; the result is read back by `poll`.
// Idempotent per rev: a running switch of the same rev is left alone (exit 0), a running
// switch of another rev refuses (exit 75). No --collect: it would unload a failed unit
// and its Result with it; --remain-after-exit keeps the outcome until the next switch.
//   set -eu
//   running=$(systemctl list-units --plain --no-legend --state=running 'claw-switch-*' | grep -o 'claw-switch-[0-9a-f]*\.service' || true)
//   if [ "$running" = {unit}.service ]; then echo 'claw: {unit} already running'; exit 0; fi
//   if [ -n "$running" ]; then echo "claw: another switch is running: $running" >&2; exit 75; fi
//   systemctl stop 'claw-switch-*' 2>/dev/null || true
//   systemctl reset-failed 'claw-switch-*' 2>/dev/null || true
//   systemd-run --unit {unit} --remain-after-exit --setenv=HOME=/root --setenv=PATH=/run/current-system/sw/bin
//     '--setenv=NIX_CONFIG=experimental-features = nix-command flakes'
//     /run/current-system/sw/bin/nixos-rebuild switch --accept-flake-config --flake '{flake}'   (one line)
// poll (pollCommands): unit state, then the unit's last 20 log lines after a marker line.
//   systemctl show -p LoadState,ActiveState,SubState,Result,ExecMainStatus {unit}
//   echo '--- claw-switch log ---'
//   journalctl -u {unit} -n 20 --no-pager -o cat 2>/dev/null || true
// health (healthCommands):     systemctl is-active clawdinator || true
// ('|| true' keeps the invocation Success so the answer is read from stdout.)
// record (recordCommands), sent once the switch succeeded and clawdinator is active, as
// upstream's remote-fleet-switch-host.sh does after its switch: the switch's time and rev
// recorded on the host, then the running revision, from the file and from
// `nixos-version --json` (a stock NixOS host has only the latter); claw picks, in that
// order, in parseRevisionOutput (no shell logic on the host):
//   set -eu
//   install -d -m 0755 /var/lib/clawd/deploy
//   date -Is > /var/lib/clawd/deploy/last-switch.time
//   echo {rev} > /var/lib/clawd/deploy/last-switch.rev
//   echo "configurationRevision=$(cat /run/current-system/configurationRevision 2>/dev/null || true)"
//   echo '--- nixos-version --json ---'
//   nixos-version --json 2>/dev/null || true
// backup (backupCommands): the host's own backup unit (a oneshot: `start` returns when the
// sync to latest/ and the snapshot are done, non-zero when it failed), then its outcome.
// restore (restoreCommands): the host's restore unit (latest/ -> disk), then the app restarted
// on the restored state, then whether it came back.

export const SSM_DOCUMENT = 'AWS-RunShellScript';
/** SSM cuts inline StandardOutputContent after this many characters. */
export const SSM_OUTPUT_LIMIT = 24_000;
export const SSM_COMMENT_MAX = 100;
export const LOG_MARKER = '--- claw-switch log ---';
export const SWITCH_BUSY_EXIT = 75;
export const NIXOS_VERSION_MARKER = '--- nixos-version --json ---';
/** Where the host keeps its record of the last good switch (upstream's paths). */
export const DEPLOY_RECORD_DIR = '/var/lib/clawd/deploy';
/** The switch's environment: flakes on, as upstream's remote script exports it. */
export const SWITCH_NIX_CONFIG = 'experimental-features = nix-command flakes';

export const TEMPLATES = {
  switch: [
    'set -eu',
    "running=$(systemctl list-units --plain --no-legend --state=running 'claw-switch-*' | grep -o 'claw-switch-[0-9a-f]*\\.service' || true)",
    `if [ "$running" = {unit}.service ]; then echo 'claw: {unit} already running'; exit 0; fi`,
    `if [ -n "$running" ]; then echo "claw: another switch is running: $running" >&2; exit ${SWITCH_BUSY_EXIT}; fi`,
    "systemctl stop 'claw-switch-*' 2>/dev/null || true",
    "systemctl reset-failed 'claw-switch-*' 2>/dev/null || true",
    `systemd-run --unit {unit} --remain-after-exit --setenv=HOME=/root --setenv=PATH=/run/current-system/sw/bin '--setenv=NIX_CONFIG=${SWITCH_NIX_CONFIG}' /run/current-system/sw/bin/nixos-rebuild switch --accept-flake-config --flake '{flake}'`,
  ],
  poll: [
    'systemctl show -p LoadState,ActiveState,SubState,Result,ExecMainStatus {unit}',
    `echo '${LOG_MARKER}'`,
    'journalctl -u {unit} -n 20 --no-pager -o cat 2>/dev/null || true',
  ],
  health: ['systemctl is-active clawdinator || true'],
  record: [
    'set -eu',
    `install -d -m 0755 ${DEPLOY_RECORD_DIR}`,
    `date -Is > ${DEPLOY_RECORD_DIR}/last-switch.time`,
    `echo {rev} > ${DEPLOY_RECORD_DIR}/last-switch.rev`,
    'echo "configurationRevision=$(cat /run/current-system/configurationRevision 2>/dev/null || true)"',
    `echo '${NIXOS_VERSION_MARKER}'`,
    'nixos-version --json 2>/dev/null || true',
  ],
  backup: ['set -eu', 'systemctl start openclaw-s3-backup.service', 'systemctl show -p Result,ExecMainStatus openclaw-s3-backup.service'],
  restore: ['set -eu', 'systemctl start openclaw-s3-restore.service', 'systemctl restart openclaw.service', 'systemctl is-active openclaw.service'],
} as const;
export type CommandKind = keyof typeof TEMPLATES;

declare const brand: unique symbol;
export type FlakeBase = string & { readonly [brand]: 'FlakeBase' };

const GITHUB_BASE_RE = /^github:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const GIT_HTTPS_BASE_RE = /^git\+https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~-]+)+$/;

/** A flake base a host can fetch at a pinned rev (github:OWNER/REPO or git+https://...). */
export function asFlakeBase(raw: string): FlakeBase {
  if (!GITHUB_BASE_RE.test(raw) && !GIT_HTTPS_BASE_RE.test(raw)) {
    throw new UsageError(`flakeBase ${shown(raw)} cannot be pinned to a rev for hosts`, 'use github:OWNER/REPO or git+https://HOST/PATH');
  }
  return raw as FlakeBase;
}

export interface SwitchTarget {
  host: HostId;
  rev: FullSha;
  flakeBase: FlakeBase;
}

export function unitName(rev: FullSha): string {
  return `claw-switch-${asFullSha(rev)}`;
}

/** The flake reference the host switches to; validates all three parts. */
export function flakeRef(t: SwitchTarget): string {
  const base = asFlakeBase(t.flakeBase);
  const rev = asFullSha(t.rev);
  const host = asHostId(t.host);
  return base.startsWith('github:') ? `${base}/${rev}#${host}` : `${base}?rev=${rev}#${host}`;
}

function fill(kind: CommandKind, vars: Record<string, string>): string[] {
  return TEMPLATES[kind].map((line) => line.replace(/\{(unit|flake|rev)\}/g, (_, k: string) => vars[k]!));
}

export function switchCommands(t: SwitchTarget): string[] {
  return fill('switch', { unit: unitName(t.rev), flake: flakeRef(t) });
}
export function pollCommands(rev: FullSha): string[] {
  return fill('poll', { unit: unitName(rev) });
}
export function healthCommands(): string[] {
  return [...TEMPLATES.health];
}
export function recordCommands(rev: FullSha): string[] {
  return fill('record', { rev: asFullSha(rev) });
}
export function backupCommands(): string[] {
  return [...TEMPLATES.backup];
}
export function restoreCommands(): string[] {
  return [...TEMPLATES.restore];
}

/** SendCommand's Comment for the backup lane, which has no rev. */
export function backupComment(kind: 'backup' | 'restore', host: HostId): string {
  return `claw ${kind} ${asHostId(host)}`.slice(0, SSM_COMMENT_MAX);
}

/** SendCommand's Comment: names the rev first so it survives the 100-char cut. */
export function ssmComment(kind: CommandKind, host: HostId, rev: FullSha): string {
  return `claw ${kind} ${asFullSha(rev)} ${asHostId(host)}`.slice(0, SSM_COMMENT_MAX);
}

// ---- parsers of stdout (at most SSM_OUTPUT_LIMIT chars, possibly cut mid-line) ----

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Host text made safe to print: no control characters (ANSI included), bounded. */
export function cleanLine(line: string, max = 400): string {
  const s = line.replace(ANSI_RE, '').replace(CONTROL_RE, '').trimEnd();
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** The last `n` non-empty lines, cleaned. */
export function tailLines(text: string, n: number): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => cleanLine(l))
    .filter((l) => l.trim() !== '')
    .slice(-n);
}

export type SwitchStart = { status: 'started' | 'already-running' | 'unknown' } | { status: 'busy'; other: string };

/** stdout + stderr of the switch command (systemd-run reports on stderr). */
export function parseSwitchOutput(output: string): SwitchStart {
  const busy = /claw: another switch is running: (claw-switch-[0-9a-f]*\.service)/.exec(output);
  if (busy) return { status: 'busy', other: busy[1]! };
  if (/^claw: claw-switch-[0-9a-f]{40} already running$/m.test(output)) return { status: 'already-running' };
  if (/Running as unit: claw-switch-[0-9a-f]{40}\.service/.test(output)) return { status: 'started' };
  return { status: 'unknown' };
}

export interface UnitPoll {
  /** missing: systemd does not know the unit; unknown: no readable state in the output. */
  state: 'running' | 'succeeded' | 'failed' | 'missing' | 'unknown';
  activeState: string | null;
  subState: string | null;
  result: string | null;
  exitStatus: number | null;
  /** Last log lines of the switch (the marker and a cut-off last line excluded). */
  log: string[];
  truncated: boolean;
  /** For failed: one line saying why. */
  reason: string | null;
}

export function parsePollOutput(stdout: string): UnitPoll {
  const truncated = stdout.length >= SSM_OUTPUT_LIMIT;
  const markerAt = stdout.indexOf(`${LOG_MARKER}\n`);
  const head = markerAt === -1 ? stdout : stdout.slice(0, markerAt);
  let logText = markerAt === -1 ? '' : stdout.slice(markerAt + LOG_MARKER.length + 1);
  if (truncated && logText) logText = logText.slice(0, Math.max(0, logText.lastIndexOf('\n')));
  const props = new Map<string, string>();
  for (const m of head.matchAll(/^(LoadState|ActiveState|SubState|Result|ExecMainStatus)=(.*)$/gm)) props.set(m[1]!, m[2]!.trim());
  const activeState = props.get('ActiveState') ?? null;
  const subState = props.get('SubState') ?? null;
  const result = props.get('Result') ?? null;
  const status = props.get('ExecMainStatus');
  const exitStatus = status !== undefined && /^\d+$/.test(status) ? Number(status) : null;
  const base = { activeState, subState, result, exitStatus, log: tailLines(logText, 20), truncated };
  const done = (state: UnitPoll['state'], reason: string | null = null): UnitPoll => ({ state, reason, ...base });
  if (props.get('LoadState') === 'not-found') return done('missing');
  if (activeState === null) return done('unknown');
  if (['activating', 'deactivating', 'reloading'].includes(activeState) || (activeState === 'active' && subState === 'running')) return done('running');
  const ok = result === 'success' && exitStatus === 0;
  if (ok && (activeState === 'active' || activeState === 'inactive')) return done('succeeded');
  const why =
    activeState === 'inactive' && result === 'success'
      ? 'was stopped before it finished'
      : `failed (result ${result ?? '?'}, exit status ${exitStatus ?? '?'})`;
  return done('failed', `nixos-rebuild switch ${why}`);
}

export interface HealthCheck {
  healthy: boolean;
  state: string;
}

/** `systemctl is-active` prints one word: only `active` is healthy. */
export function parseHealthOutput(stdout: string): HealthCheck {
  const state =
    cleanLine(
      stdout
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? '',
      40,
    ) || 'unknown';
  return { healthy: state === 'active', state };
}

export type RevisionCheck =
  { status: 'equal'; source: RevisionSource } | { status: 'mismatch'; actual: string; source: RevisionSource } | { status: 'missing' };
/** Where the running revision was read: the file, or `nixos-version --json` when the file was empty or absent. */
export type RevisionSource = 'file' | 'nixos-version';

/** configurationRevision from `nixos-version --json` (one JSON object), or '' when it has none. */
function nixosVersionRevision(text: string): string {
  const json = text.trim();
  try {
    const parsed: unknown = JSON.parse(json);
    const rev = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).configurationRevision : undefined;
    return typeof rev === 'string' ? rev.trim() : '';
  } catch {
    // Not JSON (cut, or an old nixos-version): the field as upstream's sed finds it.
    return /"configurationRevision"\s*:\s*"([^"]*)"/.exec(json)?.[1]?.trim() ?? '';
  }
}

/**
 * The record command's answer: the revision file first, then `nixos-version --json`'s
 * configurationRevision when the file is empty or absent (upstream's order).
 */
export function parseRevisionOutput(stdout: string, expected: FullSha): RevisionCheck {
  const markerAt = stdout.indexOf(NIXOS_VERSION_MARKER);
  const head = markerAt === -1 ? stdout : stdout.slice(0, markerAt);
  const fromFile = /^configurationRevision=(.*)$/m.exec(head)?.[1]?.trim() ?? '';
  const fromVersion = fromFile === '' && markerAt !== -1 ? nixosVersionRevision(stdout.slice(markerAt + NIXOS_VERSION_MARKER.length)) : '';
  const actual = fromFile || fromVersion;
  if (actual === '') return { status: 'missing' };
  const source: RevisionSource = fromFile ? 'file' : 'nixos-version';
  if (actual === asFullSha(expected)) return { status: 'equal', source };
  return { status: 'mismatch', actual: cleanLine(actual.split('\n')[0]!, 80), source };
}
