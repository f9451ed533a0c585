import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { IDS } from '../helpers/deploy-fixture.js';
import { ROOT, runClaw, spawnClaw, tempDir, type ClawResult } from '../helpers/claw.js';

// The sandbox account is one file shared by every claw process: each call reads, changes
// and writes it under a cross-process lock. So of four `claw --sandbox deploy` started at
// once exactly one takes the deploy lock and rolls out, the other three are refused
// (exit 3) naming it, and history holds exactly the one deploy's records. The winner's
// switch is held running until the three have been refused: on a loaded machine a late
// starter must still meet the lock, not a finished deploy.

// The winner polls its held switch for up to 70 s: however slowly the other three start
// on a loaded machine, they meet its lock (it never gives up waiting first).
const HOLD = ['--poll-budget', 'initial=50,max=250,timeout=70000,calls=100000'];

describe('four sandbox deploys at once', () => {
  it('exactly one rolls out; three are refused naming it; history has one record; the lock is free after', { timeout: 90_000 }, async () => {
    const home = tempDir('claw-sbx-race-');
    const env = { HOME: home, CLAW_HOME: join(home, '.claw') };
    expect((await runClaw(['--sandbox', 'status'], { env })).exitCode).toBe(0); // seeded once
    const sbx = await openSandbox({ home: env.CLAW_HOME, seedDir: join(ROOT, 'fixtures', 'sandbox') });
    await sbx.exclusive(() => sbx.admin.slowSwitch(IDS.c1, 1_000_000));
    // HEAD of the sandbox's own sample repo, as `claw --sandbox deploy <host>` takes by default.
    const head = execFileSync('git', ['-C', join(home, '.claw', 'sandbox', 'repo'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const runs = [0, 1, 2, 3].map(() => spawnClaw(['--sandbox', 'deploy', 'clawdinator-1', '--yes', '--no-eval', ...HOLD], { env, timeoutMs: 80_000 }));
    // Three finish (refused) while the winner's switch runs; then the switch may end.
    let finished = 0;
    await new Promise<void>((resolve) => {
      for (const r of runs)
        void r.done.then(
          () => (++finished === 3 ? resolve() : undefined),
          () => resolve(),
        );
    });
    await sbx.exclusive(() => sbx.admin.finishSwitches(IDS.c1));
    const results: ClawResult[] = await Promise.all(runs.map((r) => r.done));
    const ok = results.filter((r) => r.exitCode === 0);
    const refused = results.filter((r) => r.exitCode === 3);
    expect(
      ok,
      results
        .map(
          (r) =>
            `${r.exitCode}: ${r.stderr
              .split('\n')
              .filter((l) => l.startsWith('error'))
              .join(' ')}`,
        )
        .join('\n'),
    ).toHaveLength(1);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.stderr).toMatch(/^error: the deploy lock is held by \S+ \(pid \d+\), deploying clawdinator-1/m);
    const history = JSON.parse((await runClaw(['--sandbox', 'history', 'clawdinator-1', '--json'], { env })).stdout) as { records: { rev: string }[] };
    expect(history.records.filter((h) => h.rev === head)).toHaveLength(1);
    expect(JSON.parse((await runClaw(['--sandbox', 'lock', 'status', '--json'], { env })).stdout)).toMatchObject({ state: 'free' });
  });
});
