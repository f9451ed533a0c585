import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox backup restore | pull` from the built binary on the seed: the lab stack's
// bucket and its host openclaw-lab, whose simulated restore unit loads latest/ and restarts
// openclaw.service.

const BUCKET = 'openclaw-lab-backup-lab-123456789012';

function sandboxHome() {
  const home = join(tempDir('claw-backup-restore-'), '.claw');
  const claw = (...args: string[]) => runClaw(['--sandbox', 'backup', ...args], { env: { CLAW_HOME: home } });
  const digest = () =>
    createHash('sha256')
      .update(readFileSync(join(home, 'sandbox', 'state.json')))
      .digest('hex');
  const sandbox = () => openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
  const stamps = async () =>
    (JSON.parse((await claw('list', '--stack', 'lab', '--json')).stdout) as { snapshots: { stamp: string }[] }).snapshots.map((s) => s.stamp);
  return { claw, digest, sandbox, stamps };
}

describe('claw --sandbox backup restore / pull', () => {
  it('--dry-run shows the steps and changes nothing; a restore without --yes and no terminal refuses (exit 3)', async () => {
    const { claw, digest, stamps } = sandboxHome();
    const older = (await stamps())[3]!;
    const before = digest();
    const dry = await claw('restore', '--stack', 'lab', '--snapshot', older, '--delete', '--restart', 'openclaw-lab', '--dry-run', '--objects');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/^plan\n {2}1\. keep latest\/ as snapshots\/\d{4}-\d\d-\d\d-\d\d-\d\d\/\n/);
    expect(dry.stdout).toContain(`  2. restore snapshots/${older}/ into latest/\n`);
    expect(dry.stdout).toMatch(/ {7}delete {3}gone {4}config\/openclaw\.json/);
    expect(dry.stdout).toMatch(/ {2}3\. restart on openclaw-lab \(i-[0-9a-f]{17}\): openclaw-s3-restore\.service/);
    expect(dry.stderr).toBe('dry run: nothing changed\n');
    const refused = await claw('restore', '--stack', 'lab', '--snapshot', older, '--restart', 'openclaw-lab');
    expect(refused.exitCode).toBe(3);
    expect(digest()).toBe(before);
  });

  it('restores, keeps the old latest/, loads it on the host and restarts openclaw', async () => {
    const { claw, sandbox, stamps } = sandboxHome();
    const older = (await stamps())[3]!;
    const r = await claw('restore', '--stack', 'lab', '--snapshot', older, '--delete', '--restart', 'openclaw-lab', '--yes', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      keptAs: string;
      restartResult: { active: boolean };
      outcomes: { id: string; transferred: number; deleted: number }[];
    };
    expect(doc.restartResult.active).toBe(true);
    expect(doc.outcomes.map((o) => [o.id, o.transferred, o.deleted])).toEqual([
      ['keep-latest', 4, 0],
      ['restore', 3, 1],
    ]);
    const s3 = (await sandbox()).clients.s3;
    const list = async (prefix: string) =>
      ((await s3.listObjectsV2({ Bucket: BUCKET, Prefix: prefix })).Contents ?? []).map((o) => [o.Key!.slice(prefix.length), o.ETag]);
    expect(await list('latest/')).toEqual(await list(`snapshots/${older}/`));
    expect((await list(doc.keptAs)).map(([k]) => k)).toEqual(['config/openclaw.json', 'manifest.json', 'openclaw.sqlite', 'workspace.tar.zst']);
    // Restoring the same snapshot again has nothing to do.
    const again = await claw('restore', '--stack', 'lab', '--snapshot', older, '--delete', '--restart', 'openclaw-lab', '--yes');
    expect(again.stdout).toBe(`latest/ already matches s3://${BUCKET}/snapshots/${older}/: nothing to restore, so nothing to restart\n`);
  });

  it('without --delete it says exactly what is true: what latest/ holds, what is still there, what --delete would remove', async () => {
    const { claw, sandbox, stamps } = sandboxHome();
    const older = (await stamps())[3]!;
    // latest/ has config/openclaw.json, which the snapshots lack.
    const dry = await claw('restore', '--stack', 'lab', '--snapshot', older, '--dry-run', '--objects');
    expect(dry.stdout).toContain('copy 3 (');
    expect(dry.stdout).toContain('0 unchanged, 1 not in the source left as it is (--delete would delete it)');
    expect(dry.stdout).toMatch(/ {7}leave {4}extra {3}config\/openclaw\.json/);
    const json = JSON.parse((await claw('restore', '--stack', 'lab', '--snapshot', older, '--dry-run', '--json')).stdout) as {
      steps: { id: string; left: { key: string }[] }[];
    };
    expect(json.steps.find((st) => st.id === 'restore')!.left.map((l) => l.key)).toEqual(['config/openclaw.json']);
    const r = await claw('restore', '--stack', 'lab', '--snapshot', older, '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('now matches');
    expect(r.stdout).toContain(
      `latest/ now holds everything in s3://${BUCKET}/snapshots/${older}/; 1 object not in it remains (config/openclaw.json): --delete would have removed it\n`,
    );
    const keys = ((await (await sandbox()).clients.s3.listObjectsV2({ Bucket: BUCKET, Prefix: 'latest/' })).Contents ?? []).map((o) => o.Key);
    expect(keys).toContain('latest/config/openclaw.json');
    const again = await claw('restore', '--stack', 'lab', '--snapshot', older, '--yes');
    expect(again.stdout).toBe(
      `latest/ already holds everything in s3://${BUCKET}/snapshots/${older}/; 1 object not in it remains (config/openclaw.json): --delete would remove it: nothing to restore\n`,
    );
  });

  it('a failing restore unit on the host: exit 1 with its output, latest/ restored', async () => {
    const { claw, sandbox, stamps } = sandboxHome();
    const older = (await stamps())[2]!;
    const sbx = await sandbox();
    const [lab] = (await sbx.clients.ec2.describeInstances({ Filters: [{ Name: 'tag:Name', Values: ['openclaw-lab'] }] })).Reservations![0]!.Instances!;
    await sbx.admin.failNextRestore(lab!.InstanceId!, 'aws s3 sync: An error occurred (AccessDenied)');
    const r = await claw('restore', '--stack', 'lab', '--snapshot', older, '--restart', 'openclaw-lab', '--yes');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error: restore on openclaw-lab \(i-[0-9a-f]{17}\) failed: the command ended Failed/);
    expect(r.stderr).toMatch(/Job for openclaw-s3-restore\.service failed/);
    // latest/ holds the restored snapshot all the same, and the undo is named.
    expect(r.stdout).toMatch(/^restore snapshots\/\S+ into latest\/: 3 transferred/m);
    expect(r.stderr).toMatch(/^hint: latest\/ holds the restored state/m);
  });

  it('pull: a snapshot into a new directory, verified; again is a no-op', async () => {
    const { claw, stamps } = sandboxHome();
    const snap = (await stamps())[0]!;
    const dir = join(tempDir('claw-pull-'), 'state');
    const r = await claw('pull', '--stack', 'lab', '--snapshot', snap, '--to', dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'openclaw.sqlite', 'workspace.tar.zst']);
    expect(r.stderr).toMatch(/^requests: s3\.GetObject 3, s3\.ListObjectsV2 \d+, sts\.GetCallerIdentity 1$/m);
    const again = await claw('pull', '--stack', 'lab', '--snapshot', snap, '--to', dir);
    expect(again.stdout).toMatch(/already matches .*: nothing to pull\n$/);
  });
});
