import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, withDeployLock } from '../../src/aws/lock.js';
import { RefusedError } from '../../src/core/errors.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox lock`: the sandbox's S3 honours the same conditional writes, so the
// lock runs unchanged on the simulated account (bootstrapBucket is a seeded bucket).

const REV = '0123456789abcdef0123456789abcdef01234567';
const BUCKET = 'clawdinator-images-eu1-20260107165216';

async function sandbox() {
  const home = join(tempDir('claw-lock-sbx-'), '.claw');
  const sbx = await openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
  const claw = (...args: string[]) => runClaw(['--sandbox', 'lock', ...args], { env: { CLAW_HOME: home } });
  return { sbx, claw };
}

describe('claw --sandbox lock', () => {
  it('--verbose on a free lock: its GetObject is logged as the 404 that means "not there", not as a failure', async () => {
    const { claw } = await sandbox();
    const r = await claw('status', '--verbose');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^aws s3\.GetObject \d+ms 404 NoSuchKey \(not there\)$/m);
    expect(r.stderr).not.toMatch(/failed/);
  });

  it('status and release of a lock taken by a deploy', async () => {
    const { sbx, claw } = await sandbox();
    expect((await claw('status')).stdout).toBe(`free: no deploy holds the lock (s3://${BUCKET}/claw/deploy.lock)\n`);
    const held = await acquireLock(sbx.clients.s3, { bucket: BUCKET, holder: 'bob@desk', pid: 4242, target: 'clawdinator-2', rev: REV });
    const status = await claw('status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'held', holder: 'bob@desk', pid: 4242, target: 'clawdinator-2', rev: REV, id: held.record.id });
    const refused = await claw('release');
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/^error: not releasing: the deploy lock is held by bob@desk \(pid 4242\), deploying clawdinator-2/);
    const forced = await claw('release', '--force', '--yes');
    expect(forced).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^released the deploy lock \(forced\): bob@desk \(pid 4242\)/) });
    expect(forced.stderr).toMatch(/^warning: forcing the release of a lock that is not expired/);
    expect(JSON.parse((await claw('status', '--json')).stdout)).toMatchObject({ state: 'free' });
  });

  it('two concurrent deploys against the sandbox: exactly one runs, the other is refused naming it', async () => {
    const { sbx } = await sandbox();
    const ran: string[] = [];
    const deploy = (holder: string) =>
      withDeployLock(sbx.clients.s3, { bucket: BUCKET, holder, pid: 1, target: 'all', rev: REV }, async () => {
        ran.push(holder);
        await new Promise((r) => setTimeout(r, 50));
      });
    const results = await Promise.allSettled([deploy('alice@laptop'), deploy('bob@desk')]);
    expect(ran).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(RefusedError);
    expect((refused.reason as Error).message).toContain(`held by ${ran[0]} (pid 1)`);
    await expect(sbx.clients.s3.getObject({ Bucket: BUCKET, Key: 'claw/deploy.lock' })).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
