import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { asFullSha, parseRevInput } from '../../src/core/deploy-target.js';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import { checkoutRevTree, isCheckoutRoot, resolveRev } from '../../src/nix/rev.js';

// resolveRev with real git: a work tree with a local bare `origin`.

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();

let repo: string;
let pushedOld: string;
let tip: string;
let localOnly: string;
beforeAll(() => {
  const tmp = mkdtempSync(join(tmpdir(), 'claw-rev-'));
  repo = join(tmp, 'repo');
  git(tmp, 'init', '--quiet', '--bare', 'remote.git');
  git(tmp, 'init', '--quiet', '-b', 'main', 'repo');
  for (const n of ['a', 'b']) {
    writeFileSync(join(repo, n), n);
    git(repo, 'add', n);
    git(repo, 'commit', '--quiet', '-m', n);
  }
  pushedOld = git(repo, 'rev-parse', 'HEAD~1');
  tip = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'tag', '-a', 'v1', '-m', 'v1');
  git(repo, 'remote', 'add', 'origin', join(tmp, 'remote.git'));
  git(repo, 'push', '--quiet', 'origin', 'main', 'v1');
  writeFileSync(join(repo, 'c'), 'c');
  git(repo, 'add', 'c');
  git(repo, 'commit', '--quiet', '-m', 'c');
  localOnly = git(repo, 'rev-parse', 'HEAD');
});

describe('resolveRev', () => {
  it('resolves a ref, a tag and a short SHA to the full SHA on the remote', async () => {
    expect(await resolveRev(repo, parseRevInput('v1'))).toMatchObject({ sha: tip, asked: 'v1', remote: { checked: true, name: 'origin' } });
    expect(await resolveRev(repo, parseRevInput(pushedOld.slice(0, 8)))).toMatchObject({ sha: pushedOld, remote: { checked: true, ref: 'refs/heads/main' } });
    expect((await resolveRev(repo, parseRevInput(tip.toUpperCase()))).sha).toBe(tip);
  });

  it('defaults to HEAD, and refuses it when it is not pushed', async () => {
    await expect(resolveRev(repo, undefined)).rejects.toThrow(RefusedError);
    await expect(resolveRev(repo, parseRevInput(localOnly))).rejects.toThrow(/is not on the remote origin/);
  });

  it('an unknown name is bad input; a missing remote is refused', async () => {
    await expect(resolveRev(repo, parseRevInput('nope'))).rejects.toThrow(UsageError);
    await expect(resolveRev(repo, parseRevInput('main'), { remote: 'upstream' })).rejects.toThrow(/cannot list git remote upstream/);
  });

  it('outside a checkout: only a full SHA, unchecked', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'claw-norepo-'));
    expect(await isCheckoutRoot(plain)).toBe(false);
    expect(await resolveRev(plain, parseRevInput(tip))).toMatchObject({ sha: tip, remote: { checked: false } });
    await expect(resolveRev(plain, parseRevInput('main'))).rejects.toThrow(UsageError);
  });

  it('checkoutRevTree extracts exactly the commit', async () => {
    const t = await checkoutRevTree(repo, asFullSha(pushedOld));
    try {
      expect(execFileSync('ls', [t.dir], { encoding: 'utf8' }).trim().split('\n')).toEqual(['a']);
    } finally {
      await t.dispose();
    }
  });
});
