import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runToEnd } from '../contract/ssm-run.js';

// The simulated host behind SSM Run Command, driven with the lines documented in
// fixtures/sandbox/README.md ("Run Command simulation"): the deploy's switch, its polls,
// the health and revision checks, and the injected faults.

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
const ONE = 'i-0a3f5c9e2b7d41c08'; // clawdinator-1
const TWO = 'i-0b6e8d1f4a2c73e59'; // clawdinator-2
const SEEDED_REV = 'e3b1c5d7f9a24680bd13579ace02468bdf13579a';
const REV = '0123456789abcdef0123456789abcdef01234567';
const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';
const unit = (rev: string) => `claw-switch-${rev}`;

const switchLines = (rev = REV, host = 'clawdinator-1') => [
  'set -eu',
  `systemctl stop 'claw-switch-*' 2>/dev/null || true`,
  `systemctl reset-failed 'claw-switch-*' 2>/dev/null || true`,
  `systemd-run --unit ${unit(rev)} --remain-after-exit --setenv=HOME=/root --setenv=PATH=/run/current-system/sw/bin '--setenv=NIX_CONFIG=experimental-features = nix-command flakes' /run/current-system/sw/bin/nixos-rebuild switch --accept-flake-config --flake 'github:openclaw/clawdinators/${rev}#${host}'`,
];
const pollLines = (rev = REV) => [
  `systemctl show -p LoadState,ActiveState,SubState,Result,ExecMainStatus ${unit(rev)}`,
  "echo '--- log ---'",
  `journalctl -u ${unit(rev)} -n 20 --no-pager -o cat 2>/dev/null || true`,
];
const HEALTH = ['systemctl is-active clawdinator || true'];
const REVISION = ['cat /run/current-system/configurationRevision 2>/dev/null || true'];

let home: string;
let sb: Sandbox;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-sandbox-host-'));
  sb = await openSandbox({ home, seedDir: SEED_DIR });
});
afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

const run = async (id: string, lines: string[]) => (await runToEnd(sb.clients.ssm, id, lines)).out;
const poll = async (id = ONE, rev = REV) => {
  const out = await run(id, pollLines(rev));
  const [props = '', log = ''] = out.StandardOutputContent!.split('--- log ---\n');
  return {
    props: Object.fromEntries(
      props
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    ),
    log: log.trim().split('\n'),
  };
};
const revision = async (id = ONE) => (await run(id, REVISION)).StandardOutputContent;

