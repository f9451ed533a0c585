import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asFullSha, asHostId } from '../../src/core/deploy-target.js';
import {
  asFlakeBase,
  healthCommands,
  parseHealthOutput,
  parsePollOutput,
  parseRevisionOutput,
  parseSwitchOutput,
  pollCommands,
  recordCommands,
  switchCommands,
} from '../../src/core/ssm-script.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { expectAwsError } from '../contract/backends.js';
import { DOC, readToEnd, runToEnd } from '../contract/ssm-run.js';

// Run Command in the sandbox beyond the shared contract: claw's own scripts
// (src/core/ssm-script.ts) against the simulated host, the list API, validation, the
// unsupported parameters, and the state surviving a reopen.

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
const ONE = 'i-0a3f5c9e2b7d41c08';
const TWO = 'i-0b6e8d1f4a2c73e59';
const BABELFISH = 'i-0c9a2b4d6e8f10a37'; // ping ConnectionLost
const REV = asFullSha('0123456789abcdef0123456789abcdef01234567');

let home: string;
let sb: Sandbox;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-sandbox-rc-'));
  sb = await openSandbox({ home, seedDir: SEED_DIR });
});
afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

const send = (ids: string[], commands: string[]) => sb.clients.ssm.sendCommand({ DocumentName: DOC, InstanceIds: ids, Parameters: { commands } });
const stdoutOf = async (commands: string[], id = ONE) => (await runToEnd(sb.clients.ssm, id, commands)).out.StandardOutputContent!;

describe("claw's deploy scripts (src/core/ssm-script.ts) on the simulated host", () => {
  it('switch, polls, health and record parse to a successful deploy, recorded on the host', async () => {
    const target = { host: asHostId('clawdinator-1'), rev: REV, flakeBase: asFlakeBase('github:openclaw/clawdinators') };
    const started = (await runToEnd(sb.clients.ssm, ONE, switchCommands(target))).out;
    expect(parseSwitchOutput(`${started.StandardOutputContent}${started.StandardErrorContent}`)).toEqual({ status: 'started' });
    expect(parsePollOutput(await stdoutOf(pollCommands(REV))).state).toBe('running');
    const done = parsePollOutput(await stdoutOf(pollCommands(REV)));
    expect(done).toMatchObject({ state: 'succeeded', exitStatus: 0 });
    expect(done.log.at(-1)).toBe('Done. The new configuration is active.');
    expect(parseHealthOutput(await stdoutOf(healthCommands()))).toEqual({ healthy: true, state: 'active' });
    expect(parseRevisionOutput(await stdoutOf(recordCommands(REV)), REV)).toEqual({ status: 'equal', source: 'file' });
    expect(sb.admin.host(ONE).deployRecord).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/), rev: REV });
  });

  it('a host without the revision file answers through nixos-version --json', async () => {
    await sb.admin.setHostRev(ONE, REV);
    await sb.admin.setRevisionFile(ONE, false);
    expect(await stdoutOf(['cat /run/current-system/configurationRevision 2>/dev/null || true'])).toBe('');
    expect(parseRevisionOutput(await stdoutOf(recordCommands(REV)), REV)).toEqual({ status: 'equal', source: 'nixos-version' });
  });

  it('a switch without flakes turned on in NIX_CONFIG fails as nix does', async () => {
    const target = { host: asHostId('clawdinator-1'), rev: REV, flakeBase: asFlakeBase('github:openclaw/clawdinators') };
    const without = switchCommands(target).map((l) => l.replace(/ '--setenv=NIX_CONFIG=[^']*'/, ''));
    expect(without.at(-1)).not.toContain('NIX_CONFIG');
    await runToEnd(sb.clients.ssm, ONE, without);
    await stdoutOf(pollCommands(REV));
    const failed = parsePollOutput(await stdoutOf(pollCommands(REV)));
    expect(failed.state).toBe('failed');
    expect(failed.log.join('\n')).toMatch(/experimental Nix feature 'nix-command' is disabled/);
  });

  it('a failing switch parses as failed with its journal; a second switch while one runs is busy', async () => {
    const target = { host: asHostId('clawdinator-2'), rev: REV, flakeBase: asFlakeBase('github:openclaw/clawdinators') };
    await sb.admin.failNextSwitch(TWO, 'builder for nixos-system failed');
    await sb.admin.slowSwitch(TWO, 2);
    await runToEnd(sb.clients.ssm, TWO, switchCommands(target));
    const other = { ...target, rev: asFullSha('fedcba9876543210fedcba9876543210fedcba98') };
    const busy = (await runToEnd(sb.clients.ssm, TWO, switchCommands(other))).out;
    expect(busy.ResponseCode).toBe(75);
    expect(parseSwitchOutput(`${busy.StandardOutputContent}${busy.StandardErrorContent}`)).toEqual({ status: 'busy', other: `claw-switch-${REV}.service` });
    const again = (await runToEnd(sb.clients.ssm, TWO, switchCommands(target))).out;
    expect(parseSwitchOutput(again.StandardOutputContent!)).toEqual({ status: 'already-running' });
    await stdoutOf(pollCommands(REV), TWO);
    await stdoutOf(pollCommands(REV), TWO);
    const failed = parsePollOutput(await stdoutOf(pollCommands(REV), TWO));
    expect(failed).toMatchObject({ state: 'failed', result: 'exit-code', exitStatus: 1 });
    expect(failed.log).toContain('error: builder for nixos-system failed');
  });
});

