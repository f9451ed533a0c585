import { describe, expect, it } from 'vitest';
import { runClaw, tempDir } from '../helpers/claw.js';

describe('claw sandbox reset', () => {
  it('reseeds the simulated account: what a prune removed is back; --dry-run changes nothing', async () => {
    const env = { CLAW_HOME: `${tempDir()}/.claw` };
    const count = async () => (JSON.parse((await runClaw(['--sandbox', 'ami', 'list', '--json'], { env })).stdout) as { images: unknown[] }).images.length;
    const seeded = await count();
    expect((await runClaw(['--sandbox', 'ami', 'prune', '--keep', '1', '--apply', '--yes'], { env })).exitCode).toBe(0);
    const pruned = await count();
    expect(pruned).toBeLessThan(seeded);

    const dry = await runClaw(['--sandbox', 'sandbox', 'reset', '--dry-run'], { env });
    expect(dry.exitCode).toBe(0);
    expect(dry.stderr).toMatch(/^plan: reset the sandbox account/);
    expect(await count()).toBe(pruned);

    const r = await runClaw(['--sandbox', 'sandbox', 'reset', '--yes'], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^sandbox reset: \d+ instances \(\d+ running\), \d+ AMIs, \d+ buckets seeded from /);
    expect(await count()).toBe(seeded);
  });
});
