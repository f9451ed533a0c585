import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import { ExecError, run, ToolMissingError } from '../../src/nix/exec.js';

const node = process.execPath;
const tmp = mkdtempSync(join(tmpdir(), 'claw-exec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Alive and not a zombie: in a container nobody may reap the orphaned grandchild. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor<T>(probe: () => T | undefined, ms: number): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('run', () => {
  it('captures stdout and stderr without the final newline', async () => {
    const r = await run(node, ['-e', 'console.log("out"); console.error("err")']);
    expect(r).toMatchObject({ stdout: 'out', stderr: 'err' });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes shell metacharacters literally', async () => {
    const marker = join(tmp, 'pwned');
    const args = [`$(touch ${marker})`, `; touch ${marker}`, '`id`', '\'q\' "d" *'];
    const r = await run(node, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args]);
    expect(JSON.parse(r.stdout)).toEqual(args);
    expect(existsSync(marker)).toBe(false);
  });

  it('feeds input to stdin, and env over (or instead of) the inherited one', async () => {
    const echo = ['-e', 'process.stdin.pipe(process.stdout)'];
    expect((await run(node, echo, { input: 'piped' })).stdout).toBe('piped');
    const show = ['-e', 'console.log(process.env.CLAW_T ?? "-", process.env.PATH === undefined)'];
    expect((await run(node, show, { env: { CLAW_T: 'x' } })).stdout).toBe('x false');
    expect((await run(node, show, { env: { CLAW_T: 'y' }, extendEnv: false })).stdout).toBe('y true');
  });

  it('turns a non-zero exit into ExecError with the stderr tail', async () => {
    const script = 'for (let i = 0; i < 30; i++) console.error("line " + i); console.error("error: it broke"); process.exit(3)';
    const err = await run(node, ['-e', script]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    const e = err as ExecError;
    expect(e.childExitCode).toBe(3);
    expect(e.exitCode).toBe(1);
    expect(e.stderrTail.split('\n')).toHaveLength(20);
    expect(e.stderrTail).toMatch(/line 29\nerror: it broke$/);
    expect(e.stderrTail).not.toContain('line 10\n');
    expect(e.message).toBe(`\`${node}\` failed with exit code 3: error: it broke`);
    expect(e.message).not.toContain('\n');
    expect(e.command).toContain('-e');
  });

  it('reports a missing binary as ToolMissingError with an install hint', async () => {
    const err = await run('claw-no-such-tool', ['x'], { pkg: 'claw-tools' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as ToolMissingError).tool).toBe('claw-no-such-tool');
    expect((err as ToolMissingError).message).toBe('`claw-no-such-tool` not found on PATH');
    expect((err as ToolMissingError).hint).toContain('apt-get install claw-tools');
  });

  it('does not blame the tool for a missing working directory', async () => {
    const err = await run(node, ['-e', ''], { cwd: join(tmp, 'nope') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toContain('does not exist');
  });

  it('reports a binary that cannot start (EACCES) as ExecError', async () => {
    const file = join(tmp, 'not-executable');
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    await expect(run(file, [])).rejects.toThrow(/could not start \(EACCES\)/);
  });

  it('times out', async () => {
    const err = await run(node, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toContain('timed out after 200 ms');
  });

  it('abort kills the process tree promptly, grandchild included', async () => {
    const pidFile = join(tmp, 'grandchild.pid');
    // The grandchild inherits stdout: if it survived, run() would never settle.
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
      setInterval(() => {}, 1000);`;
    const ac = new AbortController();
    const pending = run(node, ['-e', script], { signal: ac.signal }).catch((e: unknown) => e);
    const pid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined), 5000);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid!)).toBe(true);
    const t0 = Date.now();
    ac.abort();
    expect(await pending).toBeInstanceOf(InterruptedError);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await waitFor(() => (alive(pid!) ? undefined : true), 1000)).toBe(true);
  });

  it('refuses to start when already aborted', async () => {
    const log: string[] = [];
    const ac = new AbortController();
    ac.abort();
    await expect(run(node, ['-e', ''], { signal: ac.signal, log: (l) => log.push(l) })).rejects.toBeInstanceOf(InterruptedError);
    expect(log).toEqual([]);
  });

  it('logs one line per call, success or failure', async () => {
    const log: string[] = [];
    await run(node, ['-e', '', 'a b'], { log: (l) => log.push(l) });
    await run(node, ['-e', 'process.exit(2)'], { log: (l) => log.push(l) }).catch(() => undefined);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^exec \S+ -e "" "a b" \(exit 0, \d+ ms\)$/);
    expect(log[1]).toMatch(/\(exit 2, \d+ ms\)$/);
  });
});
