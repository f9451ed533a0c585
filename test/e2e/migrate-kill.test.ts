import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClaw, spawnClaw, tempDir } from '../helpers/claw.js';

// A `claw migrate run` killed while a step's command runs, from the built binary: the
// step runs in a process group of its own, recorded in the state; a re-run while that
// group is alive refuses (exit 3) naming it instead of starting a second copy; once it is
// gone the step runs again. SIGTERM and SIGHUP stop claw as Ctrl-C does (exit 130, the
// step's whole group stopped, the step recorded as interrupted).

const RUNBOOK = `name: long
description: one step that runs until told to stop
phases:
  - id: A
    title: the long step
    reversible: false
    steps:
      - id: a-long
        kind: run
        argv: [sh, -c, 'echo $$ > pid; echo started >> trace; sleep 0.05; while [ ! -e go ]; do sleep 0.05; done; echo finished >> trace']
`;

function bench() {
  const dir = tempDir('claw-migrate-kill-');
  const home = tempDir('claw-migrate-kill-home-');
  writeFileSync(join(dir, 'rb.yaml'), RUNBOOK);
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  return {
    dir,
    trace: () => read('trace').trim().split('\n').filter(Boolean),
    pid: () => Number(read('pid').trim()),
    state: () =>
      JSON.parse(readFileSync(join(home, '.claw', 'runbooks', 'long', 'state.json'), 'utf8')) as {
        steps: Record<string, { status: string; process?: { pid: number } }>;
      },
    start: () => spawnClaw(['migrate', 'run', 'rb.yaml', '--yes'], { cwd: dir, env: { HOME: home }, timeoutMs: 30_000 }),
    run: () => runClaw(['migrate', 'run', 'rb.yaml', '--yes'], { cwd: dir, env: { HOME: home }, timeoutMs: 30_000 }),
  };
}

/** Until `ok()` holds (a file the step writes), checking every 20 ms for at most 10 s. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('claw migrate run killed while a step runs', () => {
  it("kill -9: the re-run refuses (exit 3) while the step's process group lives, and runs it once it is gone", { timeout: 40_000 }, async () => {
    const b = bench();
    const first = b.start();
    await until(() => b.trace().includes('started') && b.state().steps['a-long']?.process !== undefined, 'the step to start and be recorded');
    expect(b.state().steps['a-long']).toMatchObject({ status: 'running', process: { pid: b.pid() } });
    first.child.kill('SIGKILL');
    await first.done;
    expect(alive(b.pid())).toBe(true); // orphaned, still running

    const again = await b.run();
    expect(again.exitCode, again.stderr).toBe(3);
    expect(again.stderr).toMatch(new RegExp(`^error: step A/a-long is still running from an earlier claw: process group ${b.pid()} on this machine`, 'm'));
    expect(again.stderr).toMatch(new RegExp(`^hint: wait for it to finish, or stop it \\(kill -TERM -- -${b.pid()}\\), then `, 'm'));
    expect(b.trace()).toEqual(['started']); // no second copy

    writeFileSync(join(b.dir, 'go'), '');
    await until(() => b.trace().includes('finished'), 'the orphan to finish');
    await until(() => !alive(b.pid()), 'the orphan to exit');
    const last = await b.run();
    expect(last.exitCode, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/step A\/a-long was interrupted mid-way last time; running it again/);
    expect(b.state().steps['a-long']).toMatchObject({ status: 'done' });
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: claw stops the step's process group as Ctrl-C does (exit 130, step interrupted)`, { timeout: 30_000 }, async () => {
      const b = bench();
      const run = b.start();
      await until(() => b.trace().includes('started'), 'the step to start');
      const pid = b.pid();
      run.child.kill(signal);
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(130);
      await until(() => !alive(pid), 'the step to be stopped');
      expect(b.state().steps['a-long']).toMatchObject({ status: 'interrupted' });
      expect(b.state().steps['a-long']!.process).toBeUndefined();
    });
  }
});
