import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen, type TmuxSession } from '../helpers/tmux.js';

// `claw --sandbox tui` in a real terminal: the built binary under tmux, keys sent one
// at a time as an operator types them, the screen read back.

const available = tmuxAvailable();
if (!available) {
  if (process.env.CI === 'true') throw new Error('tmux is required under CI=true (apt-get install tmux)');
  console.warn('SKIPPED claw tui terminal tests: tmux is not installed');
}
const nix = spawnSync('nix', ['--version']).status === 0;
if (available && !nix) {
  if (process.env.CI === 'true') throw new Error('nix is required under CI=true (apt-get install nix-bin)');
  console.warn('SKIPPED claw tui deploy test: nix is not installed (a deploy evaluates the host first)');
}

let session: TmuxSession | undefined;
afterEach(() => session?.kill());

function openDashboard(args = '', size = { cols: 140, rows: 40 }): TmuxSession & { resize(cols: number, rows: number): void } {
  const dir = tempDir();
  const name = `claw-tui-${randomBytes(3).toString('hex')}`;
  const cmd = `cd ${dir} && env CLAW_HOME=${dir}/.claw HOME=${dir} ${process.execPath} ${BIN} --sandbox tui ${args}; echo "EXIT=$?"; sleep 60`;
  session = startTmux(name, cmd, size);
  const s = session;
  const resize = (cols: number, rows: number) => s.tmux('resize-window', '-t', name, '-x', String(cols), '-y', String(rows));
  return { ...s, resize };
}

async function press(s: TmuxSession, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    s.keys(k);
    await new Promise((r) => setTimeout(r, 60));
  }
}

/** The first full frame (hosts and panels read); generous, for a loaded machine. */
async function firstFrame(s: TmuxSession): Promise<string> {
  const screen = await waitForScreen(s, (x) => x.includes('clawdinator-scratch') && x.includes('a prune would remove'), 40_000);
  expect(screen, 'the dashboard never showed the fleet').toContain('clawdinator-scratch');
  return screen;
}

const hostLine = (screen: string, host: string) => screen.split('\n').find((l) => l.slice(2).startsWith(`${host} `));

