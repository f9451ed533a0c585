import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClaw, tempDir } from '../helpers/claw.js';

// `claw sandbox faults` from the built binary: set, show, clear; the warning every
// sandbox command prints while faults are on; `sandbox reset` clears them; bad input.

const fresh = () => {
  const home = join(tempDir('claw-faults-home-'), '.claw');
  const claw = (...args: string[]) => runClaw(args, { env: { CLAW_HOME: home } });
  return { home, claw, file: join(home, 'sandbox', 'faults.json') };
};
const WARNING = /^warning: sandbox injects faults into 20 % of AWS requests \(no retries; seed 7, run (\d+); claw sandbox faults --off\)$/m;

describe('claw sandbox faults', { timeout: 60_000 }, () => {
  it('off by default; set, shown, counted per run, cleared', async () => {
    const s = fresh();
    const off = await s.claw('sandbox', 'faults', '--json');
    expect(off.exitCode, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toEqual({ enabled: false, rate: null, attempts: null, seed: null, nextRun: null, file: s.file });

    const on = await s.claw('sandbox', 'faults', '--rate', '20%', '--attempts', '1', '--seed', '7');
    expect(on.exitCode, on.stderr).toBe(0);
    expect(on.stdout).toBe(`sandbox faults: on\n  20 % of AWS requests fail (500, 503, throttling), no retries\n  seed 7, next run 0\n  file ${s.file}\n`);

    // Each sandbox command says so once on stderr, with its run; stdout stays clean.
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await s.claw('--sandbox', 'lock', 'status', '--json');
      expect(r.stderr.match(new RegExp(WARNING.source, 'gm'))).toHaveLength(1);
      runs.push(WARNING.exec(r.stderr)![1]!);
      if (r.exitCode === 0) expect(JSON.parse(r.stdout)).toHaveProperty('state');
      else expect(r.stderr).toMatch(/^error: (s3 GetObject failed: \w+ \(HTTP 50[03]\)|AWS throttled s3 GetObject \(\w+; 1 try, no retries\))/m);
    }
    expect(runs).toEqual(['0', '1']);
    expect(JSON.parse((await s.claw('sandbox', 'faults', '--json')).stdout)).toMatchObject({ enabled: true, rate: 0.2, attempts: 1, seed: 7, nextRun: 2 });

    // Changing the rate keeps the seed and the count; a seed restarts the count (replay).
    expect(JSON.parse((await s.claw('sandbox', 'faults', '--rate', '0.5', '--json')).stdout)).toMatchObject({ rate: 0.5, seed: 7, nextRun: 2 });
    expect(JSON.parse((await s.claw('sandbox', 'faults', '--seed', '7', '--json')).stdout)).toMatchObject({ rate: 0.5, seed: 7, nextRun: 0 });

    const cleared = await s.claw('sandbox', 'faults', '--off');
    expect(cleared.stdout).toBe(`sandbox faults: off (cleared)\n  file ${s.file}\n`);
    expect(existsSync(s.file)).toBe(false);
    const quiet = await s.claw('--sandbox', 'lock', 'status');
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stderr).not.toMatch(/warning/);
  });

  it('a throttled call says how many tries there were: with --attempts 1 never "after retries"', async () => {
    const s = fresh();
    expect((await s.claw('sandbox', 'faults', '--rate', '1', '--attempts', '1', '--seed', '1')).exitCode).toBe(0);
    const one = await s.claw('--sandbox', 'status');
    expect(one.exitCode).toBe(1);
    expect(one.stderr).toMatch(
      /^error: AWS throttled ec2 DescribeInstances \(RequestLimitExceeded; 1 try, no retries\)\nhint: try again in a minute, or allow retries/m,
    );
    expect(one.stderr).not.toContain('after retries');
    // Faults that strike every try of three: the error counts them.
    expect((await s.claw('sandbox', 'faults', '--rate', '1', '--attempts', '3', '--seed', '2')).exitCode).toBe(0);
    const three = await s.claw('--sandbox', 'status');
    expect(three.exitCode).toBe(1);
    expect(three.stderr).toMatch(/^error: (AWS kept throttling ec2 \w+ \(RequestLimitExceeded; 3 tries\)|ec2 \w+ failed: \w+ \(HTTP 50[03]\))/m);
    expect(three.stderr).not.toContain('after retries');
  });

  it('without --seed a random one is chosen and shown; reset clears fault injection', async () => {
    const s = fresh();
    const on = JSON.parse((await s.claw('sandbox', 'faults', '--json', '--rate', '0.2')).stdout) as { seed: number; attempts: number };
    expect(Number.isInteger(on.seed)).toBe(true);
    expect(on.attempts).toBe(5);
    const reset = await s.claw('sandbox', 'reset', '--yes');
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/; fault injection off\n$/);
    expect(existsSync(s.file)).toBe(false);
  });

  it('a broken faults.json: sandbox commands stop with the fix, --off still clears it', async () => {
    const s = fresh();
    await s.claw('sandbox', 'faults', '--rate', '0.2');
    await writeFile(s.file, '{"version":1,"rate":"lots"}\n');
    const r = await s.claw('--sandbox', 'status');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: .*faults\.json: invalid sandbox fault settings: rate: /m);
    expect(r.stderr).toMatch(/^hint: run `claw sandbox faults --off`/m);
    expect((await s.claw('sandbox', 'faults', '--off')).exitCode).toBe(0);
    expect(existsSync(s.file)).toBe(false);
  });

  it.each([
    [['--rate', '0'], /--rate "0": expected a fraction above 0 and at most 1/],
    [['--rate', '1.5'], /--rate "1.5": expected a fraction above 0 and at most 1/],
    [['--rate', 'x'], /--rate "x"/],
    [['--attempts', '0'], /--attempts 0: expected a whole number from 1 to 20/],
    [['--attempts', '21'], /--attempts 21: expected a whole number from 1 to 20 \(21 is more\)/],
    [['--seed', '-1'], /--seed -1: expected a whole number from 0 to 4294967295/],
    [['--off', '--seed', '3'], /--off cannot be combined with --seed/],
  ])('%j exits 2 naming the problem, nothing written', async (args, message) => {
    const s = fresh();
    const r = await s.claw('sandbox', 'faults', ...args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(s.file)).toBe(false);
  });
});
