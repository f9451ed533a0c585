// The few git facts claw needs about the clawdinators checkout, via the one exec wrapper.
import { UsageError } from '../core/errors.js';
import { FULL_SHA_RE } from '../core/patterns.js';
import { ExecError, run, type RunOptions } from './exec.js';

export type GitOptions = Pick<RunOptions, 'env' | 'extendEnv' | 'signal' | 'log' | 'timeoutMs'>;

// C locale: the "not a git repository" check matches git's English text. No optional
// locks: `status` must not take index.lock from under the operator's own git.
const git = (dir: string, args: string[], opts: GitOptions) =>
  run('git', args, { ...opts, cwd: dir, env: { ...opts.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' }, pkg: 'git' });

const notARepo = (err: unknown): boolean => err instanceof ExecError && /not a git repository/i.test(err.stderr);

/**
 * HEAD's full SHA; undefined outside a git work tree or before the first commit.
 * Like git, a subdirectory of a checkout answers for the enclosing repository.
 */
export async function headRev(dir: string, opts: GitOptions = {}): Promise<string | undefined> {
  try {
    const { stdout } = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], opts);
    const sha = stdout.trim();
    return FULL_SHA_RE.test(sha) ? sha : undefined;
  } catch (err) {
    // --verify --quiet exits 1 silently when HEAD does not resolve yet.
    if (notARepo(err) || (err instanceof ExecError && err.childExitCode === 1)) return undefined;
    throw err;
  }
}

/** No staged, unstaged or untracked changes (ignored files do not count). */
export async function isClean(dir: string, opts: GitOptions = {}): Promise<boolean> {
  try {
    const { stdout } = await git(dir, ['status', '--porcelain=v1', '--untracked-files=normal'], opts);
    return stdout.trim() === '';
  } catch (err) {
    if (notARepo(err)) throw new UsageError(`${dir} is not a git repository`, undefined, { cause: err });
    throw err;
  }
}