describe.skipIf(!available)('claw tui in a real terminal', () => {
  it('lists the hosts, filters, opens a host, goes back and quits with exit 0', async () => {
    const s = openDashboard();
    let screen = await firstFrame(s);
    for (const host of ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-scratch']) expect(hostLine(screen, host)).toBeDefined();
    expect(hostLine(screen, 'clawdinator-1')).toMatch(
      /^> clawdinator-1 +i-[0-9a-f]{17} +running +t3\.large +eu-central-1a +latest +[0-9a-f]{8} !=HEAD +online +ok$/,
    );
    expect(hostLine(screen, 'clawdinator-babelfish')).toMatch(/1 behind .*online +ami-behind$/);
    expect(hostLine(screen, 'clawdinator-scratch')).toMatch(/stopped .* connection-lost +unregistered$/);
    expect(screen).toContain('SANDBOX eu-central-1');
    expect(screen).toContain('lock free');

    await press(s, '/', 'b', 'a', 'b', 'Enter');
    screen = await waitForScreen(s, (x) => x.includes('filter /bab (1 shown)'));
    expect(screen).toContain('filter /bab (1 shown)');
    expect(hostLine(screen, 'clawdinator-babelfish')).toMatch(/^> /);
    expect(hostLine(screen, 'clawdinator-1')).toBeUndefined();

    await press(s, 'Enter');
    screen = await waitForScreen(s, (x) => x.includes('tags ('));
    expect(screen).toContain('clawdinator-babelfish  (in nix/instances.json)');
    expect(screen).toMatch(/^SSM +online$/m);
    expect(screen).toMatch(/^ {2}Name = clawdinator-babelfish$/m);

    await press(s, 'Escape');
    expect(await waitForScreen(s, (x) => x.includes('Fleet:'))).toContain('filter /bab (1 shown)');
    await press(s, 'Escape');
    screen = await waitForScreen(s, (x) => !x.includes('filter /') && x.includes('clawdinator-scratch'));
    expect(hostLine(screen, 'clawdinator-1')).toBeDefined();

    await press(s, 'q');
    screen = await waitForScreen(s, (x) => x.includes('EXIT='));
    expect(screen).toContain('EXIT=0');
    // The alternate screen is gone: the shell's screen is back as it was.
    expect(screen).not.toContain('Fleet:');
  }, 90_000);

  it('redraws to the new size when the terminal is resized, the footer on the last line', async () => {
    const s = openDashboard('', { cols: 140, rows: 40 });
    await firstFrame(s);
    s.resize(90, 20);
    // The whole new frame (header and footer), not one caught while Ink is still redrawing it.
    const fits = (x: string) => {
      const lines = x.replace(/\n+$/, '').split('\n');
      return lines.length <= 20 && /^j\/k move/.test(lines.at(-1) ?? '') && lines.filter((l) => l.startsWith('claw ')).length === 1;
    };
    const screen = await waitForScreen(s, fits, 5_000);
    expect(fits(screen), screen).toBe(true);
    const lines = screen.replace(/\n+$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines.at(-1)).toMatch(/^j\/k move/);
    expect(lines.filter((l) => l.startsWith('claw '))).toHaveLength(1);
    expect(screen).not.toContain('AMI retention'); // no room for the panels on 20 lines
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(90);
  }, 90_000);

  it.skipIf(!nix)(
    "d deploys the selected host at the default rev (HEAD of the sandbox's own repo): plan, confirm, live rollout, then the table shows it",
    async () => {
      const s = openDashboard();
      const head = /HEAD ([0-9a-f]{12})/.exec(await firstFrame(s))![1]!;
      await press(s, 'd');
      let screen = await waitForScreen(s, (x) => new RegExp(`Deploy clawdinator-1 to ${head}[0-9a-f]{28}\\?`).test(x));
      expect(screen).toMatch(new RegExp(`canary +clawdinator-1 +i-[0-9a-f]{17} +[0-9a-f]{12} -> ${head}`));
      await press(s, 'y');
      screen = await waitForScreen(s, (x) => x.includes(`${head}: succeeded`) || x.includes(`${head}: failed`), 60_000);
      expect(screen).toContain(`deploy clawdinator-1 -> ${head}: succeeded`);
      expect(screen).toMatch(/^deploy clawdinator-1: ok/m);
      expect(screen).toMatch(new RegExp(`deploy of ${head}[0-9a-f]{28} succeeded on clawdinator-1`));
      await press(s, 'Escape');
      screen = await waitForScreen(s, (x) => new RegExp(`clawdinator-1 +${head.slice(0, 8)} +success`).test(x));
      expect(screen).toMatch(new RegExp(`ago +clawdinator-1 +${head.slice(0, 8)} +success `));
      expect(hostLine(screen, 'clawdinator-1')).toMatch(new RegExp(` ${head.slice(0, 8)} `));
      await press(s, 'q');
      expect(await waitForScreen(s, (x) => x.includes('EXIT='))).toContain('EXIT=0');
    },
    90_000,
  );

  it('--stack lists the OpenClaw host with its backup age, and b backs it up now', async () => {
    const s = openDashboard('--stack lab');
    let screen = await waitForScreen(s, (x) => x.includes('openclaw-lab') && x.includes('a prune would remove'), 40_000);
    expect(screen).toContain('1 OpenClaw (stack lab)');
    expect(hostLine(screen, 'openclaw-lab')).toMatch(/running +t4g\.medium .* \d+[smh] ago +ok$/);
    await press(s, 'G', 'b');
    screen = await waitForScreen(s, (x) => x.includes('backup of openclaw-lab'), 30_000);
    expect(screen).toMatch(/backup of openclaw-lab done: new snapshot \d{4}-\d\d-\d\d-\d\d-\d\d in s3:\/\/openclaw-lab-backup-lab-123456789012\/snapshots\//);
    screen = await waitForScreen(s, (x) => / 0s ago +ok$/m.test(x) || / [1-9]s ago +ok$/m.test(x));
    expect(hostLine(screen, 'openclaw-lab')).toMatch(/ \d+s ago +ok$/);
  }, 90_000);

  it('--readonly refuses to deploy', async () => {
    const s = openDashboard('--readonly');
    await firstFrame(s);
    await press(s, 'd');
    const screen = await waitForScreen(s, (x) => x.includes('read-only (--readonly): deploy is disabled'));
    expect(screen).toContain('READ-ONLY');
    expect(screen).not.toContain('the repo has no HEAD');
  }, 90_000);
});
