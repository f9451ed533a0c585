// 5. The dashboard (`claw --sandbox tui`): time to the first full frame in a real
// pseudo-terminal, render time of the dashboard with 500 hosts, and the CPU it uses
// while idle between refreshes. Needs no moto: the sandbox is the world here.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { measure } from '../lib/measure.mjs';
import { round, summarize } from '../lib/stats.mjs';

const COLS = 140;
const ROWS = 40;
const IDLE_MS = 30_000;
const HOSTS = 500;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;

const hasScript = () => spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * `claw --sandbox tui` in a pseudo-terminal (util-linux `script`), COLS x ROWS. Resolves
 * once the first full frame is on screen (the hosts and the lower panels): the time from
 * spawn, and the claw process (script execs the shell, which execs node).
 */
function openDashboard(ctx, args = []) {
  const claw = [process.execPath, join(ctx.root, 'bin', 'claw'), '--sandbox', 'tui', ...args].map((a) => `'${a}'`).join(' ');
  // In colour, as an operator sees it (the bench's environment says NO_COLOR for the peers' output).
  const { NO_COLOR: _plain, ...env } = ctx.env;
  const start = performance.now();
  const child = spawn('script', ['-qfec', `stty cols ${COLS} rows ${ROWS}; exec ${claw}`, '/dev/null'], {
    env: { ...env, TERM: 'xterm-256color' },
    cwd: ctx.home,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let firstFrameMs;
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no full frame within 30 s; last output: ${JSON.stringify(screen.replace(ANSI, '').slice(-300))}`)),
      30_000,
    );
    child.stdout.on('data', (d) => {
      screen += d.toString('utf8');
      if (firstFrameMs === undefined && /clawdinator-scratch/.test(screen) && /a prune would remove/.test(screen.replace(ANSI, ''))) {
        firstFrameMs = performance.now() - start;
        clearTimeout(timer);
        resolve(firstFrameMs);
      }
    });
    child.on('close', () => reject(new Error(`claw tui exited before its first frame: ${screen.replace(ANSI, '').slice(-300)}`)));
  });
  const clawPid = () => {
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    if (kids.length !== 1) throw new Error(`expected one child of script, found ${kids.length}`);
    return Number(kids[0]);
  };
  const quit = async () => {
    child.stdin.write('q');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
    if (code === 'timeout') child.kill('SIGKILL');
    return code;
  };
  return { ready, clawPid, quit, kill: () => child.kill('SIGKILL') };
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat, clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function firstFrameRows(ctx) {
  const run = async () => {
    const d = openDashboard(ctx);
    try {
      const ms = await d.ready;
      const code = await d.quit();
      return code === 0 ? { ms, ok: true } : { ms, ok: false, error: `q did not exit 0 (${code})` };
    } catch (err) {
      d.kill();
      return { ok: false, error: err.message };
    }
  };
  return measure([{ id: 'first-frame', label: 'time to first full frame (sandbox, 140x40)', peer: 'claw', run }], ctx.runs, ctx.progress('dashboard'));
}

/** CPU of the claw process over IDLE_MS with no key pressed, as % of one core. */
async function idleCpu(ctx, label, args) {
  const d = openDashboard(ctx, args);
  try {
    await d.ready;
    await sleep(5_000); // start-up's JIT and garbage settle first
    const pid = d.clawPid();
    const before = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(IDLE_MS);
    const used = cpuSeconds(pid) - before;
    const wall = (performance.now() - t0) / 1000;
    await d.quit();
    return {
      id: `idle-${args.length ? 'no-refresh' : 'refreshing'}`,
      label,
      peer: 'claw',
      ok: true,
      cpuSeconds: round(used, 2),
      cpuPercent: round((100 * used) / wall, 2),
      wallSeconds: round(wall, 1),
    };
  } catch (err) {
    d.kill();
    return { id: `idle-${args.length ? 'no-refresh' : 'refreshing'}`, label, peer: 'claw', ok: false, error: err.message };
  }
}

/** The dashboard's own modules, bundled from src/ with esbuild (a dev dependency, via tsup). */
async function loadDashboard(root) {
  const esbuild = await import('esbuild');
  const entry = [
    "export { DashboardScreen } from './src/ui/dashboard/screen.tsx';",
    "export { update } from './src/core/dashboard-keys.ts';",
    "export { initialState } from './src/core/dashboard-state.ts';",
    "export { buildStatus } from './src/core/fleet.ts';",
    "export { parseRegistry } from './src/core/registry.ts';",
    "export { planRetention } from './src/core/retention.ts';",
  ].join('\n');
  const out = await esbuild.build({
    stdin: { contents: entry, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    jsx: 'automatic',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  // Next to node_modules, so that ink and react resolve as they do for claw itself.
  const dir = join(root, 'node_modules', '.cache', 'claw-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `dashboard-${process.pid}.mjs`);
  writeFileSync(file, out.outputFiles[0].text);
  try {
    return await import(file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** A refresh result for a fleet of `n` registered hosts: mixed states, AMIs, revs, pings. */
function bigFleet(m, n, now) {
  const day = 86_400_000;
  const images = Array.from({ length: 9 }, (_, i) => ({
    imageId: `ami-${(0x100000000000000000n + BigInt(i)).toString(16).slice(1)}`,
    name: `clawdinator-nixos-${i}`,
    creationDate: new Date(now - i * 7 * day).toISOString(),
  }));
  const hosts = Array.from({ length: n }, (_, i) => `host-${String(i).padStart(3, '0')}`);
  const registry = m.parseRegistry(
    JSON.stringify(
      Object.fromEntries(hosts.map((h) => [h, { host: h, instanceType: 't3.large', bootstrapPrefix: `bootstrap/${h}`, discordTokenSecret: `token-${h}` }])),
    ),
    'nix/instances.json',
  );
  const instances = hosts.map((h, i) => ({
    instanceId: `i-${(0x100000000000000000n + BigInt(i)).toString(16).slice(1)}`,
    name: h,
    state: i % 17 === 0 ? 'stopped' : 'running',
    instanceType: i % 13 === 0 ? 't3.medium' : 't3.large',
    availabilityZone: `eu-central-1${'abc'[i % 3]}`,
    imageId: images[i % 4].imageId,
    launchTime: new Date(now - (i % 30) * day).toISOString(),
    rev: (i % 5 === 0 ? 'a' : 'b').repeat(40),
    tags: { app: 'clawdinator', Name: h },
  }));
  const pings = new Map(instances.map((x, i) => [x.instanceId, i % 11 === 0 ? 'connection-lost' : 'online']));
  const report = m.buildStatus(registry, { instances, images, ssm: pings });
  const retention = m.planRetention({
    images: images.map((x) => ({ ...x, snapshots: [{ snapshotId: `snap-${x.imageId.slice(4)}`, sizeGiB: 8 }], preserved: false })),
    inUse: new Map(),
    keep: 6,
    minAgeMs: undefined,
    latestImageId: images[0].imageId,
    now: new Date(now),
  });
  const ok = (value) => ({ ok: true, value });
  return {
    fleet: ok({
      report,
      pings: Object.fromEntries(pings),
      imageOrder: images.map((x) => x.imageId),
      instances: Object.fromEntries(instances.map((x) => [x.instanceId, { tags: x.tags, launchTime: x.launchTime }])),
      warnings: [],
    }),
    retention: ok(retention),
    lock: ok({ kind: 'free' }),
    history: ok([]),
    head: ok({ rev: 'a'.repeat(40), note: 'HEAD' }),
    account: ok('123456789012'),
  };
}

/** Ink's render of the whole dashboard (500 hosts) into a terminal-sized stream, timed per frame. */
export async function renderRows(ctx) {
  let m;
  try {
    m = await loadDashboard(ctx.root);
  } catch (err) {
    return [{ id: 'render-500', label: `render with ${HOSTS} hosts`, peer: 'claw', ok: false, error: `could not bundle the dashboard: ${err.message}` }];
  }
  const { render } = await import('ink');
  const { createElement } = await import('react');
  const now = Date.now();
  const result = bigFleet(m, HOSTS, now);
  let state = m.update(m.initialState({ intervalMs: 10_000, readonly: false, now }), { type: 'refreshed', at: now, result }).state;
  state = m.update(state, { type: 'viewport', pageSize: ROWS - 6 }).state;
  const stdout = Object.assign(new (await import('node:events')).EventEmitter(), { columns: COLS, rows: ROWS, isTTY: true, write: () => true });
  const stdin = Object.assign(new (await import('node:events')).EventEmitter(), {
    isTTY: false,
    setEncoding() {},
    resume() {},
    pause() {},
    ref() {},
    unref() {},
    read: () => null,
  });
  const where = { target: 'SANDBOX eu-central-1', sandbox: true, repo: 'bench' };
  const view = (s) => createElement(m.DashboardScreen, { state: s, where, width: COLS, height: ROWS });
  const times = { first: [], move: [], refresh: [], tick: [] };
  for (let round = 0; round < Math.max(5, ctx.runs); round++) {
    let t = performance.now();
    const instance = render(view(state), { stdout, stdin, stderr: stdout, debug: true, patchConsole: false, exitOnCtrlC: false, interactive: true });
    times.first.push(performance.now() - t);
    let s = state;
    for (let i = 0; i < 20; i++) {
      s = m.update(s, { type: 'key', key: { input: 'j' } }).state;
      t = performance.now();
      instance.rerender(view(s));
      times.move.push(performance.now() - t);
      // A refresh: new objects for every row, as a real refresh brings.
      s = m.update(s, { type: 'refreshed', at: now + i, result: bigFleet(m, HOSTS, now) }).state;
      t = performance.now();
      instance.rerender(view(s));
      times.refresh.push(performance.now() - t);
      // A clock tick (age labels): all an idle dashboard draws between refreshes.
      s = m.update(s, { type: 'tick', now: now + (i + 1) * 1000 }).state;
      t = performance.now();
      instance.rerender(view(s));
      times.tick.push(performance.now() - t);
    }
    instance.unmount();
  }
  const row = (id, label, samples) => ({ id, label, peer: 'claw', ok: true, ...summarize(samples) });
  return [
    row('render-500-first', `render with ${HOSTS} hosts: first frame`, times.first),
    row('render-500-move', `render with ${HOSTS} hosts: selection moves (j)`, times.move),
    row('render-500-refresh', `render with ${HOSTS} hosts: after a refresh`, times.refresh),
    row('render-500-tick', `render with ${HOSTS} hosts: a clock tick (age labels)`, times.tick),
  ];
}

const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);

function lines(rows) {
  return rows.map((r) => {
    if (!r.ok) return `   ${r.label.padEnd(58)}FAILED: ${r.error}`;
    if (r.cpuPercent !== undefined)
      return `   ${r.label.padEnd(58)}${`${r.cpuPercent}% of one core`.padStart(18)}  (${r.cpuSeconds} s CPU in ${r.wallSeconds} s)`;
    return `   ${r.label.padEnd(58)}${`median ${ms(r.medianMs)}`.padStart(18)}  p90 ${ms(r.p90Ms)} (${r.runs} samples)`;
  });
}

export async function tuiSuite(ctx) {
  const log = ctx.progress('dashboard');
  if (!hasScript()) {
    log('WARNING: util-linux `script` is missing: the terminal measures of the dashboard are skipped (apt-get install bsdutils)');
  }
  // A warm sandbox (seeded once) for every run, as an operator has after the first.
  spawnSync(process.execPath, [join(ctx.root, 'bin', 'claw'), '--sandbox', 'status'], { env: ctx.env, cwd: ctx.home });
  const rows = [];
  if (hasScript()) {
    rows.push(...(await firstFrameRows(ctx)));
    log(`idle CPU, ${IDLE_MS / 1000} s with no refresh in the window (--interval 3600)`);
    rows.push(await idleCpu(ctx, `idle CPU over ${IDLE_MS / 1000} s, between refreshes (--interval 3600)`, ['--interval', '3600']));
    log(`idle CPU, ${IDLE_MS / 1000} s at the default 10 s interval`);
    rows.push(await idleCpu(ctx, `idle CPU over ${IDLE_MS / 1000} s, refreshing every 10 s (default)`, []));
  }
  log(`render time with ${HOSTS} hosts`);
  rows.push(...(await renderRows(ctx)));
  const out = lines(rows);
  for (const l of out) log(l.trim());
  return { id: 'tui', title: 'dashboard: claw --sandbox tui', rows, lines: out };
}
