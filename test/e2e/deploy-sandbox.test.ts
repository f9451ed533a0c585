import { beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/aws/lock.js';
import { FAST, IDS, gitRepo, sandboxFor, type GitRepo } from '../helpers/deploy-fixture.js';

// `claw --sandbox deploy` of the built binary against the simulated account, with the
// fixture repo as a git checkout whose `origin` is a local bare repo. Faults are
// injected through SandboxAdmin between claw runs (the state file is shared).

const BUCKET = 'clawdinator-images-eu1-20260107165216';
let g: GitRepo;
beforeAll(() => {
  g = gitRepo();
});

const deployArgs = (target: string, ...more: string[]) => ['deploy', target, '--rev', g.head, '--no-eval', '--yes', '--json', ...FAST, ...more];
const doc = (stdout: string) =>
  JSON.parse(stdout) as {
    outcome: string;
    firstFailure: string | null;
    hosts: { host: string; status: string; reason: string | null; outputTail: string[]; timedOut: boolean }[];
  };

describe('claw deploy (sandbox)', { timeout: 90_000 }, () => {
  it('happy path: all four hosts in canary order, tags, history, lock free', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.setPingStatus(IDS.bf, 'Online');
    const r = await s.claw(deployArgs('all'));
    expect(r.exitCode, r.stderr).toBe(0);
    const d = doc(r.stdout);
    expect(d.outcome).toBe('succeeded');
    expect(d.hosts.map((h) => [h.host, h.status])).toEqual([
      ['clawdinator-1', 'succeeded'],
      ['clawdinator-2', 'succeeded'],
      ['clawdinator-babelfish', 'succeeded'],
      ['clawdinator-3', 'succeeded'],
    ]);
    expect(r.stderr).toMatch(/deploy clawdinator-1: ok[\s\S]*deploy clawdinator-2: started[\s\S]*deploy clawdinator-babelfish: ok/);
    const sbx = await s.open();
    for (const id of Object.values(IDS)) expect(sbx.admin.host(id).currentRev).toBe(g.head);
    const inst = sbx.admin.state().instances.find((i) => i.instanceId === IDS.bf)!;
    expect(inst.tags['clawdinator:rev']).toBe(g.head);
    expect(Date.parse(inst.tags['clawdinator:deployed-at']!)).toBeGreaterThan(Date.now() - 120_000);
    const hist = JSON.parse((await s.claw(['history', '--json'])).stdout) as {
      records: { host: string; rev: string; result: string; previousRev: string | null }[];
    };
    expect(hist.records.map((x) => [x.host, x.result, x.rev]).sort()).toEqual(
      ['clawdinator-1', 'clawdinator-2', 'clawdinator-3', 'clawdinator-babelfish'].map((h) => [h, 'success', g.head]),
    );
    expect(hist.records.find((x) => x.host === 'clawdinator-babelfish')!.previousRev).toBe('7c2e9a4f1b3d5e6a8c0f2b4d6e8a0c2e4f6a8b0d');
    expect(JSON.parse((await s.claw(['lock', 'status', '--json'])).stdout)).toMatchObject({ state: 'free' });
  });

  it('canary fails: nothing else touched, exit 1, its last output lines shown', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.failNextSwitch(IDS.c1, 'attribute missing: boom');
    const r = await s.claw(['deploy', 'clawdinator-1,clawdinator-2', '--rev', g.head, '--no-eval', '--yes', ...FAST]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/clawdinator-1 +failed .*nixos-rebuild switch failed/);
    expect(r.stdout).toContain('    | error: attribute missing: boom');
    expect(r.stdout).toMatch(/clawdinator-2 +skipped .*not started: clawdinator-1 failed/);
    expect(r.stderr).toMatch(/^error: deploy failed at clawdinator-1/m);
    expect(await s.sent(IDS.c2)).toHaveLength(0);
    expect((await s.open()).admin.host(IDS.c2).currentRev).toBe('e3b1c5d7f9a24680bd13579ace02468bdf13579a');
    const hist = JSON.parse((await s.claw(['history', '--json'])).stdout) as { records: { host: string; result: string }[] };
    expect(hist.records.map((x) => [x.host, x.result]).sort()).toEqual([
      ['clawdinator-1', 'failed'],
      ['clawdinator-2', 'skipped'],
    ]);
    expect(JSON.parse((await s.claw(['lock', 'status', '--json'])).stdout)).toMatchObject({ state: 'free' });
  });

  it('second host fails: the later ones are untouched', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.setPingStatus(IDS.bf, 'Online');
    await s.sbx.admin.failNextSwitch(IDS.c2, 'disk full');
    const r = await s.claw(deployArgs('all'));
    expect(r.exitCode).toBe(1);
    expect(doc(r.stdout).hosts.map((h) => h.status)).toEqual(['succeeded', 'failed', 'skipped', 'skipped']);
    expect(await s.sent(IDS.bf)).toHaveLength(0);
    expect(await s.sent(IDS.c3)).toHaveLength(0);
    const tags = (await s.open()).admin.state().instances;
    expect(tags.find((i) => i.instanceId === IDS.c1)!.tags['clawdinator:rev']).toBe(g.head);
    expect(tags.find((i) => i.instanceId === IDS.c2)!.tags['clawdinator:rev']).not.toBe(g.head);
  });

  it('timeout: a switch that outlasts the poll budget fails the host as timed out', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.slowSwitch(IDS.c1, 10_000);
    const r = await s.claw([
      'deploy',
      'clawdinator-1,clawdinator-2',
      '--rev',
      g.head,
      '--no-eval',
      '--yes',
      '--json',
      '--poll-budget',
      'initial=5,max=10,timeout=1500,calls=100000',
    ]);
    expect(r.exitCode).toBe(1);
    const d = doc(r.stdout);
    expect(d.hosts[0]).toMatchObject({ host: 'clawdinator-1', status: 'failed', timedOut: true });
    expect(d.hosts[0]!.reason).toMatch(/^timed out after/);
    expect(d.hosts[1]!.status).toBe('skipped');
  });

  it('an SSM command that times out (switch never ran) fails the host', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.timeOutNextCommand(IDS.c1);
    const r = await s.claw(deployArgs('clawdinator-1'));
    expect(r.exitCode).toBe(1);
    expect(doc(r.stdout).hosts[0]!.reason).toMatch(/the switch never started.*TimedOut/);
  });

  it('agent restart mid-switch: the result is recovered by polling the unit', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.agentRestartOnNextSwitch(IDS.c1);
    const r = await s.claw(deployArgs('clawdinator-1'));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/switch command result lost \(Failed\/Undeliverable\)/);
    expect((await s.open()).admin.host(IDS.c1).currentRev).toBe(g.head);
  });

  it('revision mismatch fails the host', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.revisionMismatchOnNextSwitch(IDS.c1, 'f'.repeat(40));
    const r = await s.claw(deployArgs('clawdinator-1'));
    expect(r.exitCode).toBe(1);
    expect(doc(r.stdout).hosts[0]!.reason).toBe(`the host runs revision ${'f'.repeat(40)}, not ${g.head}`);
  });

  it('a stock NixOS host (no revision file, nixos-version --json knows the revision) deploys; the switch is recorded on the host', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.setRevisionFile(IDS.c1, false);
    const r = await s.claw(deployArgs('clawdinator-1'));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(doc(r.stdout).hosts[0]).toMatchObject({ status: 'succeeded', reason: null });
    const host = (await s.open()).admin.host(IDS.c1);
    // As upstream's remote script: last-switch.time (date -Is) and last-switch.rev after the good switch.
    expect(host.deployRecord).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/), rev: g.head });
    // The switch ran with flakes on in NIX_CONFIG, in the unit's environment (one argv word).
    const commands = (await s.sent(IDS.c1)).flatMap((c) => c.parameters.commands ?? []);
    expect(commands.find((l) => l.startsWith('systemd-run'))).toContain(`'--setenv=NIX_CONFIG=experimental-features = nix-command flakes'`);
  });

  it('a host reporting no revision at all fails, naming both places it looked', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.revisionMismatchOnNextSwitch(IDS.c1, '');
    const r = await s.claw(deployArgs('clawdinator-1'));
    expect(r.exitCode).toBe(1);
    expect(doc(r.stdout).hosts[0]!.reason).toMatch(/no configurationRevision .*\/run\/current-system\/configurationRevision.*nixos-version --json/);
  });
  it('a host SSM cannot reach is refused before anything is sent', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.setPingStatus(IDS.bf, 'ConnectionLost');
    const r = await s.claw(deployArgs('all'));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^error: SSM cannot reach clawdinator-babelfish \(i-0c9a2b4d6e8f10a37: connection-lost\)/m);
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it('a host with two instances is refused naming them', async () => {
    const s = await sandboxFor(g);
    const inst = s.sbx.admin.state().instances.find((i) => i.instanceId === IDS.c1)!;
    const extra = await s.sbx.admin.runInstance({ imageId: inst.imageId, instanceType: 't3.large', tags: { app: 'clawdinator', Name: 'clawdinator-1' } });
    const r = await s.claw(deployArgs('clawdinator-1'));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`clawdinator-1: 2 instances (`);
    expect(r.stderr).toContain(IDS.c1);
    expect(r.stderr).toContain(extra);
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it.each([
    [['deploy', 'x;reboot'], 2, /not a valid host name/],
    [['deploy', 'clawdinator-1', '--rev', '$(id)'], 2, /is not a commit SHA or ref name/],
    [['deploy', 'clawdinator-9'], 2, /unknown host "clawdinator-9"/],
    [['deploy'], 2, /no deploy target/],
    [['deploy', 'all', '--caller', 'clawdinator-2'], 3, /a bot may not deploy itself: target includes caller clawdinator-2/],
  ])('%j exits %i with nothing sent', async (args, code, message) => {
    const s = await sandboxFor(g);
    const r = await s.claw(['--verbose', ...args, '--yes', '--no-eval']);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/aws (ssm|ec2|s3)\./); // no AWS call at all
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it('CLAW_CALLER is the caller too', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-1', '--yes'], { CLAW_CALLER: 'clawdinator-1' });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^error: .*target includes caller clawdinator-1/m);
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it('a lock held by another process: exit 3 naming the holder, nothing sent', async () => {
    const s = await sandboxFor(g);
    await acquireLock(s.sbx.clients.s3, { bucket: BUCKET, holder: 'bob@desk', pid: 4242, target: 'all', rev: g.first });
    const r = await s.claw(deployArgs('clawdinator-1', '--no-bootstrap'));
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/held by bob@desk \(pid 4242\)/);
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it('without a terminal and without --yes: the plan, then refused (exit 3)', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-1', '--rev', g.head]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^deploy: clawdinator-1\nrev: +[0-9a-f]{40} \(as given, on origin refs\/heads\/main\)/);
    expect(r.stderr).toMatch(/refusing without a terminal/);
  });

  it('--dry-run shows the plan and touches nothing', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-2,clawdinator-1', '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/canary +clawdinator-1[\s\S]*canary +clawdinator-2/);
    expect(r.stdout).toContain(`rev:    ${g.head} (HEAD, on origin refs/heads/main)`);
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it('Ctrl-C mid-rollout: exit 130, the lock released, later hosts untouched', async () => {
    const s = await sandboxFor(g);
    await s.sbx.admin.slowSwitch(IDS.c1, 1_000_000);
    const { spawnClaw } = await import('../helpers/claw.js');
    const run = spawnClaw(['--sandbox', '--repo', g.repo, ...deployArgs('clawdinator-1,clawdinator-2')], { env: { CLAW_HOME: s.home }, timeoutMs: 30_000 });
    // Ctrl-C once the canary's switch is running, not after a guessed delay.
    await run.waitFor((o) => /^deploy clawdinator-1: started \(switching\)/m.test(o.stderr));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(await s.sent(IDS.c1)).not.toHaveLength(0);
    expect(await s.sent(IDS.c2)).toHaveLength(0);
    expect(JSON.parse((await s.claw(['lock', 'status', '--json'])).stdout)).toMatchObject({ state: 'free' });
  });
});
