import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupCommands, parseHealthOutput, restoreCommands } from '../../src/core/ssm-script.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runToEnd } from '../contract/ssm-run.js';

// The backup lane on the simulated hosts, driven with claw's own Run Command templates
// (TEMPLATES.backup / TEMPLATES.restore in src/core/ssm-script.ts) and the lines
// documented in fixtures/sandbox/README.md ("Run Command simulation").

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
const NOW = new Date('2026-03-06T12:34:56.000Z');
const LAB = 'i-07e1a3c5b9d2f4068'; // openclaw-lab, backs up to BUCKET
const ONE = 'i-0a3f5c9e2b7d41c08'; // clawdinator-1, no backup units
const BUCKET = 'openclaw-lab-backup-lab-123456789012';
const SNAPSHOT = 'snapshots/2026-03-06-12-34/';

let home: string;
let sb: Sandbox;
let clock: Date;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-backup-lane-'));
  clock = NOW;
  sb = await openSandbox({ home, seedDir: SEED_DIR, now: () => clock });
});
afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

const run = async (id: string, lines: string[]) => (await runToEnd(sb.clients.ssm, id, lines)).out;
const list = async (prefix: string) => (await sb.clients.s3.listObjectsV2({ Bucket: BUCKET, Prefix: prefix })).Contents ?? [];
const bytesOf = async (key: string) => Buffer.from(await (await sb.clients.s3.getObject({ Bucket: BUCKET, Key: key })).Body!.transformToByteArray());
const show = (unit: string) => [`systemctl show -p Result,ExecMainStatus,LoadState,ActiveState,SubState ${unit}`];
const props = async (id: string, unit: string) =>
  Object.fromEntries(
    (await run(id, show(unit)))
      .StandardOutputContent!.trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
const journal = async (id: string, unit: string) =>
  (await run(id, [`journalctl -u ${unit} -n 20 --no-pager -o cat`])).StandardOutputContent!.trim().split('\n');

describe('openclaw-s3-backup on the OpenClaw host', () => {
  it('copies latest/ to snapshots/<UTC minute>/ server-side, refreshes latest/, and shows success', async () => {
    const latest = await list('latest/');
    expect(latest.length).toBe(4);
    expect(await list(SNAPSHOT)).toEqual([]);
    clock = new Date(NOW.getTime() + 2_000); // still 12:34 UTC

    const out = await run(LAB, backupCommands());
    expect(out).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'Result=success\nExecMainStatus=0\n', StandardErrorContent: '' });

    const snap = await list(SNAPSHOT);
    expect(snap.map((o) => o.Key)).toEqual(latest.map((o) => o.Key!.replace('latest/', SNAPSHOT)));
    // Same content: same sizes and (single-part) ETags, and the very same bytes.
    expect(snap.map((o) => [o.Size, o.ETag])).toEqual(latest.map((o) => [o.Size, o.ETag]));
    expect(await bytesOf(`${SNAPSHOT}openclaw.sqlite`)).toEqual(await bytesOf('latest/openclaw.sqlite'));
    for (const o of [...snap, ...(await list('latest/'))]) expect(o.LastModified).toEqual(clock);
    const head = await sb.clients.s3.headObject({ Bucket: BUCKET, Key: `${SNAPSHOT}manifest.json` });
    expect(head.ContentType).toBe('application/json');

    expect(await props(LAB, 'openclaw-s3-backup.service')).toEqual({
      Result: 'success',
      ExecMainStatus: '0',
      LoadState: 'loaded',
      ActiveState: 'inactive',
      SubState: 'dead',
    });
    expect(await journal(LAB, 'openclaw-s3-backup.service')).toEqual([
      'Starting openclaw-s3-backup.service - OpenClaw S3 backup...',
      `synced 4 objects to s3://${BUCKET}/latest/`,
      `snapshot s3://${BUCKET}/${SNAPSHOT}: 4 objects`,
      'openclaw-s3-backup.service: Deactivated successfully.',
      'Finished openclaw-s3-backup.service - OpenClaw S3 backup.',
    ]);
  });

  it('a second backup in the same minute rewrites that folder; a later one makes a new folder', async () => {
    await run(LAB, backupCommands());
    await run(LAB, backupCommands());
    expect(await list(SNAPSHOT)).toHaveLength(4);
    clock = new Date(NOW.getTime() + 60_000);
    await run(LAB, backupCommands());
    expect(await list('snapshots/2026-03-06-12-35/')).toHaveLength(4);
    expect(await list(SNAPSHOT)).toHaveLength(4);
  });

  it("failNextBackup: the start fails (exit 1, systemd's message), nothing is copied, show reports the failure; the next backup works", async () => {
    await sb.admin.failNextBackup(LAB, 'upload failed: AccessDenied');
    const before = (await list('snapshots/')).length;
    const out = await run(LAB, backupCommands());
    expect(out).toMatchObject({ Status: 'Failed', ResponseCode: 1, StandardOutputContent: '' });
    expect(out.StandardErrorContent).toBe(
      'Job for openclaw-s3-backup.service failed because the control process exited with error code.\n' +
        'See "systemctl status openclaw-s3-backup.service" and "journalctl -xeu openclaw-s3-backup.service" for details.\n' +
        'failed to run commands: exit status 1',
    );
    expect((await list('snapshots/')).length).toBe(before);
    expect(await props(LAB, 'openclaw-s3-backup')).toEqual({
      Result: 'exit-code',
      ExecMainStatus: '1',
      LoadState: 'loaded',
      ActiveState: 'failed',
      SubState: 'failed',
    });
    expect(await journal(LAB, 'openclaw-s3-backup')).toContain('error: upload failed: AccessDenied');

    const again = await run(LAB, backupCommands());
    expect(again).toMatchObject({ Status: 'Success', StandardOutputContent: 'Result=success\nExecMainStatus=0\n' });
    expect(await list(SNAPSHOT)).toHaveLength(4);
  });

  it('a backup bucket that does not exist fails the unit, naming the bucket in its journal', async () => {
    await sb.admin.setBackupBucket(LAB, 'openclaw-lab-backup-gone-123456789012');
    expect((await run(LAB, backupCommands())).ResponseCode).toBe(1);
    expect(await journal(LAB, 'openclaw-s3-backup.service')).toContain(
      'error: s3://openclaw-lab-backup-gone-123456789012: NoSuchBucket: The specified bucket does not exist',
    );
  });
});

