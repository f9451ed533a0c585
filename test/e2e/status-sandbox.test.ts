import { describe, expect, it } from 'vitest';
import { runClaw, spawnClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox status`: the simulated account seeded from fixtures/sandbox, with
// fixtures/clawdinators as the repo when no repo is around.

describe('claw --sandbox status', () => {
  it('shows the seeded fleet with drift and the unregistered instance', async () => {
    const r = await runClaw(['--sandbox', 'status'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^HOST\s+INSTANCE\s+STATE\s+TYPE\s+AZ\s+AMI\s+REV\s+UP\s+SSM\s+DRIFT$/m);
    expect(r.stdout).toMatch(
      /^clawdinator-1\s+i-[0-9a-f]{17}\s+running\s+t3\.large\s+eu-central-1a\s+ami-[0-9a-f]{17} latest\s+[0-9a-f]{12}\s+\d+[dhms]\s+online\s+ok$/m,
    );
    expect(r.stdout).toMatch(/^clawdinator-babelfish\s+.*\s+1 behind\s+.*online\s+ami-behind$/m);
    // The SSM problem of the seed: the stopped, unregistered instance's agent is not reached.
    expect(r.stdout).toMatch(/^ {2}NAME\s+INSTANCE\s+STATE\s+TYPE\s+AZ\s+AMI\s+SSM$/m);
    expect(r.stdout).toMatch(/^ {2}clawdinator-scratch\s+i-[0-9a-f]{17}\s+stopped\s+.*\s+connection-lost$/m);
    expect(r.stdout).toMatch(/^4 hosts, 1 with drift, 1 unregistered; latest AMI ami-[0-9a-f]{17}$/m);
    expect(r.stdout).not.toContain('bastion');
  });

  it('--json has the documented shape and no ANSI codes, even with colour forced', async () => {
    const r = await runClaw(['status', '--json'], { env: { CLAW_SANDBOX: '1', NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['hosts', 'latestImageId', 'unregistered']);
    expect(out.hosts.map((h: { host: string }) => h.host)).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-3']);
    for (const h of out.hosts) {
      expect(Object.keys(h)).toEqual(
        expect.arrayContaining([
          'host',
          'instanceId',
          'instances',
          'state',
          'instanceType',
          'desiredInstanceType',
          'availabilityZone',
          'publicIp',
          'imageId',
          'imageIsLatest',
          'launchTime',
          'rev',
          'ssmPing',
          'drift',
        ]),
      );
    }
    expect(out.hosts[2]).toMatchObject({ imageIsLatest: false, imagesBehind: 1, ssmPing: 'online', publicIp: '203.0.113.57', drift: [{ kind: 'ami-behind' }] });
    expect(out.hosts[2].instances).toEqual([expect.objectContaining({ instanceId: 'i-0c9a2b4d6e8f10a37', state: 'running', publicIp: '203.0.113.57' })]);
    expect(out.unregistered).toEqual([expect.objectContaining({ name: 'clawdinator-scratch', state: 'stopped', publicIp: null, ssmPing: 'connection-lost' })]);
  });

  it('--watch refreshes until Ctrl-C and then exits 0', async () => {
    // Ctrl-C once the second refresh is on screen, not after a guessed delay.
    const run = spawnClaw(['--sandbox', 'status', '--watch', '--interval', '1']);
    await run.waitFor((o) => o.stdout.split('claw status --watch · every 1s').length - 1 >= 2);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.exitCode).toBe(0);
    const frames = r.stdout.split('claw status --watch · every 1s').length - 1;
    expect(frames).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toContain('4 hosts, 1 with drift');
  });

  it('--watch --json prints one JSON document per refresh', async () => {
    const run = spawnClaw(['--sandbox', 'status', '--watch', '--json', '--interval', '1']);
    await run.waitFor((o) => (o.stdout.match(/\n/g) ?? []).length >= 2); // two whole documents
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.exitCode).toBe(0);
    const docs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { hosts: unknown[] });
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const d of docs) expect(d.hosts).toHaveLength(4);
  });

  it('--verbose logs each sandbox call to stderr, results stay on stdout', async () => {
    const r = await runClaw(['--sandbox', 'status', '--json', '--verbose']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^aws ec2\.DescribeInstances \d+ms ok$/m);
    expect(r.stderr).toMatch(/^aws ssm\.DescribeInstanceInformation \d+ms ok$/m);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });
});