describe('the deploy on a simulated host', () => {
  it('seeds each fleet host with the rev of its clawdinator:rev tag', async () => {
    expect(await revision(ONE)).toBe(SEEDED_REV);
    expect(sb.admin.host(TWO).currentRev).toBe(SEEDED_REV);
    expect(sb.admin.host('i-0c9a2b4d6e8f10a37').currentRev).toBe('7c2e9a4f1b3d5e6a8c0f2b4d6e8a0c2e4f6a8b0d');
  });

  it('runs the switch detached: started, running for one poll, then exited with the new revision', async () => {
    const before = await poll();
    expect(before.props).toEqual({ Result: 'success', ExecMainStatus: '0', LoadState: 'not-found', ActiveState: 'inactive', SubState: 'dead' });
    expect(before.log).toEqual(['-- No entries --']);

    const started = await run(ONE, switchLines());
    expect(started).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: '' });
    expect(started.StandardErrorContent).toMatch(new RegExp(`^Running as unit: ${unit(REV)}\\.service; invocation ID: [0-9a-f]{32}\\n$`));
    expect(await revision()).toBe(SEEDED_REV); // nothing moves without a poll

    expect((await poll()).props).toMatchObject({ LoadState: 'loaded', ActiveState: 'active', SubState: 'running' });
    const done = await poll();
    expect(done.props).toEqual({ Result: 'success', ExecMainStatus: '0', LoadState: 'loaded', ActiveState: 'active', SubState: 'exited' });
    expect(done.log[0]).toBe(
      `Started ${unit(REV)}.service - /run/current-system/sw/bin/nixos-rebuild switch --accept-flake-config --flake github:openclaw/clawdinators/${REV}#clawdinator-1.`,
    );
    expect(done.log.at(-1)).toBe('Done. The new configuration is active.');
    expect(await revision()).toBe(REV);
    expect((await run(ONE, HEALTH)).StandardOutputContent).toBe('active\n');
    expect(sb.admin.host(TWO).currentRev).toBe(SEEDED_REV);
  });

  it('a failed switch: the unit fails with the message in its journal, the revision stays; a retry of the same rev runs again', async () => {
    await sb.admin.failNextSwitch(ONE, "attribute 'clawdinator' missing");
    await run(ONE, switchLines());
    await poll();
    const failed = await poll();
    expect(failed.props).toEqual({ Result: 'exit-code', ExecMainStatus: '1', LoadState: 'loaded', ActiveState: 'failed', SubState: 'failed' });
    expect(failed.log.slice(-3)).toEqual([
      "error: attribute 'clawdinator' missing",
      `${unit(REV)}.service: Main process exited, code=exited, status=1/FAILURE`,
      `${unit(REV)}.service: Failed with result 'exit-code'.`,
    ]);
    expect(await revision()).toBe(SEEDED_REV);

    // systemd-run refuses a loaded unit; the script's reset-failed clears it first.
    const again = await run(ONE, [switchLines().at(-1)!]);
    expect(again).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
    expect(again.StandardErrorContent).toBe(
      `Failed to start transient service unit: Unit ${unit(REV)}.service was already loaded or has a fragment file.\nfailed to run commands: exit status 1`,
    );
    expect((await run(ONE, switchLines())).Status).toBe('Success');
    await poll();
    expect((await poll()).props.SubState).toBe('exited');
    expect(await revision()).toBe(REV);
  });

  it('an SSM agent restart during the switch loses the starting invocation, while the switch completes', async () => {
    await sb.admin.agentRestartOnNextSwitch(ONE);
    const lost = await runToEnd(sb.clients.ssm, ONE, [...switchLines(), 'echo never-printed']);
    expect(lost.seen).toEqual(['InvocationDoesNotExist', 'Pending', 'InProgress', 'Failed']);
    expect(lost.out).toMatchObject({ Status: 'Failed', StatusDetails: 'Undeliverable', ResponseCode: -1, StandardOutputContent: '', StandardErrorContent: '' });
    expect(lost.out.ExecutionStartDateTime).not.toBe('');
    expect((await poll()).props.SubState).toBe('running');
    expect((await poll()).props.SubState).toBe('exited');
    expect(await revision()).toBe(REV);
    // One restart only: the next switch reports normally.
    expect((await run(ONE, switchLines(OTHER))).Status).toBe('Success');
  });

  it('slowSwitch holds the unit running for N polls; a revision mismatch installs another revision', async () => {
    await sb.admin.slowSwitch(ONE, 3);
    await sb.admin.revisionMismatchOnNextSwitch(ONE, OTHER);
    await run(ONE, switchLines());
    const states = [];
    for (let i = 0; i < 4; i++) states.push((await poll()).props.SubState);
    expect(states).toEqual(['running', 'running', 'running', 'exited']);
    expect(await revision()).toBe(OTHER);
    await sb.admin.slowSwitch(ONE, 0);
    await run(ONE, switchLines(OTHER));
    expect((await poll(ONE, OTHER)).props.SubState).toBe('exited');
  });

  it("the busy guard: the same rev running ends with 0, another rev running with the guard's status", async () => {
    const guard = (rev: string) => [
      'set -eu',
      "running=$(systemctl list-units --plain --no-legend --state=running 'claw-switch-*' | grep -o 'claw-switch-[0-9a-f]*\\.service' || true)",
      `if [ "$running" = ${unit(rev)}.service ]; then echo 'claw: ${unit(rev)} already running'; exit 0; fi`,
      'if [ -n "$running" ]; then echo "claw: another switch is running: $running" >&2; exit 75; fi',
      'echo after-guard',
    ];
    expect((await run(ONE, guard(REV))).StandardOutputContent).toBe('after-guard\n');
    await run(ONE, switchLines());
    expect(await run(ONE, guard(REV))).toMatchObject({ Status: 'Success', StandardOutputContent: `claw: ${unit(REV)} already running\n` });
    const busy = await run(ONE, guard(OTHER));
    expect(busy).toMatchObject({ Status: 'Failed', ResponseCode: 75, StandardOutputContent: '' });
    expect(busy.StandardErrorContent).toBe(`claw: another switch is running: ${unit(REV)}.service\nfailed to run commands: exit status 75`);
  });

  it('health and revision checks report what the host has', async () => {
    await sb.admin.setServiceState(ONE, 'failed');
    expect(await run(ONE, ['systemctl is-active clawdinator'])).toMatchObject({ Status: 'Failed', ResponseCode: 3, StandardOutputContent: 'failed\n' });
    expect(await run(ONE, HEALTH)).toMatchObject({ Status: 'Success', StandardOutputContent: 'failed\n' });
    await sb.admin.setHostRev(ONE, null);
    const missing = await run(ONE, ['cat /run/current-system/configurationRevision']);
    expect(missing).toMatchObject({ Status: 'Failed', ResponseCode: 1, StandardOutputContent: '' });
    expect(missing.StandardErrorContent).toMatch(/^cat: \/run\/current-system\/configurationRevision: No such file or directory\n/);
    expect(await run(ONE, REVISION)).toMatchObject({ Status: 'Success', StandardOutputContent: '', StandardErrorContent: '' });
  });

  it("refuses to switch a host to another host's configuration", async () => {
    await run(ONE, switchLines(REV, 'clawdinator-2'));
    await poll();
    const failed = await poll();
    expect(failed.props.ActiveState).toBe('failed');
    expect(failed.log).toContain('error: this is clawdinator-1: the sandbox does not switch it to the configuration of clawdinator-2');
    expect(await revision()).toBe(SEEDED_REV);
  });

  it('stopping a running switch kills it: the unit is gone and the revision stays', async () => {
    await sb.admin.slowSwitch(ONE, 5);
    await run(ONE, switchLines());
    expect(await run(ONE, [`systemctl stop ${unit(REV)}`])).toMatchObject({ Status: 'Success' });
    expect((await poll()).props.LoadState).toBe('not-found');
    expect(await revision()).toBe(SEEDED_REV);
    const stopAgain = await run(ONE, [`systemctl stop ${unit(REV)}.service`]);
    expect(stopAgain).toMatchObject({ ResponseCode: 5 });
    expect(stopAgain.StandardErrorContent).toMatch(`Failed to stop ${unit(REV)}.service: Unit ${unit(REV)}.service not loaded.\n`);
  });
});
