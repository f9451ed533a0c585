import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { ensureSandboxRepo, sandboxSeedRevs, SEED_REV_TAGS } from '../../src/nix/sandbox-repo.js';
import { loadFixture } from '../../src/sandbox/fixture.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { SEED_DIR } from '../contract/backends.js';
import { FIXTURE_REPO, tempDir } from '../helpers/claw.js';

// The sandbox's sample repo: a git checkout whose history holds the commits the seeded
// hosts run (so a rollback finds them), the same SHAs on every machine, and the seed's
// `{rev:<name>}` filled with them.

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

describe('the sandbox repo and the seeded hosts revs', () => {
  it('three commits: the babelfish rev, the fleet rev (both tagged), HEAD with the runbooks; pushed with their tags', () => {
    const home = tempDir('claw-sbx-repo-');
    const repo = ensureSandboxRepo(home, FIXTURE_REPO);
    expect(repo.fallback).toBe(false);
    expect(git(repo.root, 'log', '--format=%s').split('\n')).toEqual([
      'runbooks: move the orchestrator onto clawdinator-3 (claw sandbox)',
      'clawdinator: rebuild the fleet (claw sandbox)',
      'clawdinators: the sample fleet (claw sandbox)',
    ]);
    expect(git(repo.root, 'ls-tree', '--name-only', 'HEAD', 'runbooks/')).toBe('runbooks/orchestrator-to-vm.yaml');
    const revs = sandboxSeedRevs(home, FIXTURE_REPO)!;
    expect(revs.fleet).toBe(git(repo.root, 'rev-parse', 'HEAD~1'));
    expect(revs.babelfish).toBe(git(repo.root, 'rev-parse', 'HEAD~2'));
    expect(git(repo.root, 'ls-remote', '--tags', 'origin')).toContain(`refs/tags/${SEED_REV_TAGS.fleet}`);
    // Deterministic: another home, the same SHAs.
    expect(sandboxSeedRevs(tempDir('claw-sbx-repo2-'), FIXTURE_REPO)).toEqual(revs);
  });

  it('the seed names them as {rev:fleet} and {rev:babelfish}; an unknown name is a seed error', async () => {
    const revs = { fleet: 'a'.repeat(40), babelfish: 'b'.repeat(40) };
    const fx = await loadFixture(SEED_DIR, revs);
    const rev = (name: string) => fx.ec2.instances.find((i) => i.tags.Name === name)!.tags['clawdinator:rev'];
    expect([rev('clawdinator-1'), rev('clawdinator-3'), rev('clawdinator-babelfish')]).toEqual([revs.fleet, revs.fleet, revs.babelfish]);
    await expect(loadFixture(SEED_DIR, { fleet: revs.fleet })).rejects.toThrow(UsageError);
    const home = tempDir('claw-sbx-revs-');
    const sbx = await openSandbox({ home, seedDir: SEED_DIR, revs: () => revs });
    expect(sbx.admin.host('i-0c9a2b4d6e8f10a37').currentRev).toBe(revs.babelfish);
  });
});
