import { beforeAll, describe, expect, it } from 'vitest';
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
    const hist = JSON.parse((await s.claw(['history', 'clawdinator-1', '--json'])).stdout) as { records: { rev: string; previousRev: string | null; result: string }[] };
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
    const r = await s.claw(['rollback', 'clawdinator-1,clawdinator-2', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/nothing to roll back to for clawdinator-2/);
  });
});
