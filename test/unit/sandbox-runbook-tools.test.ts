import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRegistry } from '../../src/core/registry.js';
import { simulateAws } from '../../src/sandbox/aws-cli.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseSshArgs } from '../../src/sandbox/ssh.js';
import { SimulatedTofuError, simulatedTofu } from '../../src/sandbox/tofu.js';
import { SEED_DIR } from '../contract/backends.js';
import { runToEnd } from '../contract/ssm-run.js';
import { FIXTURE_REPO, tempDir } from '../helpers/claw.js';

// What a runbook's steps meet on the sandbox: the simulated tofu (version, apply and
// destroy of targets), aws (sts get-caller-identity), ssh to the seed's old host, and
// the host lines a migration sends (services, reboot, workspace, secrets).

const C3 = 'i-03b5d7f9a1c2e4068';
const LATEST = 'ami-0e4b7d2c9a1f35b60';
const TARGET = '-target=aws_instance.clawdinator["clawdinator-3"]';
const registry = parseRegistry(readFileSync(join(FIXTURE_REPO, 'nix', 'instances.json'), 'utf8'), 'instances.json');

let home: string;
let sb: Sandbox;
beforeEach(async () => {
  home = tempDir('claw-sbx-tools-');
  sb = await openSandbox({ home, seedDir: SEED_DIR });
});
afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

const tofu = async (...args: string[]) => {
  const lines: string[] = [];
  await simulatedTofu(sb, registry)(args, { bin: 'tofu', env: {}, onLine: (l) => lines.push(l) });
  return lines;
};
const liveC3 = () => sb.admin.state().instances.filter((i) => i.tags.Name === 'clawdinator-3' && i.state === 'running');

