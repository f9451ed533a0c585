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
  GIT_AUTHOR_NAME: 'claw sandbox', GIT_AUTHOR_EMAIL: 'sandbox@claw.invalid', GIT_COMMITTER_NAME: 'claw sandbox', GIT_COMMITTER_EMAIL: 'sandbox@claw.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0',
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
    cpSync(fixture, work, { recursive: true });
    // The sample runbooks beside the sample repo were written to live in it, as runbooks/.
    const runbooks = join(dirname(fixture), 'runbooks');
    if (existsSync(runbooks)) cpSync(runbooks, join(work, 'runbooks'), { recursive: true });
    git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
    git(work, 'init', '--quiet', '--initial-branch=main');
    git(work, 'add', '--all');
    git(work, '-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '-m', 'clawdinators: the sample fleet (claw sandbox)');
    claim(bare, sandboxRemoteDir(home));
    git(work, 'remote', 'add', 'origin', sandboxRemoteDir(home));
    git(work, 'push', '--quiet', 'origin', 'main');
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