describe('openclaw-s3-restore and openclaw.service', () => {
  it('restore succeeds, the restart brings openclaw back, is-active prints active', async () => {
    await sb.admin.setServiceState(LAB, 'failed', 'openclaw');
    expect(parseHealthOutput((await run(LAB, ['systemctl is-active openclaw.service || true'])).StandardOutputContent!)).toEqual({
      healthy: false,
      state: 'failed',
    });
    const out = await run(LAB, restoreCommands());
    expect(out).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'active\n' });
    expect(sb.admin.host(LAB).openclaw).toBe('active');
    expect(await journal(LAB, 'openclaw-s3-restore')).toContain(`restored 4 objects from s3://${BUCKET}/latest/`);
    expect(await props(LAB, 'openclaw-s3-restore.service')).toMatchObject({ Result: 'success', ExecMainStatus: '0' });
  });

  it('failNextRestore: the restore fails, so the restart never runs and openclaw stays as it was', async () => {
    await sb.admin.setServiceState(LAB, 'inactive', 'openclaw');
    await sb.admin.failNextRestore(LAB, 'latest/ is empty');
    const out = await run(LAB, restoreCommands());
    expect(out).toMatchObject({ Status: 'Failed', ResponseCode: 1, StandardOutputContent: '' });
    expect(out.StandardErrorContent).toMatch(/^Job for openclaw-s3-restore\.service failed because the control process exited with error code\./);
    expect(sb.admin.host(LAB).openclaw).toBe('inactive');
    expect(await props(LAB, 'openclaw-s3-restore')).toMatchObject({ Result: 'exit-code', ActiveState: 'failed' });
    // The backup unit is not affected by the restore's fault.
    expect(await props(LAB, 'openclaw-s3-backup')).toMatchObject({ Result: 'success' });
  });
});

