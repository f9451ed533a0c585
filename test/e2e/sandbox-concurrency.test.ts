import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClaw, spawnClaw, tempDir } from '../helpers/claw.js';

// The sandbox account is one file shared by every claw process: each call reads, changes
// and writes it under a cross-process lock. So of four `claw --sandbox deploy` started at
// once exactly one takes the deploy lock and rolls out, the other three are refused
// (exit 3) naming it, and history holds exactly the one deploy's records.


describe('four sandbox deploys at once', () => {
  it('exactly one rolls out; three are refused naming it; history has one record; the lock is free after', { timeout: 60_000 }, async () => {
    const home = tempDir('claw-sbx-race-');
    const env = { HOME: home, CLAW_HOME: join(home, '.claw') };
    expect((await runClaw(['--sandbox', 'status'], { env })).exitCode).toBe(0); // seeded once
    // HEAD of the sandbox's own sample repo, as `claw --sandbox deploy <host>` takes by default.
    const head = execFileSync('git', ['-C', join(home, '.claw', 'sandbox', 'repo'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const runs = [0, 1, 2, 3].map(() => spawnClaw(['--sandbox', 'deploy', 'clawdinator-1', '--yes', '--no-eval'], { env, timeoutMs: 50_000 }));
    const results = await Promise.all(runs.map((r) => r.done));
    const ok = results.filter((r) => r.exitCode === 0);
    const refused = results.filter((r) => r.exitCode === 3);
    expect(ok, results.map((r) => `${r.exitCode}: ${r.stderr.split('\n').filter((l) => l.startsWith('error')).join(' ')}`).join('\n')).toHaveLength(1);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.stderr).toMatch(/^error: the deploy lock is held by \S+ \(pid \d+\), deploying clawdinator-1/m);
    const history = JSON.parse((await runClaw(['--sandbox', 'history', 'clawdinator-1', '--json'], { env })).stdout) as { records: { rev: string }[] };
    expect(history.records.filter((h) => h.rev === head)).toHaveLength(1);
    expect(JSON.parse((await runClaw(['--sandbox', 'lock', 'status', '--json'], { env })).stdout)).toMatchObject({ state: 'free' });
  });
});
