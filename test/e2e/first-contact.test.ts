import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runClaw, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen, type TmuxSession } from '../helpers/tmux.js';

// The mission's four usages exactly as typed, each on a fresh sandbox in a real terminal
// where it asks (tmux): `claw --sandbox deploy clawdinator-babelfish` (the default rev is
// HEAD of the sandbox's own repo, a git checkout on a simulated remote), `claw --sandbox
// ami prune --keep 3`, `claw --sandbox spot prices` and `claw --sandbox tui` (deploying
// from it with `d` and the default rev). The fleet still shows drift and an SSM problem.

const tty = tmuxAvailable();
const nix = spawnSync('nix', ['--version']).status === 0;
if (process.env.CI === 'true' && (!tty || !nix)) throw new Error('tmux and nix are required under CI=true');

let session: TmuxSession | undefined;
afterEach(() => session?.kill());

/** `claw <args>` typed in a fresh sandbox's terminal; the screen, and EXIT=<code> when it ends. */
function typed(args: string): { s: TmuxSession; home: string } {
  const home = tempDir('claw-first-');
  const cmd = `cd ${home} && env CLAW_HOME=${home}/.claw HOME=${home} ${process.execPath} ${BIN} ${args}; echo "EXIT=$?"; sleep 60`;
  session = startTmux(`claw-first-${randomBytes(3).toString('hex')}`, cmd, { cols: 140, rows: 50 });
  return { s: session, home };
}

describe.skipIf(!tty || !nix)('the four usages, as typed, on a fresh sandbox', () => {
  it('claw --sandbox deploy clawdinator-babelfish: the plan at HEAD, asked, answered y, deployed', async () => {
    const { s } = typed('--sandbox deploy clawdinator-babelfish');
    let screen = await waitForScreen(s, (x) => x.includes('[y/N]') || x.includes('EXIT='), 30_000);
    expect(screen).toMatch(/^rev: {4}[0-9a-f]{40} \(HEAD, on origin refs\/heads\/main\)$/m);
    expect(screen).toMatch(/clawdinator-babelfish +i-0c9a2b4d6e8f10a37 +[0-9a-f]{12} -> [0-9a-f]{12}/);
    s.keys('y', 'Enter');
    screen = await waitForScreen(s, (x) => x.includes('EXIT='), 60_000);
    expect(screen).toContain('EXIT=0');
    expect(screen).toMatch(/deploy of [0-9a-f]{40} succeeded on clawdinator-babelfish: 1 succeeded/);
  }, 90_000);

  it('claw --sandbox ami prune --keep 3, claw --sandbox spot prices, claw --sandbox status: as typed, exit 0', async () => {
    const home = tempDir('claw-first-');
    const env = { HOME: home, CLAW_HOME: `${home}/.claw` };
    const prune = await runClaw(['--sandbox', 'ami', 'prune', '--keep', '3'], { env, cwd: home });
    expect(prune.exitCode, prune.stderr).toBe(0);
    expect(prune.stdout).toMatch(/^plan: prune \d+ of \d+ images/m);
    expect(prune.stderr).toContain('dry run: nothing changed; run again with --apply to prune');
    const spot = await runClaw(['--sandbox', 'spot', 'prices'], { env, cwd: home });
    expect(spot.exitCode, spot.stderr).toBe(0);
    expect(spot.stdout).toMatch(/^eu-central-1[abc] +t4g\.small +2 +2048 /m);
    // The fleet's own types are known to the sandbox's spot data too.
    const own = await runClaw(['--sandbox', 'spot', 'prices', '--instance-types', 't3.small', 't3.large'], { env, cwd: home });
    expect(own.exitCode, own.stderr).toBe(0);
    expect(own.stdout).toMatch(/^eu-central-1b +t3\.small +2 +2048 +0\.\d{6} /m);
    expect(own.stdout).toMatch(/^eu-central-1b +t3\.large +2 +8192 +0\.\d{6} /m);
    // Drift and an SSM problem are still there to see.
    const status = await runClaw(['--sandbox', 'status'], { env, cwd: home });
    expect(status.stdout).toMatch(/^clawdinator-babelfish .* ami-behind$/m);
    expect(status.stdout).toMatch(/^ {2}clawdinator-scratch .* connection-lost$/m);
  });

  it('claw --sandbox tui: d deploys the selected host at the default rev; q quits with exit 0', async () => {
    const { s } = typed('--sandbox tui');
    const first = await waitForScreen(s, (x) => x.includes('clawdinator-scratch') && /HEAD [0-9a-f]{12}/.test(x), 40_000);
    const head = /HEAD ([0-9a-f]{12})/.exec(first)![1]!;
    s.keys('d');
    await waitForScreen(s, (x) => x.includes(`Deploy clawdinator-1 to ${head}`));
    s.keys('y');
    const done = await waitForScreen(s, (x) => x.includes(`${head}: succeeded`) || x.includes(`${head}: failed`), 60_000);
    expect(done).toContain(`deploy clawdinator-1 -> ${head}: succeeded`);
    s.keys('Escape');
    await waitForScreen(s, (x) => new RegExp(`clawdinator-1 +${head.slice(0, 8)} +success`).test(x));
    s.keys('q');
    expect(await waitForScreen(s, (x) => x.includes('EXIT='))).toContain('EXIT=0');
  }, 120_000);
});

/** This machine's PATH as one folder of links, without nix: a fresh machine before `apt-get install nix-bin`. */
function pathWithoutNix(home: string): string {
  const dir = join(home, 'path-without-nix');
  mkdirSync(dir);
  for (const from of (process.env.PATH ?? '').split(delimiter).filter((d) => d && existsSync(d))) {
    for (const name of readdirSync(from)) {
      if (name.startsWith('nix')) continue;
      try {
        symlinkSync(join(from, name), join(dir, name));
      } catch {
        // The first folder on PATH holding a name wins, as for the shell.
      }
    }
  }
  return dir;
}

describe('without nix on the machine', () => {
  it('claw --sandbox deploy clawdinator-babelfish --yes: the eval is simulated (and says so), the deploy succeeds', async () => {
    const home = tempDir('claw-first-nonix-');
    const env = { HOME: home, CLAW_HOME: `${home}/.claw`, PATH: pathWithoutNix(home) };
    expect(spawnSync('nix', ['--version'], { env }).error).toBeDefined();
    const r = await runClaw(['--sandbox', 'deploy', 'clawdinator-babelfish', '--yes'], { env, cwd: home, timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: sandbox: nix is not installed here, so the eval is simulated');
    expect(r.stdout).toMatch(/deploy of [0-9a-f]{40} succeeded on clawdinator-babelfish: 1 succeeded/);
  });
});

describe('what a new user tripped on', () => {
  it('ami prune --resume with nothing to resume says so and exits 0, asking nothing (no terminal, no --yes)', async () => {
    const home = tempDir('claw-first-resume-');
    const r = await runClaw(['--sandbox', 'ami', 'prune', '--resume'], { env: { HOME: home, CLAW_HOME: `${home}/.claw` }, cwd: home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('nothing to resume: no interrupted prune\n');
    expect(r.stderr).not.toMatch(/\?|refus|--yes/);
  });
});
