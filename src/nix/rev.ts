// Which commit a deploy sends to the hosts, resolved with git in the clawdinators
// checkout: a short SHA or ref becomes the full SHA, and the SHA must be reachable
// from a branch or tag of the remote, because the hosts fetch it from there.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { asFullSha, shown, type FullSha, type RevInput } from '../core/deploy-target.js';
import { RefusedError, UsageError } from '../core/errors.js';
import { FULL_SHA_RE } from '../core/patterns.js';
import { ExecError, run } from './exec.js';
import type { GitOptions } from './git.js';

export const DEFAULT_REMOTE = 'origin';
const REMOTE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const git = (dir: string, args: string[], opts: GitOptions) =>
  run('git', args, { ...opts, cwd: dir, env: { ...opts.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' }, pkg: 'git' });

/** True when `dir` is itself the top of a git work tree (not a folder inside another repo). */
export async function isCheckoutRoot(dir: string, opts: GitOptions = {}): Promise<boolean> {
  try {
    const { stdout } = await git(dir, ['rev-parse', '--show-toplevel'], opts);
    return realpathSync(stdout.trim()) === realpathSync(resolve(dir));
  } catch (err) {
    if (err instanceof ExecError) return false;
    throw err;
  }
}

/** The full SHA of a commit the local repo has, or undefined. */
async function localCommit(dir: string, name: string, opts: GitOptions): Promise<FullSha | undefined> {
  try {
    const { stdout } = await git(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`], opts);
    const sha = stdout.trim();
    return FULL_SHA_RE.test(sha) ? asFullSha(sha) : undefined;
  } catch (err) {
    if (err instanceof ExecError) return undefined;
    throw err;
  }
}

export interface ResolvedRev {
  sha: FullSha;
  /** What was asked for: `HEAD` by default, else the --rev text. */
  asked: string;
  /** Where the rev was found on the remote (a branch or tag), or why it was not checked. */
  remote: { checked: true; name: string; ref: string } | { checked: false; why: string };
}

/**
 * Resolve `input` (default HEAD) in `repoDir`. Outside a git checkout only a full SHA
 * is accepted and the remote cannot be checked (`remote.checked` false: the caller
 * decides). Inside one, a rev that no branch or tag of `remote` contains is refused.
 */
export async function resolveRev(
  repoDir: string,
  input: RevInput | undefined,
  opts: GitOptions & { remote?: string; flag?: '--rev' | '--to' } = {},
): Promise<ResolvedRev> {
  const asked = input === undefined ? 'HEAD' : input.kind === 'sha' ? input.sha : input.name;
  const flag = opts.flag ?? '--rev';
  if (!(await isCheckoutRoot(repoDir, opts))) {
    if (input?.kind !== 'sha') {
      const what = input === undefined ? `the default rev (HEAD) needs a git checkout` : `${flag} ${shown(asked)} needs a full 40-hex SHA there`;
      throw new UsageError(`${repoDir} is not a git checkout: ${what}`, `run claw in the clawdinators checkout (or --repo DIR), or pass ${flag} <full sha>`);
    }
    return { sha: input.sha, asked, remote: { checked: false, why: `${repoDir} is not a git checkout` } };
  }
  const sha = await localCommit(repoDir, asked, opts);
  if (!sha && input?.kind !== 'sha') throw new UsageError(`rev ${shown(asked)} is not a commit in ${repoDir}`, 'git fetch, or check the name');
  const target = sha ?? (input as { sha: FullSha }).sha;
  const remote = opts.remote ?? DEFAULT_REMOTE;
  if (!REMOTE_RE.test(remote)) throw new UsageError(`git remote ${shown(remote)} is not a remote name`);
  let listing: string;
  try {
    listing = (await git(repoDir, ['ls-remote', '--quiet', '--heads', '--tags', remote], opts)).stdout;
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    throw new RefusedError(
      `cannot list git remote ${remote} of ${repoDir}, so rev ${target} cannot be checked: ${err.message}`,
      `the hosts fetch the rev from the remote; add it (git remote add ${remote} URL) or check the network`,
    );
  }
  const tips = listing
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((p): p is [string, string] => p.length === 2 && FULL_SHA_RE.test(p[0]!));
  const direct = tips.find(([tip]) => tip === target);
  if (direct) return { sha: target, asked, remote: { checked: true, name: remote, ref: direct[1].replace(/\^\{\}$/, '') } };
  for (const [tip, ref] of tips) {
    if (!(await localCommit(repoDir, tip, opts))) continue;
    try {
      await git(repoDir, ['merge-base', '--is-ancestor', target, tip], opts);
      return { sha: target, asked, remote: { checked: true, name: remote, ref: ref.replace(/\^\{\}$/, '') } };
    } catch (err) {
      if (!(err instanceof ExecError)) throw err;
    }
  }
  throw new RefusedError(
    `rev ${target}${asked !== target ? ` (${asked})` : ''} is not on the remote ${remote}: no branch or tag there contains it`,
    `push it first (git push ${remote} ...): the hosts fetch the rev from the remote`,
  );
}

/**
 * The tree of `sha` in a fresh temporary directory (git archive | tar), so the eval sees
 * exactly the deployed commit, not the working tree. Call `dispose` when done.
 */
export async function checkoutRevTree(repoDir: string, sha: FullSha, opts: GitOptions = {}): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const tmp = await mkdtemp(join(tmpdir(), 'claw-rev-'));
  const dir = join(tmp, 'tree');
  try {
    await mkdir(dir);
    await git(repoDir, ['archive', '--format=tar', '-o', join(tmp, 'tree.tar'), asFullSha(sha)], opts);
    await run('tar', ['-xf', join(tmp, 'tree.tar'), '-C', dir], { ...opts, pkg: 'tar' });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir, dispose: () => rm(tmp, { recursive: true, force: true }) };
}
