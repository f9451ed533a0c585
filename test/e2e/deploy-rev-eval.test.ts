import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nixAvailable } from '../../src/nix/nix.js';
import { FAST, git, gitRepo, sandboxFor, type GitRepo } from '../helpers/deploy-fixture.js';

// Rev resolution against the local bare remote, and the fail-fast eval with real nix.

const hasNix = await nixAvailable();
if (!hasNix) {
  if (process.env.CI === 'true') it('nix is installed (required under CI=true)', () => expect.fail('nix is not on PATH'));
  else console.warn('\n*** SKIPPING the deploy eval test: `nix` is not on PATH (apt-get install nix-bin) ***\n');
}

let g: GitRepo;
let broken: string;
let unpushed: string;
beforeAll(() => {
  g = gitRepo();
  git(g.repo, 'checkout', '--quiet', '-b', 'broken');
  appendFileSync(join(g.repo, 'nix/hosts/clawdinator-2.nix'), '\nbroken {\n');
  git(g.repo, 'commit', '--quiet', '-am', 'break clawdinator-2');
  broken = git(g.repo, 'rev-parse', 'HEAD');
  git(g.repo, 'push', '--quiet', 'origin', 'broken');
  git(g.repo, 'checkout', '--quiet', '-b', 'local-only', 'main');
  appendFileSync(join(g.repo, 'docs/note.md'), 'local\n');
  git(g.repo, 'commit', '--quiet', '-am', 'not pushed');
  unpushed = git(g.repo, 'rev-parse', 'HEAD');
  git(g.repo, 'checkout', '--quiet', 'main');
});

describe('claw deploy: rev and eval', { timeout: 120_000 }, () => {
  it('refuses a rev that is not on the remote (exit 3), nothing sent', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-1', '--rev', unpushed.slice(0, 10), '--yes', '--no-eval']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`rev ${unpushed} (${unpushed.slice(0, 10)}) is not on the remote origin`);
    expect((await s.open()).admin.state().ssmCommands).toHaveLength(0);
  });

  it('an unknown ref is bad input (exit 2)', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-1', '--rev', 'no-such-branch', '--yes']);
    expect(r.exitCode).toBe(2);
  });

  it.skipIf(!hasNix)('a broken host config fails at eval, all failures together, nothing touched', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-1,clawdinator-2', '--rev', 'broken', '--yes', ...FAST]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error: nix eval failed for clawdinator-2; nothing was touched/);
    const state = (await s.open()).admin.state();
    expect(state.ssmCommands).toHaveLength(0);
    expect(JSON.parse((await s.claw(['lock', 'status', '--json'])).stdout)).toMatchObject({ state: 'free' });
    expect(r.stderr).not.toMatch(/upload bootstrap/);
    expect(broken).toMatch(/^[0-9a-f]{40}$/);
  });

  it.skipIf(!hasNix)('a good rev passes the eval and deploys', async () => {
    const s = await sandboxFor(g);
    const r = await s.claw(['deploy', 'clawdinator-1', '--rev', 'main', '--yes', ...FAST]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nix eval: ok/);
  });
});