describe('a host without a backup bucket', () => {
  it('has no backup units and no openclaw.service, as systemd says (exit 5 on start and restart)', async () => {
    const backup = await run(ONE, backupCommands());
    expect(backup).toMatchObject({ Status: 'Failed', ResponseCode: 5, StandardOutputContent: '' });
    expect(backup.StandardErrorContent).toBe(
      'Failed to start openclaw-s3-backup.service: Unit openclaw-s3-backup.service not found.\nfailed to run commands: exit status 5',
    );
    const restore = await run(ONE, restoreCommands());
    expect(restore.StandardErrorContent).toMatch(/^Failed to start openclaw-s3-restore\.service: Unit openclaw-s3-restore\.service not found\.\n/);
    const restart = await run(ONE, ['systemctl restart openclaw.service']);
    expect([restart.ResponseCode, restart.StandardErrorContent]).toEqual([
      5,
      'Failed to restart openclaw.service: Unit openclaw.service not found.\nfailed to run commands: exit status 5',
    ]);
    const active = await run(ONE, ['systemctl is-active openclaw']);
    expect([active.ResponseCode, active.StandardOutputContent]).toEqual([3, 'inactive\n']);
    expect(await props(ONE, 'openclaw-s3-backup.service')).toEqual({
      Result: 'success',
      ExecMainStatus: '0',
      LoadState: 'not-found',
      ActiveState: 'inactive',
      SubState: 'dead',
    });
    // The clawdinator service of a fleet host is untouched by all this.
    expect((await run(ONE, ['systemctl is-active clawdinator'])).StandardOutputContent).toBe('active\n');
  });

  it('setBackupBucket makes it an OpenClaw host; null takes that back', async () => {
    await sb.admin.setBackupBucket(ONE, BUCKET);
    expect((await run(ONE, backupCommands())).Status).toBe('Success');
    await sb.admin.setBackupBucket(ONE, null);
    expect((await run(ONE, backupCommands())).ResponseCode).toBe(5);
  });
});

describe('line shapes', () => {
  it.each([
    ['systemctl start openclaw-s3-backup', 0],
    ['systemctl start openclaw-s3-restore.service', 0],
    ['systemctl show --property=Result openclaw-s3-backup', 0],
    ['systemctl show -p Result,ExecMainStatus openclaw-s3-backup.service 2>/dev/null || true', 0],
    ['journalctl -u openclaw-s3-restore.service -n 5 --no-pager -o cat', 0],
    ['systemctl restart openclaw', 0],
    ['systemctl is-active openclaw', 0],
    ['systemctl start openclaw.service', 0],
    ['systemctl stop openclaw', 0],
  ])('%s is simulated (exit %i)', async (line, code) => {
    const out = await run(LAB, [line]);
    expect(out.ResponseCode).toBe(code);
  });

  it.each([
    'systemctl start openclaw-s3-backup.timer',
    'systemctl restart openclaw-s3-backup.service',
    'systemctl show -p Result,MainPID openclaw-s3-backup.service',
    'systemctl start openclaw-s3-backup.service openclaw-s3-restore.service',
  ])('%s is not simulated: exit 127, named on stderr', async (line) => {
    const out = await run(LAB, [line]);
    expect(out.ResponseCode).toBe(127);
    expect(out.StandardErrorContent).toContain(`sandbox: command not simulated: ${line}`);
  });

  it('the host state survives a reopen: the last outcome and the journal', async () => {
    await sb.admin.failNextBackup(LAB, 'boom');
    await run(LAB, backupCommands());
    const again = await openSandbox({ home, seedDir: SEED_DIR, now: () => clock });
    expect(again.admin.host(LAB)).toMatchObject({ backupBucket: BUCKET, oneshots: { 'openclaw-s3-backup': { result: 'exit-code', execMainStatus: 1 } } });
    expect(again.admin.host(LAB).journal['openclaw-s3-backup']).toContain('error: boom');
  });
});
