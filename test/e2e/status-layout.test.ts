import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { BIN, ROOT, runClaw, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen, type TmuxSession } from '../helpers/tmux.js';

// `claw status` and `claw ami list` as tables for people: a host with several instances
// lists each (state, type, AMI), `--wide` and `--json` carry the public IP, and on a
// terminal the tables fit its width (the least telling columns go first) while without
// one every column is printed.

const tty = tmuxAvailable();
let session: TmuxSession | undefined;
afterEach(() => session?.kill());

/** A sandbox whose clawdinator-1 has a second, older instance (with a public IP). */
async function twoInstances(): Promise<{ home: string; extra: string }> {
  const home = join(tempDir('claw-layout-'), '.claw');
  const sbx = await openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
  const extra = await sbx.admin.runInstance({
    imageId: 'ami-0a91c3e5f7b2d4086',
    instanceType: 't3.medium',
    availabilityZone: 'eu-central-1c',
    publicIpAddress: '203.0.113.99',
    launchTime: new Date(Date.now() - 5 * 86_400_000),
    tags: { app: 'clawdinator', Name: 'clawdinator-1' },
  });
  return { home, extra };
}

describe('status and ami list as tables', () => {
  it('several instances for one host: each on a row of its own; --wide and --json carry the public IP', async () => {
    const { home, extra } = await twoInstances();
    const env = { CLAW_HOME: home };
    const text = await runClaw(['--sandbox', 'status'], { env });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^clawdinator-1 +i-0a3f5c9e2b7d41c08 \+1 +running +t3\.large /m);
    expect(text.stdout).toMatch(new RegExp(`^ {2}\\u2514 also +${extra} +running +t3\\.medium +eu-central-1c +ami-0a91c3e5f7b2d4086 +5d `, 'm'));
    expect(text.stdout).not.toContain('PUBLIC IP');

    const wide = await runClaw(['--sandbox', 'status', '--wide'], { env });
    expect(wide.stdout).toMatch(/^HOST +INSTANCE +STATE +TYPE +AZ +PUBLIC IP +AMI +REV +UP +SSM +DRIFT$/m);
    expect(wide.stdout).toMatch(/^clawdinator-babelfish +\S+ +running +t3\.medium +eu-central-1a +203\.0\.113\.57 /m);
    expect(wide.stdout).toMatch(new RegExp(`^ {2}\\u2514 also +${extra} .* 203\\.0\\.113\\.99 `, 'm'));

    const json = JSON.parse((await runClaw(['--sandbox', 'status', '--json'], { env })).stdout) as {
      hosts: { host: string; publicIp: string | null; instances: { instanceId: string; publicIp: string | null; instanceType: string }[] }[];
    };
    const one = json.hosts.find((h) => h.host === 'clawdinator-1')!;
    expect(one.publicIp).toBe('203.0.113.23');
    expect(one.instances.map((i) => [i.instanceId, i.instanceType, i.publicIp])).toEqual([
      ['i-0a3f5c9e2b7d41c08', 't3.large', '203.0.113.23'],
      [extra, 't3.medium', '203.0.113.99'],
    ]);
  });

  it('without a terminal every column is printed', async () => {
    const status = await runClaw(['--sandbox', 'status']);
    expect(status.stdout).toMatch(/^HOST +INSTANCE +STATE +TYPE +AZ +AMI +REV +UP +SSM +DRIFT$/m);
    const amis = await runClaw(['--sandbox', 'ami', 'list']);
    expect(amis.stdout).toMatch(/^IMAGE +NAME +CREATED +AGE +SIZE +SOURCE +GIT +USED BY +MARKS$/m);
  });

  for (const cols of [80, 140]) {
    it.skipIf(!tty)(
      `on a ${cols}-column terminal status and ami list fit; --wide shows every column`,
      async () => {
        const home = tempDir('claw-layout-');
        const run = (args: string) => `${process.execPath} ${BIN} --sandbox ${args}`;
        const cmd = `cd ${home} && export CLAW_HOME=${home}/.claw HOME=${home}; ${run('status')}; echo ===; ${run('ami list')}; echo ===; ${run('status --wide')}; echo "EXIT=$?"; sleep 30`;
        session = startTmux(`claw-layout-${randomBytes(3).toString('hex')}`, cmd, { cols, rows: 60 });
        const screen = await waitForScreen(session, (x) => x.includes('EXIT='), 30_000);
        const [status, amis, wide] = screen.split('===\n');
        const tables = [
          ...status!.split('\n').filter((l) => /^(HOST|clawdinator-| {2}clawdinator-scratch| {2}NAME)/.test(l)),
          ...amis!.split('\n').filter((l) => /^(IMAGE|ami-)/.test(l)),
        ];
        expect(tables.length).toBeGreaterThan(10);
        // tmux wraps a longer line onto the next one: every table line ends within the width, none wrapped.
        for (const l of tables) expect(l.length, l).toBeLessThanOrEqual(cols);
        expect(status).toMatch(/^HOST .*STATE .*SSM +DRIFT$/m);
        expect(amis).toMatch(/^IMAGE .*USED BY +MARKS$/m);
        if (cols === 80) expect(status).not.toMatch(/^HOST .*\bAZ\b/m); // the first to go
        // --wide keeps every column whatever the terminal (wrapped by the terminal when wider).
        expect(wide!.replace(/\n/g, '')).toMatch(/HOST +INSTANCE +STATE +TYPE +AZ +PUBLIC IP +AMI +REV +UP +SSM +DRIFT/);
      },
      60_000,
    );
  }
});
