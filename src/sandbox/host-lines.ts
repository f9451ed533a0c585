import { HOSTNAME_RE } from '../core/patterns.js';

/** What one line of a host script did. */
export interface LineResult {
  out?: string;
  err?: string;
  code: number;
  /** Stop the script here with `code` (exit, a busy guard). */
  stop?: boolean;
  lost?: boolean;
}

// Recognises the lines of an AWS-RunShellScript `commands` parameter that the sandbox
// host simulates. Nothing here interprets shell: each pattern is a fixed line shape
// with a documented meaning (fixtures/sandbox/README.md, "Run Command simulation").
// A line that matches no pattern is `unknown`: the run stops there with exit 127.

const REV = '[0-9a-f]{40}';
/** `claw-switch-<rev>`, optionally with `.service`. */
const UNIT = `claw-switch-(${REV})(?:\\.service)?`;
const GLOB = "'claw-switch-\\*'";
/** The backup lane's oneshot units on an OpenClaw host, optionally with `.service`. */
const LANE = '(openclaw-s3-backup|openclaw-s3-restore)(?:\\.service)?';
export type LaneUnit = 'openclaw-s3-backup' | 'openclaw-s3-restore';
export type Service = 'clawdinator' | 'openclaw';
export const DISABLE_UNITS = ['clawdinator.service', 'openclaw.service', 'openclaw-s3-backup.timer'] as const;
export type DisableUnit = (typeof DISABLE_UNITS)[number];

export type Op =
  | { kind: 'noop' }
  | { kind: 'errexit' }
  | { kind: 'echo'; text: string }
  | { kind: 'busy-guard'; rev: string; busyExit: number }
  /** nixConfig: the NIX_CONFIG the unit runs with (--setenv), if any. */
  | { kind: 'switch'; rev: string; host: string; command: string; nixConfig: string | undefined }
  | { kind: 'show'; rev: string; props: string[] }
  | { kind: 'stop' | 'reset-failed'; rev: string | '*' }
  /** `unit`: the journal's unit name, without `.service`. */
  | { kind: 'journal'; unit: string; lines: number }
  | { kind: 'is-active'; service: Service }
  | { kind: 'oneshot-start'; unit: LaneUnit }
  | { kind: 'oneshot-show'; unit: LaneUnit; props: string[] }
  | { kind: 'service'; verb: 'start' | 'stop' | 'restart'; service: Service }
  /** `systemctl disable --now UNIT...`: each stopped and no longer started at boot. */
  | { kind: 'disable-now'; units: DisableUnit[] }
  /** `systemd-run --on-active=N systemctl reboot`: the host reboots (the sandbox does it at once). */
  | { kind: 'reboot' }
  /** The OpenClaw workspace, /var/lib/clawdinator/workspace (`test -d`, `rm -rf`). */
  | { kind: 'workspace-test' | 'workspace-remove' }
  /** `find /var/lib/clawdinator/secrets -type f -exec shred -u {} +`: every secret file shredded. */
  | { kind: 'secrets-shred' }
  | { kind: 'true' }
  | { kind: 'cat-revision' }
  /** `echo "configurationRevision=$(cat /run/current-system/configurationRevision 2>/dev/null || true)"` */
  | { kind: 'echo-revision' }
  | { kind: 'nixos-version' }
  /** The record of the last switch under /var/lib/clawd/deploy (`install -d`, then its two files). */
  | { kind: 'record-dir' }
  | { kind: 'record-time' }
  | { kind: 'record-rev'; rev: string }
  | { kind: 'unknown'; line: string };

export interface Step {
  op: Op;
  /** ` 2>/dev/null`: stderr discarded. */
  quiet: boolean;
  /** ` || true`: the exit status is 0 whatever happened. */
  orTrue: boolean;
}

/** The `systemctl show` properties the sandbox knows, in the order systemd prints them. */
export const SHOW_PROPERTIES = ['Result', 'ExecMainStatus', 'LoadState', 'ActiveState', 'SubState'] as const;

export const GUARD_LINE_1 =
  "running=$(systemctl list-units --plain --no-legend --state=running 'claw-switch-*' | grep -o 'claw-switch-[0-9a-f]*\\.service' || true)";
const GUARD_LINE_2 = new RegExp(`^if \\[ "\\$running" = claw-switch-(${REV})\\.service \\]; then echo 'claw: claw-switch-\\1 already running'; exit 0; fi$`);
const GUARD_LINE_3 = /^if \[ -n "\$running" \]; then echo "claw: another switch is running: \$running" >&2; exit ([1-9]\d?|1\d\d|2[0-4]\d|25[0-5]); fi$/;

