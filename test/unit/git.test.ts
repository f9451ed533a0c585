import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { headRev, isClean } from '../../src/nix/git.js';

// Isolated from the user's git config (signing, hooks, default branch...).
const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, env, encoding: 'utf8' }).trim();

describe('git', () => {
  let tmp: string;
  let repo: string;
  let plain: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'claw-git-'));
    repo = join(tmp, 'repo');
    plain = join(tmp, 'plain');
    mkdirSync(repo);
    mkdirSync(plain);
    git(repo, 'init', '-q');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('headRev is undefined outside a repo and before the first commit', async () => {
    expect(await headRev(plain)).toBeUndefined();
    expect(await headRev(repo)).toBeUndefined();
  });

  it('isClean refuses a directory that is not a repo', async () => {
    await expect(isClean(plain)).rejects.toBeInstanceOf(UsageError);
  });

  it('headRev is the full SHA of HEAD; isClean tracks edits and untracked files', async () => {
    writeFileSync(join(repo, 'flake.nix'), '{ outputs = _: { }; }\n');
    expect(await isClean(repo)).toBe(false); // untracked
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'one');
    const rev = await headRev(repo);
    expect(rev).toMatch(/^[0-9a-f]{40}$/);
    expect(rev).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(await isClean(repo)).toBe(true);

    writeFileSync(join(repo, 'flake.nix'), '{ outputs = _: { x = 1; }; }\n');
    expect(await isClean(repo)).toBe(false); // modified
    git(repo, 'commit', '-qam', 'two');
    expect(await headRev(repo)).not.toBe(rev);
    expect(await isClean(repo)).toBe(true);

    writeFileSync(join(repo, '.gitignore'), 'result\n');
    git(repo, 'add', '.gitignore');
    git(repo, 'commit', '-qm', 'ignore');
    writeFileSync(join(repo, 'result'), 'ignored');
    expect(await isClean(repo)).toBe(true); // ignored files do not count
  });

  it('logs each git call', async () => {
    const log: string[] = [];
    await headRev(repo, { log: (l) => log.push(l) });
    expect(log).toEqual([expect.stringMatching(/^exec git rev-parse --verify --quiet "HEAD\^\{commit\}" \(exit 0, \d+ ms\)$/)]);
  });
});
