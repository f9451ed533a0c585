// Real nix against a temp copy of fixtures/clawdinators. A chroot store (`--store <dir>`)
// and a temp HOME: works as root or not, without a daemon, and leaves no trace.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { headRev } from '../../src/nix/git.js';
import { evalDrvPath, evalDrvPaths, evalHostJson, flakeRef, NixEvalError, nixAvailable, type NixOptions } from '../../src/nix/nix.js';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/clawdinators');
const HOSTS = ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish'];
const hasNix = await nixAvailable();

if (!hasNix) {
  const why = '`nix` is not on PATH (Debian: apt-get install nix-bin)';
  if (process.env.CI === 'true') {
    it('nix is installed (required under CI=true)', () => expect.fail(why));
  } else {
    console.warn(`\n*** SKIPPING nix-eval tests: ${why} ***\n`);
  }
}

describe.skipIf(!hasNix)('nix eval of the fixture flake', () => {
  let tmp: string;
  let repo: string;
  let opts: NixOptions;
  const log: string[] = [];
  const listing = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'claw-nix-'));
    repo = join(tmp, 'repo');
    cpSync(FIXTURE, repo, { recursive: true });
    const home = join(tmp, 'home');
    opts = { store: join(tmp, 'store'), env: { HOME: home, XDG_CACHE_HOME: join(home, '.cache') }, log: (l) => log.push(l) };
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('uses a path: ref for a plain directory', () => {
    expect(flakeRef(repo)).toBe(`path:${repo}`);
    expect(() => flakeRef(join(tmp, 'a b'))).toThrow(UsageError);
  });

  it.each(HOSTS)('evaluates %s to a .drv path', async (host) => {
    const before = listing(repo);
    const drv = await evalDrvPath(repo, host, opts);
    expect(drv).toMatch(new RegExp(`^/nix/store/[0-9a-z]{32}-nixos-system-${host}-[^/]*\\.drv$`));
    expect(listing(repo)).toEqual(before); // no lock file, no result link
    console.info(`nix eval ${host}: ${log.at(-1)}`);
  });

  it('reports every host, failures with nix own message, in one pass', async () => {
    appendFileSync(join(repo, 'nix/hosts/clawdinator-2.nix'), '\nbroken {\n');
    try {
      const out = await evalDrvPaths(repo, [...HOSTS, 'clawdinator-9'], opts);
      expect(out.map((o) => ('drvPath' in o ? 'ok' : 'error'))).toEqual(['ok', 'error', 'ok', 'error']);
      const [, broken, , unknown] = out;
      expect(broken && 'error' in broken && broken.error.nixMessage).toMatch(/^error: syntax error/);
      expect(unknown && 'error' in unknown && unknown.error).toBeInstanceOf(NixEvalError);
      const e = (unknown as { error: NixEvalError }).error;
      expect(e.host).toBe('clawdinator-9');
      expect(e.nixMessage).toMatch(/does not provide attribute .*nixosConfigurations\.clawdinator-9\./);
      expect(e.nixMessage).not.toContain('--show-trace');
      expect(e.message).toMatch(/^nix could not evaluate clawdinator-9: error: /);
    } finally {
      cpSync(join(FIXTURE, 'nix/hosts/clawdinator-2.nix'), join(repo, 'nix/hosts/clawdinator-2.nix'));
    }
  });

  it('refuses a bad host name before running nix', async () => {
    const calls = log.length;
    for (const bad of ['Clawdinator-1', 'x;rm -rf /', '-h', 'a.b', '']) {
      await expect(evalDrvPath(repo, bad, opts)).rejects.toBeInstanceOf(UsageError);
    }
    await expect(evalHostJson(repo, 'clawdinator-1', ['config', 'a"b'], opts)).rejects.toBeInstanceOf(UsageError);
    expect(log.length).toBe(calls);
  });

  it('in a git checkout, uses git+file: and exposes the commit as configurationRevision', async () => {
    const g = join(tmp, 'git-repo');
    cpSync(FIXTURE, g, { recursive: true });
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], { cwd: g, env });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'fixture');
    const rev = await headRev(g);
    expect(flakeRef(g)).toBe(`git+file://${g}`);
    expect(await evalHostJson(g, 'clawdinator-1', ['config', 'system', 'configurationRevision'], opts)).toBe(rev);
    expect(await evalHostJson(repo, 'clawdinator-1', ['config', 'system', 'configurationRevision'], opts)).toBe('dirty');
    expect(await evalDrvPath(g, 'clawdinator-babelfish', opts)).toMatch(/-nixos-system-clawdinator-babelfish-.*\.drv$/);
  });
});