const SIMPLE: [RegExp, (m: RegExpExecArray) => Op][] = [
  [/^set -(?:e|eu|euo pipefail)$/, () => ({ kind: 'errexit' })],
  [/^echo$/, () => ({ kind: 'echo', text: '' })],
  [/^echo '([^'\\]*)'$/, (m) => ({ kind: 'echo', text: m[1]! })],
  [/^echo "([^"\\$`]*)"$/, (m) => ({ kind: 'echo', text: m[1]! })],
  [/^echo ([A-Za-z0-9_.,:/=+@%-]+)$/, (m) => ({ kind: 'echo', text: m[1]! })],
  [new RegExp(`^systemctl show (?:-p |--property=)([A-Za-z,]+) ${UNIT}$`), (m) => show(m[1]!, (props) => ({ kind: 'show', rev: m[2]!, props }))],
  [
    new RegExp(`^systemctl show (?:-p |--property=)([A-Za-z,]+) ${LANE}$`),
    (m) => show(m[1]!, (props) => ({ kind: 'oneshot-show', unit: m[2] as LaneUnit, props })),
  ],
  [new RegExp(`^systemctl (stop|reset-failed) (?:${GLOB}|${UNIT})$`), (m) => ({ kind: m[1] as 'stop' | 'reset-failed', rev: m[2] ?? '*' })],
  [new RegExp(`^journalctl -u ${UNIT} -n ([1-9]\\d{0,3}) --no-pager -o cat$`), (m) => ({ kind: 'journal', unit: `claw-switch-${m[1]!}`, lines: Number(m[2]) })],
  [new RegExp(`^journalctl -u ${LANE} -n ([1-9]\\d{0,3}) --no-pager -o cat$`), (m) => ({ kind: 'journal', unit: m[1]!, lines: Number(m[2]) })],
  [/^systemctl is-active (clawdinator|openclaw)(?:\.service)?$/, (m) => ({ kind: 'is-active', service: m[1] as Service })],
  [new RegExp(`^systemctl start ${LANE}$`), (m) => ({ kind: 'oneshot-start', unit: m[1] as LaneUnit })],
  [
    /^systemctl (start|stop|restart) (clawdinator|openclaw)(?:\.service)?$/,
    (m) => ({ kind: 'service', verb: m[1] as 'start' | 'stop' | 'restart', service: m[2] as Service }),
  ],
  [/^systemctl disable --now((?: [a-z0-9.-]+)+)$/, (m) => disableNow(m[1]!.trim().split(' '))],
  [/^systemd-run --on-active=\d{1,5} systemctl reboot$/, () => ({ kind: 'reboot' })],
  [/^test -d \/var\/lib\/clawdinator\/workspace$/, () => ({ kind: 'workspace-test' })],
  [/^rm -rf \/var\/lib\/clawdinator\/workspace$/, () => ({ kind: 'workspace-remove' })],
  [/^find \/var\/lib\/clawdinator\/secrets -type f -exec shred -u '?\{\}'? \+$/, () => ({ kind: 'secrets-shred' })],
  [/^true$/, () => ({ kind: 'true' })],
  [/^cat \/run\/current-system\/configurationRevision$/, () => ({ kind: 'cat-revision' })],
  [/^echo "configurationRevision=\$\(cat \/run\/current-system\/configurationRevision 2>\/dev\/null \|\| true\)"$/, () => ({ kind: 'echo-revision' })],
  [/^nixos-version --json$/, () => ({ kind: 'nixos-version' })],
  [/^install -d -m 0755 \/var\/lib\/clawd\/deploy$/, () => ({ kind: 'record-dir' })],
  [/^date -Is > \/var\/lib\/clawd\/deploy\/last-switch\.time$/, () => ({ kind: 'record-time' })],
  [new RegExp(`^echo (${REV}) > /var/lib/clawd/deploy/last-switch\\.rev$`), (m) => ({ kind: 'record-rev', rev: m[1]! })],
];

function disableNow(units: string[]): Op {
  const known = (u: string): u is DisableUnit => (DISABLE_UNITS as readonly string[]).includes(u);
  return units.every(known) ? { kind: 'disable-now', units: units.filter(known) } : { kind: 'unknown', line: '' };
}

function show(list: string, make: (props: string[]) => Op): Op {
  const props = list.split(',');
  const known = (p: string) => (SHOW_PROPERTIES as readonly string[]).includes(p);
  if (props.length === 0 || !props.every(known) || new Set(props).size !== props.length) return { kind: 'unknown', line: '' };
  return make(props);
}

const FLAKE_GITHUB = new RegExp(`^github:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/(${REV})#([a-z0-9-]+)$`);
const FLAKE_GIT_HTTPS = new RegExp(`^git\\+https://[A-Za-z0-9.-]+(?::\\d{1,5})?(?:/[A-Za-z0-9._~-]+)+\\?rev=(${REV})#([a-z0-9-]+)$`);
/** A value may hold spaces only inside single quotes (the tokenizer keeps a quoted word whole). */
const SETENV = /^--setenv=([A-Z_][A-Z0-9_]*)=([A-Za-z0-9_.:/@%+=, -]*)$/;

/** Words split on spaces; a single-quoted stretch is one word, its quotes removed (no escapes, as sh). */
function words(line: string): string[] | undefined {
  const out: string[] = [];
  for (const m of line.matchAll(/(?:[^\s']+|'[^']*')+|(\S)/g)) {
    if (m[1] !== undefined) return undefined; // an unmatched quote
    out.push(m[0].replace(/'/g, ''));
  }
  return out;
}
const NIXOS_REBUILD = ['nixos-rebuild', '/run/current-system/sw/bin/nixos-rebuild'];

/**
 * `systemd-run --unit <unit> --remain-after-exit [--setenv=NAME=VALUE ...]
 *  <nixos-rebuild> switch --accept-flake-config --flake <ref>`; the rev in the unit and
 * in the flake ref must agree. Anything else (another unit type, --wait, --collect, a
 * property) is not simulated.
 */
function parseSwitch(line: string): Op | undefined {
  const t = words(line);
  if (t?.[0] !== 'systemd-run') return undefined;
  let unitRev: string | undefined;
  let remain = false;
  const env: Record<string, string> = {};
  let i = 1;
  for (; i < t.length && t[i]!.startsWith('--'); i++) {
    const tok = t[i]!;
    const unit = new RegExp(`^(?:--unit=)?${UNIT}$`);
    const setenv = SETENV.exec(tok);
    if (tok === '--unit' && unit.test(t[i + 1] ?? '')) unitRev = unit.exec(t[++i]!)![1];
    else if (tok.startsWith('--unit=') && unit.test(tok)) unitRev = unit.exec(tok)![1];
    else if (tok === '--remain-after-exit' || tok === '--property=RemainAfterExit=yes') remain = true;
    else if (setenv) env[setenv[1]!] = setenv[2]!;
    else return undefined;
  }
  const rest = t.slice(i);
  if (unitRev === undefined || !remain || rest.length !== 5 || !NIXOS_REBUILD.includes(rest[0]!)) return undefined;
  if (rest[1] !== 'switch' || rest[2] !== '--accept-flake-config' || rest[3] !== '--flake') return undefined;
  const m = FLAKE_GITHUB.exec(rest[4]!) ?? FLAKE_GIT_HTTPS.exec(rest[4]!);
  if (!m || m[1] !== unitRev || !HOSTNAME_RE.test(m[2]!)) return undefined;
  return { kind: 'switch', rev: unitRev, host: m[2]!, command: rest.join(' '), nixConfig: env.NIX_CONFIG };
}

function parseLine(line: string): Step {
  const suffix = /^(.*?)( 2>\/dev\/null)?( \|\| true)?$/.exec(line)!;
  const body = suffix[1]!;
  const flags = { quiet: suffix[2] !== undefined, orTrue: suffix[3] !== undefined };
  for (const [re, make] of SIMPLE) {
    const m = re.exec(body);
    if (!m) continue;
    const op = make(m);
    // Suffixes belong to commands, not to `set` or `echo`.
    const plain = op.kind === 'errexit' || op.kind === 'echo';
    if (op.kind === 'unknown' || (plain && (flags.quiet || flags.orTrue))) break;
    return { op, ...flags };
  }
  const sw = parseSwitch(body);
  if (sw) return { op: sw, ...flags };
  return { op: { kind: 'unknown', line }, quiet: false, orTrue: false };
}

/** The script's lines as steps. `commands` elements may hold several lines each, as the agent joins them. */
export function parseScript(commands: readonly string[]): Step[] {
  const lines = commands
    .join('\n')
    .split('\n')
    .map((l) => l.trim());
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#')) continue;
    if (line === GUARD_LINE_1) {
      const two = GUARD_LINE_2.exec(lines[i + 1] ?? '');
      const three = GUARD_LINE_3.exec(lines[i + 2] ?? '');
      if (two && three) {
        steps.push({ op: { kind: 'busy-guard', rev: two[1]!, busyExit: Number(three[1]) }, quiet: false, orTrue: false });
        i += 2;
        continue;
      }
    }
    steps.push(parseLine(line));
  }
  return steps;
}
