import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatStamp } from '../../src/core/backup.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox backup now <host>` from the built binary: the seed's OpenClaw host
// `openclaw-lab` backs up to the stack lab's bucket; its simulated
// `systemctl start openclaw-s3-backup.service` copies latest/ to a new snapshot.

const BUCKET = 'openclaw-lab-backup-lab-123456789012';

function sandboxHome() {
  const home = join(tempDir('claw-backup-now-'), '.claw');
  const claw = (...args: string[]) => runClaw(['--sandbox', 'backup', ...args], { env: { CLAW_HOME: home } });
  const digest = () =>
    createHash('sha256')
      .update(readFileSync(join(home, 'sandbox', 'state.json')))
      .digest('hex');
  const sandbox = () => openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
  return { claw, digest, sandbox };
}

describe('claw --sandbox backup now', () => {
  it('--dry-run shows the plan alone and sends nothing', async () => {
    const { claw, digest } = sandboxHome();
    await claw('list', '--stack', 'lab');
    const before = digest();
    const r = await claw('now', 'openclaw-lab', '--stack', 'lab', '--dry-run');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^plan: start openclaw-s3-backup\.service on openclaw-lab \(i-[0-9a-f]{17}\), then look for its snapshot in s3:\/\/openclaw-lab-backup-lab-123456789012\/snapshots\/\n$/,
    );
    expect(r.stderr).toBe('');
    expect(digest()).toBe(before);
  });

  it('starts the unit through SSM, waits, and reports the new snapshot', async () => {
    const { claw } = sandboxHome();
    const before = JSON.parse((await claw('list', '--stack', 'lab', '--json')).stdout) as { snapshots: { stamp: string }[] };
    const r = await claw('now', 'openclaw-lab', '--stack', 'lab', '--json');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(
      /^plan: start openclaw-s3-backup\.service on openclaw-lab .*\nbackup openclaw-lab: started \(openclaw-s3-backup\.service via SSM Run Command\)\nbackup openclaw-lab: ok \(command \S+\)\n$/,
    );
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      mode: 'run',
      host: 'openclaw-lab',
      bucket: BUCKET,
      isNew: true,
      unit: { result: 'success', exitStatus: 0 },
      previous: { stamp: before.snapshots[0]!.stamp },
    });
    expect(doc.snapshot.stamp >= before.snapshots[0]!.stamp).toBe(true);
    expect(doc.snapshot.objects).toBeGreaterThan(0);
    const after = JSON.parse((await claw('list', '--stack', 'lab', '--json')).stdout) as { snapshots: { stamp: string }[] };
    expect(after.snapshots[0]!.stamp).toBe(doc.snapshot.stamp);

    const text = await claw('now', 'openclaw-lab', '--stack', 'lab');
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(
      /^openclaw-s3-backup\.service on openclaw-lab \(i-[0-9a-f]{17}\): succeeded\nnew snapshot \S+: \d+ objects, .* \(s3:\/\/openclaw-lab-backup-lab-123456789012\/snapshots\/\S+\/\)\n$/,
    );
  });

  it("a backup in the minute of the newest snapshot writes that snapshot again: it is the run's new snapshot", async () => {
    const { claw, sandbox } = sandboxHome();
    // As when the hourly timer ran this minute: the newest snapshot has this minute's stamp.
    const thisMinute = formatStamp(new Date());
    await (await sandbox()).admin.putObject(BUCKET, `snapshots/${thisMinute}/manifest.json`, '{}');
    const r = await claw('now', 'openclaw-lab', '--stack', 'lab', '--json');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ isNew: true, previous: { stamp: thisMinute } });
    expect(doc.snapshot.stamp >= thisMinute).toBe(true);
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('says so when no snapshot newer than the newest before the run appears', async () => {
    const { claw, sandbox } = sandboxHome();
    // A snapshot from a host whose clock runs ahead: newer than anything this run can make.
    const ahead = formatStamp(new Date(Date.now() + 2 * 3_600_000));
    await (await sandbox()).admin.putObject(BUCKET, `snapshots/${ahead}/manifest.json`, '{}');
    const r = await claw('now', 'openclaw-lab', '--stack', 'lab');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`: succeeded\\nno new snapshot in s3://${BUCKET}/snapshots/: the newest is still ${ahead}, from before the run\\n$`));
    expect(r.stderr).toMatch(new RegExp(`warning: openclaw-s3-backup\\.service succeeded but no snapshot newer than ${ahead} appeared`));
  });

  it('a failing unit: exit 1 with the tail of its output', async () => {
    const { claw, sandbox } = sandboxHome();
    const sbx = await sandbox();
    const id = (await sbx.clients.ec2.describeInstances({ Filters: [{ Name: 'tag:Name', Values: ['openclaw-lab'] }] })).Reservations![0]!.Instances![0]!
      .InstanceId!;
    await sbx.admin.failNextBackup(id, 'upload failed: AccessDenied');
    const r = await claw('now', id, '--stack', 'lab');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: openclaw-s3-backup\\.service on openclaw-lab \\(${id}\\) failed: the command ended Failed, exit 1\\n  Job for openclaw-s3-backup\\.service failed because the control process exited with error code\\.\\n`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^hint: the host's journal has the rest: journalctl -u openclaw-s3-backup\.service$/m);
  });

  it("a clawdinator (no backup unit), another stack's host, unknown and stopped hosts are refused before anything is sent", async () => {
    const { claw, digest, sandbox } = sandboxHome();
    await claw('list', '--stack', 'lab');
    const before = digest();
    const commands = async () => (await sandbox()).admin.state().ssmCommands.length;
    const noUnit = await claw('now', 'clawdinator-1', '--stack', 'lab');
    expect(noUnit.exitCode).toBe(3);
    expect(noUnit.stderr).toBe(
      'error: clawdinator-1 (i-0a3f5c9e2b7d41c08) has no openclaw-s3-backup.service: it is not an OpenClaw host (no tag app=openclaw); nothing was sent\n' +
        'hint: the OpenClaw hosts of stack lab: openclaw-lab\n',
    );
    const otherStack = await claw('now', 'openclaw-lab', '--stack', 'orchestrator');
    expect(otherStack.exitCode).toBe(3);
    expect(otherStack.stderr).toMatch(
      /^error: openclaw-lab \(i-[0-9a-f]{17}\) has no openclaw-s3-backup\.service: it is an OpenClaw host of stack lab, not orchestrator; nothing was sent$/m,
    );
    expect(await commands()).toBe(0);
    const unknown = await claw('now', 'openclaw-nope', '--stack', 'lab');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^error: no instance named openclaw-nope in this account and region\n/);
    const stopped = await claw('now', 'clawdinator-scratch', '--stack', 'lab');
    expect(stopped.exitCode).toBe(3);
    expect(stopped.stderr).toMatch(/^error: an instance named clawdinator-scratch: none is pending or running \(found i-0d1c3e5a7b9f20c46 stopped\)\n/);
    expect(digest()).toBe(before);
  });

  it("an OpenClaw host whose unit is missing after all fails with systemd's answer", async () => {
    const { claw, sandbox } = sandboxHome();
    await claw('list', '--stack', 'lab');
    const sbx = await sandbox();
    const lab = sbx.admin.state().instances.find((i) => i.tags.Name === 'openclaw-lab')!.instanceId;
    await sbx.admin.setBackupBucket(lab, null);
    const r = await claw('now', 'openclaw-lab', '--stack', 'lab');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /failed: the command ended Failed, exit 5\n {2}Failed to start openclaw-s3-backup\.service: Unit openclaw-s3-backup\.service not found\./,
    );
  });
});
