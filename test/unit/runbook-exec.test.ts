import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import type { CommandStep } from '../../src/core/runbook-schema.js';
import { runLocalStep } from '../../src/nix/runbook-exec.js';
import { tempDir } from '../helpers/claw.js';

// The local step kinds with real processes (sh, through the one exec wrapper): argv
// only, cwd relative to the runbook, the step's env, exit codes, timeouts, and `wait`
// retrying on a fake clock.

const base = { id: 's', title: undefined, cwd: undefined, env: {} };
const runStep = (argv: string[], o: Partial<CommandStep> = {}): CommandStep => ({ ...base, kind: 'run', argv, timeoutMs: undefined, ...o }) as CommandStep;

async function exec(step: CommandStep, o: { baseDir?: string; signal?: AbortSignal; now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
  const lines: string[] = [];
  const result = await runLocalStep({
    step,
    baseDir: o.baseDir ?? tempDir('claw-exec-'),
    signal: o.signal ?? new AbortController().signal,
    output: (l) => void lines.push(l),
    ...(o.now ? { now: o.now } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
  });
  return { result, lines };
}

describe('runLocalStep', () => {
  it('runs argv without a shell: metacharacters are plain arguments; output lines are passed on', async () => {
    const { result, lines } = await exec(runStep(['echo', 'a;b', '$(id)', '*']));
    expect(result).toEqual({ ok: true, exitCode: 0 });
    expect(lines).toEqual(["$ echo 'a;b' '$(id)' '*'", 'a;b $(id) *']);
  });

  it('a non-zero exit is a result with the exit code, stderr lines included', async () => {
    const { result, lines } = await exec(runStep(['sh', '-c', 'echo out; echo err >&2; exit 7']));
    expect(result).toEqual({ ok: false, exitCode: 7, error: 'exit code 7' });
    expect(lines.slice(1).sort()).toEqual(['err', 'out']);
  });

  it('runs in cwd relative to the runbook folder, with the step env over the inherited one', async () => {
    const dir = tempDir('claw-exec-cwd-');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'marker'), '');
    const { result, lines } = await exec(runStep(['sh', '-c', 'ls; echo "$GREETING"'], { cwd: 'sub', env: { GREETING: 'hello' } }), { baseDir: dir });
    expect(result.ok).toBe(true);
    expect(lines.slice(1)).toEqual(['marker', 'hello']);
  });

  it('a missing program is exit 127 naming it; a missing cwd says so', async () => {
    expect((await exec(runStep(['claw-no-such-tool-xyz']))).result).toMatchObject({
      ok: false,
      exitCode: 127,
      error: expect.stringMatching(/claw-no-such-tool-xyz` not found on PATH/),
    });
    expect((await exec(runStep(['true'], { cwd: 'nope' }))).result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/directory .*nope does not exist/),
    });
  });

  it('a step over its timeout is stopped and fails as timed out', async () => {
    const { result } = await exec(runStep(['sleep', '5'], { timeoutMs: 300 }));
    expect(result).toMatchObject({ ok: false, error: 'timed out after 300 ms' });
  });

  it('Ctrl-C stops the step and throws InterruptedError (the step is then recorded interrupted)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(exec(runStep(['sleep', '5']), { signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
  });

  it('wait: repeats the check every interval until it succeeds', async () => {
    const dir = tempDir('claw-exec-wait-');
    let t = 0;
    const slept: number[] = [];
    // The file appears after the second sleep: the third attempt succeeds.
    const sleep = async (ms: number) => {
      slept.push(ms);
      t += ms;
      if (slept.length === 2) writeFileSync(join(dir, 'ready'), '');
    };
    const step = { ...base, kind: 'wait', argv: ['test', '-e', 'ready'], intervalMs: 10_000, timeoutMs: 60_000 } as CommandStep;
    const { result, lines } = await exec(step, { baseDir: dir, now: () => t, sleep });
    expect(result.ok).toBe(true);
    expect(slept).toEqual([10_000, 10_000]);
    expect(lines.filter((l) => l.startsWith('wait:'))).toEqual([
      'wait: attempt 1 failed (exit code 1)',
      'wait: attempt 2 failed (exit code 1)',
      'wait: succeeded on attempt 3',
    ]);
  });

  it('wait: gives up at its timeout with the last failure', async () => {
    let t = 0;
    const slept: number[] = [];
    const step = { ...base, kind: 'wait', argv: ['false'], intervalMs: 20_000, timeoutMs: 50_000 } as CommandStep;
    const { result } = await exec(step, { now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) });
    expect(slept).toEqual([20_000, 20_000, 10_000]);
    expect(result).toEqual({ ok: false, exitCode: 1, error: 'still failing after 50s (last: exit code 1)' });
  });
});