describe('simulated tofu for runbook steps', () => {
  it('version names itself simulated', async () => {
    expect((await tofu('version'))[0]).toBe('OpenTofu v1.8.0 (simulated by the claw sandbox)');
  });

  it('apply -auto-approve -target: no changes for an up-to-date instance; destroy, then create from the AMI', async () => {
    expect(await tofu('-chdir=infra/opentofu/aws', 'apply', '-auto-approve', `-var=ami_id=${LATEST}`, TARGET)).toEqual([
      'No changes. Your infrastructure matches the configuration.',
      '',
      'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.',
    ]);
    const gone = await tofu('destroy', '-auto-approve', TARGET);
    expect(gone.at(-1)).toBe('Destroy complete! Resources: 1 destroyed.');
    expect(liveC3()).toEqual([]);
    // Only the target: the rest of the fleet is untouched.
    expect(sb.admin.state().instances.filter((i) => i.state === 'terminated' && i.tags.Name !== 'clawdinator-2')).toHaveLength(1);
    const made = await tofu('apply', '-auto-approve', `-var=ami_id=${LATEST}`, TARGET);
    expect(made).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(made.at(-1)).toBe('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const [vm] = liveC3();
    expect(vm).toMatchObject({ imageId: LATEST, instanceType: 't3.large' });
    // Its host comes from its Name's profile: an OpenClaw host with the orchestrator's bucket.
    await runToEnd(sb.clients.ssm, vm!.instanceId, ['true']);
    expect(sb.admin.host(vm!.instanceId).backupBucket).toBe('openclaw-lab-backup-orchestrator-123456789012');
  });

  it.each([
    [['apply', '-auto-approve', TARGET], /ami_id is required/],
    [['apply', `-var=ami_id=${LATEST}`, TARGET], /needs -auto-approve/],
    [['destroy', '-auto-approve'], /destroy without -target is not simulated/],
    [['destroy', TARGET], /needs -auto-approve/],
    [['apply', '-auto-approve', `-var=ami_id=${LATEST}`, '-target=aws_instance.clawdinator["nope"]'], /Invalid target address/],
    [['import', 'x', 'y'], /tofu import is not simulated/],
  ])('%j is refused, changing nothing', async (args, message) => {
    const before = JSON.stringify(sb.admin.state().instances);
    await expect(tofu(...args)).rejects.toThrow(SimulatedTofuError);
    await expect(tofu(...args)).rejects.toThrow(message);
    expect(JSON.stringify(sb.admin.state().instances)).toBe(before);
  });
});

describe('simulated aws', () => {
  it('sts get-caller-identity in the CLI shape, whatever the global options; anything else is not simulated', async () => {
    const id = await simulateAws(sb.clients, ['--region', 'eu-central-1', 'sts', 'get-caller-identity', '--output=json']);
    expect(id.code).toBe(0);
    expect(JSON.parse(id.stdout)).toEqual({ UserId: expect.any(String), Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/sandbox-operator' });
    expect((await simulateAws(sb.clients, ['sts', 'get-caller-identity', '--output', 'text'])).stdout).toMatch(
      /^123456789012\tarn:aws:iam::123456789012:user\/sandbox-operator\t\S+\n$/,
    );
    const other = await simulateAws(sb.clients, ['ec2', 'terminate-instances', '--instance-ids', C3]);
    expect(other).toMatchObject({ code: 252, stdout: '' });
    expect(other.stderr).toContain('aws ec2 terminate-instances --instance-ids');
    expect(sb.admin.state().instances.find((i) => i.instanceId === C3)!.state).toBe('running');
  });
});

describe('simulated ssh', () => {
  it.each([
    [['orchestrator-pi', 'true'], { host: 'orchestrator-pi', command: 'true' }],
    [
      ['-o', 'BatchMode=yes', '-oConnectTimeout=10', '-T', 'admin@orchestrator-pi', 'sudo', 'systemctl', 'stop', 'x'],
      { host: 'orchestrator-pi', command: 'sudo systemctl stop x' },
    ],
    [['-p22', '-i', 'key', '--', 'h', 'echo', 'a b'], { host: 'h', command: 'echo a b' }],
    [['-tt', 'h'], { host: 'h', command: '' }],
    [['-o'], { error: 'option requires an argument -- o' }],
    [['-Z', 'h'], { error: 'unknown option -- Z' }],
    [[], { error: 'usage: ssh [options] destination [command [argument ...]]' }],
  ])('parses %j', (args, expected) => {
    expect(parseSshArgs(args)).toEqual(expected);
  });

  it('runs on the old host: sudo dropped, its backup reaches the bucket, its services stop, disable and its secrets go', async () => {
    expect(await sb.ssh.run('nowhere', 'true')).toEqual({ known: false });
    expect(await sb.ssh.run('orchestrator-pi', 'true')).toMatchObject({ known: true, code: 0 });
    const started = new Date().toISOString();
    expect(await sb.ssh.run('orchestrator-pi', 'sudo systemctl start openclaw-s3-backup.service')).toMatchObject({ code: 0 });
    // This minute's snapshot (a new folder, or the same minute's written again): objects written by the run.
    const written = sb.admin
      .state()
      .buckets.find((b) => b.name === 'openclaw-lab-backup-orchestrator-123456789012')!
      .objects.filter((o) => o.key.startsWith('snapshots/') && o.lastModified >= started);
    expect(written.length).toBeGreaterThan(0);
    expect(await sb.ssh.run('orchestrator-pi', 'sudo systemctl stop clawdinator.service')).toMatchObject({ code: 0 });
    const disabled = await sb.ssh.run('orchestrator-pi', 'sudo systemctl disable --now clawdinator.service openclaw-s3-backup.timer');
    expect(disabled).toMatchObject({ code: 0 });
    expect(disabled.known && disabled.stderr).toContain('Removed "/etc/systemd/system/timers.target.wants/openclaw-s3-backup.timer".');
    expect(await sb.ssh.run('orchestrator-pi', 'sudo find /var/lib/clawdinator/secrets -type f -exec shred -u {} +')).toMatchObject({ code: 0 });
    expect(await sb.ssh.run('orchestrator-pi', 'uname -a')).toMatchObject({ code: 127, stderr: 'sandbox: command not simulated: uname -a\n' });
    // Persisted: another open sees it.
    const again = await openSandbox({ home, seedDir: SEED_DIR });
    expect(again.admin.state().sshHosts[0]!.host).toMatchObject({
      clawdinator: 'inactive',
      secretFiles: 0,
      disabled: ['clawdinator.service', 'openclaw-s3-backup.timer'],
    });
  });
});

describe('host lines a migration sends (Run Command)', () => {
  const run = async (lines: string[]) => (await runToEnd(sb.clients.ssm, C3, lines)).out;

  it('restore makes the workspace; test -d sees it; rm -rf removes it', async () => {
    expect((await run(['test -d /var/lib/clawdinator/workspace'])).ResponseCode).toBe(1);
    expect((await run(['set -eu', 'systemctl start openclaw-s3-restore.service', 'test -d /var/lib/clawdinator/workspace'])).ResponseCode).toBe(0);
    expect((await run(['set -eu', 'systemctl stop openclaw.service || true', 'rm -rf /var/lib/clawdinator/workspace'])).ResponseCode).toBe(0);
    expect(sb.admin.host(C3)).toMatchObject({ workspace: false, openclaw: 'inactive' });
  });

  it('stop and start clawdinator; a reboot brings enabled services back and forgets transient units', async () => {
    await run(['systemctl stop clawdinator']);
    expect(sb.admin.host(C3).clawdinator).toBe('inactive');
    const rebooted = await run(['systemd-run --on-active=5 systemctl reboot']);
    expect(rebooted.ResponseCode).toBe(0);
    expect(rebooted.StandardErrorContent).toMatch(/^Running timer as unit: run-r[0-9a-f]{32}\.timer$/m);
    expect(sb.admin.host(C3)).toMatchObject({ clawdinator: 'active', reboots: 1, units: [] });
  });

  it('a clawdinator without the backup lane has no openclaw.service to stop; secrets without the folder fail as find does', async () => {
    const one = 'i-0a3f5c9e2b7d41c08';
    const stop = (await runToEnd(sb.clients.ssm, one, ['systemctl stop openclaw.service'])).out;
    expect(stop).toMatchObject({ ResponseCode: 5 });
    expect(stop.StandardErrorContent).toContain('Unit openclaw.service not found.');
    expect((await runToEnd(sb.clients.ssm, one, ['find /var/lib/clawdinator/secrets -type f -exec shred -u {} +'])).out.ResponseCode).toBe(1);
  });
});
