import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// The same unfinished-overwrite handling on the sandbox (the same code, the simulated
// S3): a restore whose delete from latest/ is refused stops part-way; status shows it; a
// re-run without --delete finds latest/ already matching, keeps nothing again, removes the
// marker and names the one copy of the state before as the undo.

const BUCKET = 'openclaw-lab-backup-lab-123456789012';

describe('claw --sandbox backup restore, stopped and run again', () => {
  it('keeps one copy of the state before, shows the unfinished overwrite in status, clears it on the re-run', async () => {
    const home = join(tempDir('claw-backup-rerun-'), '.claw');
    const claw = (...args: string[]) => runClaw(['--sandbox', 'backup', ...args], { env: { CLAW_HOME: home } });
    const sandbox = () => openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
    const stamps = async () =>
      (JSON.parse((await claw('list', '--stack', 'lab', '--json')).stdout) as { snapshots: { stamp: string }[] }).snapshots.map((s) => s.stamp);
    const before = await stamps();
    const older = before[3]!;
    // The seed's latest/ holds config/openclaw.json, which that snapshot lacks: --delete removes it, and S3 refuses.
    await (await sandbox()).admin.failDeletes(BUCKET, 'latest/config/openclaw.json');

    const first = await claw('restore', '--stack', 'lab', '--snapshot', older, '--delete', '--yes');
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toMatch(/^error: restore snapshots\/\S+ into latest\/: 1 of \d+ operations failed/m);
    const t1 = /^hint: run the same restore again to finish, or undo with: claw backup restore --stack lab --snapshot (\S+) --delete$/m.exec(first.stderr)?.[1];
    expect(t1).toBeDefined();
    expect(await stamps()).toEqual([t1, ...before]);

    const status = await claw('status', '--stack', 'lab', '--json');
    expect(JSON.parse(status.stdout).unfinishedOverwrite).toMatchObject({
      readable: true,
      command: 'restore',
      keptAs: t1,
      keepFinished: true,
      source: `s3://${BUCKET}/snapshots/${older}/`,
    });
    expect((await claw('status', '--stack', 'lab')).stdout).toMatch(/^overwrite +UNFINISHED restore from /m);
    // claw doctor fails the stack's backup check with the same fix.
    const doctor = await runClaw(['--sandbox', 'doctor', '--stack', 'lab', '--json'], { env: { CLAW_HOME: home } });
    const check = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; summary: string; fix: string | null }[] }).checks.find(
      (c) => c.id === 'backup:lab',
    );
    expect(check).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/latest\/\) is part-written: a restore started \S+ by \S+ stopped part-way$/),
      fix: expect.stringContaining(`--snapshot ${t1} --delete`),
    });

    const again = await claw('restore', '--stack', 'lab', '--snapshot', older, '--yes', '--json');
    expect(again.exitCode, again.stderr).toBe(0);
    const doc = JSON.parse(again.stdout) as { keptAs: string; earlierRun: { action: string }; outcomes: unknown[] };
    expect(doc).toMatchObject({ keptAs: `snapshots/${t1}/`, earlierRun: { action: 'not-kept-again' }, outcomes: [] });
    expect(await stamps()).toEqual([t1, ...before]);
    const s3 = (await sandbox()).clients.s3;
    expect((await s3.listObjectsV2({ Bucket: BUCKET, Prefix: 'claw/' })).Contents ?? []).toEqual([]);
    expect(JSON.parse((await claw('status', '--stack', 'lab', '--json')).stdout).unfinishedOverwrite).toBeNull();
    const after = JSON.parse((await runClaw(['--sandbox', 'doctor', '--stack', 'lab', '--json'], { env: { CLAW_HOME: home } })).stdout) as {
      checks: { id: string; status: string }[];
    };
    expect(after.checks.find((c) => c.id === 'backup:lab')?.status).toBe('ok');
  });
});
