import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FullSha, HostId } from '../../src/core/deploy-target.js';
import { SWITCH_BUSY_EXIT, parseSwitchOutput, pollCommands, switchCommands, type FlakeBase } from '../../src/core/ssm-script.js';

// The templates run by a real /bin/sh (as AWS-RunShellScript does) against stub
// systemctl / systemd-run that log their argv: the shell logic and the argv the host
// sees are checked, not just the text.

const REV = '3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345' as FullSha;
const UNIT = `claw-switch-${REV}`;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'claw-ssm-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function stub(name: string, body: string) {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\nprintf '%s|' ${name} "$@" >> "${dir}/calls"; echo >> "${dir}/calls"\n${body}\n`);
  chmodSync(file, 0o755);
}

function runScript(commands: string[], running: string): { code: number; out: string; calls: string[] } {
  stub('systemctl', `[ "$1" = list-units ] && [ -n "${running}" ] && echo "${running} loaded active running /run/current-system/sw/bin/nixos-rebuild"; exit 0`);
  stub('systemd-run', `echo "Running as unit: $2.service; invocation ID: 0f3c" >&2`);
  writeFileSync(join(dir, 'script.sh'), `${commands.join('\n')}\n`);
  let code = 0;
  let out: string;
  try {
    out = execFileSync('/bin/sh', [join(dir, 'script.sh')], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    code = err.status;
    out = err.stdout + err.stderr;
  }
  let calls: string[] = [];
  try {
    calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  } catch {
    /* no calls */
  }
  return { code, out, calls };
}

describe('switch template under /bin/sh', () => {
  const cmds = switchCommands({ host: 'clawdinator-1' as HostId, rev: REV, flakeBase: 'github:openclaw/clawdinators' as FlakeBase });

  it('idle host: clears old claw-switch units, then starts the detached switch with the flake as one argument', () => {
    const r = runScript(cmds, '');
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      'systemctl|list-units|--plain|--no-legend|--state=running|claw-switch-*|',
      'systemctl|stop|claw-switch-*|',
      'systemctl|reset-failed|claw-switch-*|',
      `systemd-run|--unit|${UNIT}|--remain-after-exit|--setenv=HOME=/root|--setenv=PATH=/run/current-system/sw/bin|` +
        // NIX_CONFIG reaches systemd-run as one argument, spaces and all.
        '--setenv=NIX_CONFIG=experimental-features = nix-command flakes|' +
        `/run/current-system/sw/bin/nixos-rebuild|switch|--accept-flake-config|--flake|github:openclaw/clawdinators/${REV}#clawdinator-1|`,
    ]);
  });

  it('the same rev already switching: leaves it alone, exit 0', () => {
    const r = runScript(cmds, `${UNIT}.service`);
    expect(r.code).toBe(0);
    expect(parseSwitchOutput(r.out)).toEqual({ status: 'already-running' });
    expect(r.calls.some((c) => c.startsWith('systemd-run'))).toBe(false);
  });

  it('another rev switching: refuses with exit 75 and names it', () => {
    const other = `claw-switch-${'a'.repeat(40)}.service`;
    const r = runScript(cmds, other);
    expect(r.code).toBe(SWITCH_BUSY_EXIT);
    expect(parseSwitchOutput(r.out)).toEqual({ status: 'busy', other });
    expect(r.calls).toHaveLength(1);
  });

  it('poll template is valid sh and asks systemd for the unit', () => {
    const r = runScript(pollCommands(REV), '');
    expect(r.code).toBe(0);
    expect(r.calls[0]).toBe(`systemctl|show|-p|LoadState,ActiveState,SubState,Result,ExecMainStatus|${UNIT}|`);
  });
});
