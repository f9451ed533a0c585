import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSandbox } from '../../src/sandbox/index.js';
import { FIXTURE_REPO, ROOT, runClaw, tempDir, type ClawResult } from './claw.js';

// A git copy of fixtures/clawdinators with a local bare `origin` (two pushed commits),
// and one sandbox account per test, opened from the test between claw runs.

export const IDS = { c1: 'i-0a3f5c9e2b7d41c08', c2: 'i-0b6e8d1f4a2c73e59', bf: 'i-0c9a2b4d6e8f10a37', c3: 'i-03b5d7f9a1c2e4068' } as const;
export const FAST = ['--poll-budget', 'initial=5,max=20,timeout=20000,calls=2000'];

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();

export interface GitRepo {
  repo: string;
  remote: string;
  first: string;
  head: string;
}

export function gitRepo(): GitRepo {
  const tmp = tempDir('claw-deploy-git-');
  const repo = join(tmp, 'repo');
  const remote = join(tmp, 'remote.git');
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  git(tmp, 'init', '--quiet', '--bare', remote);
  git(repo, 'init', '--quiet', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'first');
  const first = git(repo, 'rev-parse', 'HEAD');
  mkdirSync(join(repo, 'docs'), { recursive: true });
  writeFileSync(join(repo, 'docs', 'note.md'), 'second\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'second');
  git(repo, 'remote', 'add', 'origin', remote);
  git(repo, 'push', '--quiet', 'origin', 'main');
  return { repo, remote, first, head: git(repo, 'rev-parse', 'HEAD') };
}

export async function sandboxFor(repo: GitRepo) {
  const home = join(tempDir('claw-deploy-home-'), '.claw');
  const open = () => openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
  const sbx = await open();
  const claw = (args: string[], env: Record<string, string> = {}): Promise<ClawResult> =>
    runClaw(['--sandbox', '--repo', repo.repo, ...args], { env: { CLAW_HOME: home, ...env }, timeoutMs: 60_000 });
  /** SSM commands sent to an instance so far (re-read from disk). */
  const sent = async (instanceId: string) => (await open()).admin.state().ssmCommands.filter((c) => c.invocations.some((i) => i.instanceId === instanceId));
  return { home, sbx, open, claw, sent };
}
