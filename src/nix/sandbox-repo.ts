import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExecError, runSync, ToolMissingError } from './exec.js';

// The sandbox's clawdinators repo: a real git checkout of the sample repo under
// $CLAW_HOME/sandbox/repo, whose HEAD is on a simulated remote (a bare repository beside
// it, its `origin`), so `claw --sandbox deploy <host>` resolves HEAD and finds it on the
// remote as it would in the operator's own checkout. Made once, on first use; without git
// the sample folder itself is used (and deploys then need --rev).

export interface SandboxRepo {
  root: string;
  /** The sample folder itself: git is missing, so the repo is not a checkout. */
  fallback: boolean;
}

export const sandboxRepoDir = (home: string) => join(home, 'sandbox', 'repo');
export const sandboxRemoteDir = (home: string) => join(home, 'sandbox', 'remote.git');

// The commit is the same everywhere (fixed author, dates; no config, hooks or signing of
// the operator's): the same sample gives the same SHA, and two first runs at once agree.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'claw sandbox',
  GIT_AUTHOR_EMAIL: 'sandbox@claw.invalid',
  GIT_COMMITTER_NAME: 'claw sandbox',
  GIT_COMMITTER_EMAIL: 'sandbox@claw.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

/** Move `from` to `to` unless `to` is already there (another claw made it first): then `from` goes. */
function claim(from: string, to: string): void {
  if (!existsSync(to)) {
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      if (!existsSync(to)) throw err;
    }
  }
  rmSync(from, { recursive: true, force: true });
}

/** The sandbox's repo, seeded from `fixture` when it is not there yet. */
export function ensureSandboxRepo(home: string, fixture: string): SandboxRepo {
  const root = sandboxRepoDir(home);
  if (existsSync(join(root, '.git')) && existsSync(sandboxRemoteDir(home))) return { root, fallback: false };
  try {
    seed(home, fixture);
    return { root, fallback: false };
  } catch (err) {
    if (err instanceof ToolMissingError) return { root: fixture, fallback: true };
    throw err;
  }
}

/** The sample repo's tags of the revs the seeded hosts run (fixtures/sandbox `{rev:<name>}`). */
export const SEED_REV_TAGS = { fleet: 'sample/fleet-rev', babelfish: 'sample/babelfish-rev' } as const;
export type SeedRevs = Record<keyof typeof SEED_REV_TAGS, string>;

/** The full SHAs of the seeded hosts' revs in the sandbox's repo (made if missing); undefined without git. */
export function sandboxSeedRevs(home: string, fixture: string): SeedRevs | undefined {
  const repo = ensureSandboxRepo(home, fixture);
  if (repo.fallback) return undefined;
  const sha = (tag: string) => runSync('git', ['rev-parse', '--verify', '--quiet', `${tag}^{commit}`], { cwd: repo.root, env: GIT_ENV }).trim();
  try {
    return { fleet: sha(SEED_REV_TAGS.fleet), babelfish: sha(SEED_REV_TAGS.babelfish) };
  } catch (err) {
    // A repo an older claw made has no such tags: the seed's own revs then.
    if (err instanceof ExecError) return undefined;
    throw err;
  }
}

/** Remove the sandbox's repo and remote (a reset seeds them again). */
export function removeSandboxRepo(home: string): void {
  rmSync(sandboxRepoDir(home), { recursive: true, force: true });
  rmSync(sandboxRemoteDir(home), { recursive: true, force: true });
}

function seed(home: string, fixture: string): void {
  const dir = join(home, 'sandbox');
  mkdirSync(dir, { recursive: true });
  // Built under names of this process's own, then renamed: two first runs at once never see half a repo.
  const tag = `${process.pid}-${Date.now()}`;
  const work = join(dir, `repo.tmp-${tag}`);
  const bare = join(dir, `remote.git.tmp-${tag}`);
  try {
    const git = (cwd: string, ...args: string[]) => runSync('git', args, { cwd, env: GIT_ENV });
    const commit = (date: string, message: string, ...more: string[]) =>
      runSync('git', ['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', ...more, '-m', message], {
        cwd: work,
        env: { ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      });
    cpSync(fixture, work, { recursive: true });
    git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
    git(work, 'init', '--quiet', '--initial-branch=main');
    git(work, 'add', '--all');
    // The seeded hosts run these two older commits (their clawdinator:rev tags), so a
    // rollback right after the first deploy finds its rev in the repo and on the remote.
    commit('2025-11-28T10:00:00Z', 'clawdinators: the sample fleet (claw sandbox)');
    git(work, 'tag', SEED_REV_TAGS.babelfish);
    commit('2025-12-05T09:00:00Z', 'clawdinator: rebuild the fleet (claw sandbox)', '--allow-empty');
    git(work, 'tag', SEED_REV_TAGS.fleet);
    // The sample runbooks beside the sample repo were written to live in it, as runbooks/.
    const runbooks = join(dirname(fixture), 'runbooks');
    if (existsSync(runbooks)) {
      cpSync(runbooks, join(work, 'runbooks'), { recursive: true });
      git(work, 'add', 'runbooks');
    }
    commit('2026-01-01T00:00:00Z', 'runbooks: move the orchestrator onto clawdinator-3 (claw sandbox)', '--allow-empty');
    claim(bare, sandboxRemoteDir(home));
    git(work, 'remote', 'add', 'origin', sandboxRemoteDir(home));
    git(work, 'push', '--quiet', '--tags', 'origin', 'main');
    git(work, 'branch', '--quiet', '--set-upstream-to=origin/main');
    claim(work, sandboxRepoDir(home));
  } catch (err) {
    if (err instanceof ExecError) throw new Error(`could not make the sandbox's git repo: ${err.message}`, { cause: err });
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(bare, { recursive: true, force: true });
  }
}