describe('SSM Run Command API in the sandbox', () => {
  it('an unrecognised line stops the script with 127 and says so; earlier lines ran', async () => {
    const { out } = await runToEnd(sb.clients.ssm, ONE, ['echo first', 'uname -a', 'echo never']);
    expect(out).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 127, StandardOutputContent: 'first\n' });
    expect(out.StandardErrorContent).toBe('sandbox: command not simulated: uname -a\nfailed to run commands: exit status 127');
  });

  it('without set -e a failing line does not stop the script; with it, it does', async () => {
    await sb.admin.setServiceState(ONE, 'inactive');
    const lax = (await runToEnd(sb.clients.ssm, ONE, ['systemctl is-active clawdinator', 'echo next'])).out;
    expect(lax).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'inactive\nnext\n' });
    const strict = (await runToEnd(sb.clients.ssm, ONE, ['set -e', 'systemctl is-active clawdinator', 'echo next'])).out;
    expect(strict).toMatchObject({ Status: 'Failed', ResponseCode: 3, StandardOutputContent: 'inactive\n' });
  });

  it('a host that is not Online never runs it: Pending, then Failed / Undeliverable', async () => {
    await sb.admin.setPingStatus(BABELFISH, 'ConnectionLost');
    const sent = await send([BABELFISH], ['echo hi']);
    const r = await readToEnd(sb.clients.ssm, sent.Command!.CommandId!, BABELFISH);
    expect(r.seen).toEqual(['InvocationDoesNotExist', 'Pending', 'Pending', 'Failed']);
    expect(r.out).toMatchObject({
      StatusDetails: 'Undeliverable',
      ResponseCode: -1,
      ExecutionStartDateTime: '',
      ExecutionEndDateTime: '',
      StandardOutputContent: '',
    });
  });

  it('timeOutNextCommand: InProgress, then TimedOut / ExecutionTimedOut', async () => {
    await sb.admin.timeOutNextCommand(ONE);
    const r = await runToEnd(sb.clients.ssm, ONE, ['echo hi']);
    expect(r.seen).toEqual(['InvocationDoesNotExist', 'Pending', 'InProgress', 'TimedOut']);
    expect(r.out).toMatchObject({ StatusDetails: 'ExecutionTimedOut', ResponseCode: -1, StandardOutputContent: '' });
    expect((await runToEnd(sb.clients.ssm, ONE, ['echo hi'])).out.Status).toBe('Success');
  });

  it('unknown, unmanaged and stopped instances are InvalidInstanceId at once, and nothing is sent', async () => {
    await sb.admin.setInstanceState(TWO, 'stopped');
    const err = await expectAwsError(send([ONE, 'i-0e2d4f6a8c0b31d55', TWO], ['echo hi']), 'InvalidInstanceId', 400);
    expect(err.message).toBe('Instances [[i-0e2d4f6a8c0b31d55, i-0b6e8d1f4a2c73e59]] not in a valid state for account 123456789012');
    expect(sb.admin.state().ssmCommands).toEqual([]);
  });

  it('validates like AWS and refuses what it does not simulate', async () => {
    const ssm = sb.clients.ssm;
    await expectAwsError(ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: [] } }), 'InvalidParameters', 400);
    await expectAwsError(
      ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo'], color: ['x'] } }),
      'InvalidParameters',
      400,
    );
    await expectAwsError(
      ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo'] }, TimeoutSeconds: 10 }),
      'ValidationException',
      400,
    );
    await expectAwsError(
      ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo'] }, Comment: 'x'.repeat(101) }),
      'ValidationException',
      400,
    );
    await expectAwsError(ssm.getCommandInvocation({ CommandId: 'short', InstanceId: ONE }), 'ValidationException', 400);
    await expectAwsError(ssm.getCommandInvocation({ CommandId: '11111111-2222-3333-4444-555555555555', InstanceId: ONE }), 'InvocationDoesNotExist', 400);
    await expectAwsError(ssm.listCommandInvocations({ CommandId: '11111111-2222-3333-4444-555555555555' }), 'InvalidCommandId', 400);
    await expect(ssm.sendCommand({ DocumentName: 'AWS-RunPowerShellScript', InstanceIds: [ONE], Parameters: { commands: ['dir'] } })).rejects.toThrow(
      SandboxUnsupportedError,
    );
    await expect(
      ssm.sendCommand({ DocumentName: DOC, Targets: [{ Key: 'tag:app', Values: ['clawdinator'] }], Parameters: { commands: ['echo'] } }),
    ).rejects.toThrow(/does not implement parameter "Targets"/);
    await expect(ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], MaxErrors: '0', Parameters: { commands: ['echo'] } })).rejects.toThrow(
      SandboxUnsupportedError,
    );
    await expect(ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo'], workingDirectory: ['/'] } })).rejects.toThrow(
      /workingDirectory/,
    );
    await expect(ssm.listCommandInvocations({ Filters: [{ key: 'Status', value: 'Success' }] })).rejects.toThrow(SandboxUnsupportedError);
  });

  it('ListCommandInvocations: newest first, an unread invocation appears from the second list on, pages of MaxResults', async () => {
    const ssm = sb.clients.ssm;
    const a = (await send([ONE, TWO], ['echo a'])).Command!.CommandId!;
    const b = (await send([ONE], ['echo b'])).Command!.CommandId!;
    expect((await ssm.listCommandInvocations({})).CommandInvocations).toEqual([]);
    const pages: [string, string, string][][] = [];
    let token: string | undefined;
    do {
      const out = await ssm.listCommandInvocations({ MaxResults: 2, NextToken: token, Details: true });
      pages.push(out.CommandInvocations!.map((i) => [i.CommandId!, i.InstanceId!, i.CommandPlugins![0]!.Status!]));
      token = out.NextToken;
    } while (token);
    expect(pages).toEqual([
      [
        [b, ONE, 'Pending'],
        [a, TWO, 'Pending'],
      ],
      [[a, ONE, 'Pending']],
    ]);
    await expectAwsError(ssm.listCommandInvocations({ MaxResults: 51 }), 'ValidationException', 400);
    await expectAwsError(ssm.listCommandInvocations({ MaxResults: 2, NextToken: 'garbage' }), 'InvalidNextToken', 400);
    const mine = await ssm.listCommandInvocations({ CommandId: a, InstanceId: TWO });
    expect(mine.CommandInvocations!.map((i) => [i.Status, i.CommandPlugins])).toEqual([['InProgress', []]]);
  });

  it('keeps commands and hosts in the state file: a reopened sandbox goes on where it was', async () => {
    const sent = await send([ONE], ['echo kept']);
    const id = sent.Command!.CommandId!;
    await expectAwsError(sb.clients.ssm.getCommandInvocation({ CommandId: id, InstanceId: ONE }), 'InvocationDoesNotExist', 400);
    await sb.admin.setHostRev(ONE, REV);
    const reopened = await openSandbox({ home, seedDir: SEED_DIR });
    const r = await readToEnd(reopened.clients.ssm, id, ONE);
    expect(r.seen).toEqual(['Pending', 'InProgress', 'Success']);
    expect(r.out.StandardOutputContent).toBe('kept\n');
    expect(reopened.admin.host(ONE).currentRev).toBe(REV);
  });

  it('reads a state file written before Run Command was simulated (no hosts, no commands)', async () => {
    const file = join(home, 'sandbox', 'state.json');
    const old = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    delete old.hosts;
    delete old.ssmCommands;
    await writeFile(file, JSON.stringify(old));
    const reopened = await openSandbox({ home, seedDir: SEED_DIR });
    expect(reopened.admin.host(ONE)).toMatchObject({ currentRev: null, clawdinator: 'active', units: [] });
    expect((await runToEnd(reopened.clients.ssm, ONE, ['echo ok'])).out.StandardOutputContent).toBe('ok\n');
  });
});
