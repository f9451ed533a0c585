import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_REPO, runClaw, tempDir } from '../helpers/claw.js';
import { FAST, IDS, gitRepo, sandboxFor, type GitRepo } from '../helpers/deploy-fixture.js';

// History and rollback round trip on the sandbox: deploy A, deploy B, rollback -> A.

let g: GitRepo;
beforeAll(() => {
  g = gitRepo();
});

describe('claw rollback (sandbox)', { timeout: 90_000 }, () => {
  it('deploys the previous successful rev from the history, through the same pipeline', async () => {
    const s = await sandboxFor(g);
    const deploy = (rev: string) => s.claw(['deploy', 'clawdinator-1,clawdinator-2', '--rev', rev, '--no-eval', '--yes', ...FAST]);
    expect((await deploy(g.first)).exitCode).toBe(0);
    expect((await deploy(g.head.slice(0, 9))).exitCode).toBe(0); // a short SHA resolves with git
    const dry = await s.claw(['rollback', 'clawdinator-1,clawdinator-2', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`rollback: clawdinator-1, clawdinator-2\nrev:    ${g.first}`);
    const r = await s.claw(['rollback', 'clawdinator-1,clawdinator-2', '--yes', '--no-eval', '--json', ...FAST]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verb: 'rollback', rev: g.first, outcome: 'succeeded' });
    const sbx = await s.open();
    expect(sbx.admin.host(IDS.c1).currentRev).toBe(g.first);
    const hist = JSON.parse((await s.claw(['history', 'clawdinator-1', '--json'])).stdout) as {
      records: { rev: string; previousRev: string | null; result: string }[];
    };
    expect(hist.records.map((x) => x.rev)).toEqual([g.first, g.head, g.first]);
    expect(hist.records[0]!.previousRev).toBe(g.head);
  });

  it('refuses hosts whose previous revs differ, and hosts with nothing to go back to', async () => {
    const s = await sandboxFor(g);
    const none = await s.claw(['rollback', 'clawdinator-1', '--yes']);
    expect(none.exitCode).toBe(3);
    expect(none.stderr).toMatch(/nothing to roll back to for clawdinator-1/);
    const deploy = (target: string, rev: string) => s.claw(['deploy', target, '--rev', rev, '--no-eval', '--no-bootstrap', '--yes', ...FAST]);
    expect((await deploy('clawdinator-1', g.first)).exitCode).toBe(0);
    expect((await deploy('clawdinator-1,clawdinator-2', g.head)).exitCode).toBe(0);
    // clawdinator-1 goes back to first; clawdinator-2, deployed once, to what it ran before.
    const r = await s.claw(['rollback', 'clawdinator-1,clawdinator-2', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(
      `error: the hosts' previous revs differ (${g.first.slice(0, 12)}: clawdinator-1; e3b1c5d7f9a2: clawdinator-2); one rollback deploys one rev`,
    );
  });

  it('--to names itself: outside a git checkout a short SHA needs to be a full one', async () => {
    const home = (await sandboxFor(g)).home;
    const plain = join(home, 'plain-repo');
    cpSync(FIXTURE_REPO, plain, { recursive: true });
    const r = await runClaw(['--sandbox', 'rollback', 'clawdinator-1', '--to', 'abc1234', '--dry-run'], { env: { HOME: home }, cwd: plain });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is not a git checkout: --to "abc1234" needs a full 40-hex SHA there');
    expect(r.stderr).toContain('or pass --to <full sha>');
    expect(r.stderr).not.toContain('--rev');
  });
});

// As a new user meets it: a fresh sandbox (its hosts run commits of the sandbox's own
// repo), one deploy, then a rollback with no --to.
describe('claw rollback right after one deploy, on a fresh sandbox', { timeout: 90_000 }, () => {
  it('goes back to the rev the host ran before that deploy', async () => {
    const home = tempDir('claw-rollback-fresh-');
    const claw = (...args: string[]) => runClaw(['--sandbox', ...args], { env: { HOME: home }, cwd: home, timeoutMs: 60_000 });
    const before = JSON.parse((await claw('status', '--json')).stdout) as { hosts: { host: string; rev: string }[] };
    const was = before.hosts.find((h) => h.host === 'clawdinator-babelfish')!.rev;
    expect((await claw('deploy', 'clawdinator-babelfish', '--yes')).exitCode).toBe(0);
    const dry = await claw('rollback', 'clawdinator-babelfish', '--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^rev: +${was} \\(the rev before [0-9a-f]{12}, from the deploy history, on origin refs/`, 'm'));
    const r = await claw('rollback', 'clawdinator-babelfish', '--yes', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verb: 'rollback', rev: was, outcome: 'succeeded' });
    const after = JSON.parse((await claw('status', '--json')).stdout) as { hosts: { host: string; rev: string }[] };
    expect(after.hosts.find((h) => h.host === 'clawdinator-babelfish')!.rev).toBe(was);
  });
});
