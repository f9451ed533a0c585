import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox backup status | list | prune` from the built binary against the seed's
// backup bucket (stack lab, account 123456789012): latest/ 10 minutes old and hourly,
// daily and Friday snapshot series, some past retention.

const BUCKET = 'openclaw-lab-backup-lab-123456789012';

interface Snapshot {
  stamp: string;
  prefix: string;
  objects: number;
  bytes: number;
}
interface Planned extends Snapshot {
  action: 'keep' | 'delete';
  reason: string;
  tier: string;
}

function sandboxHome() {
  const home = join(tempDir('claw-backup-sbx-'), '.claw');
  const claw = (...args: string[]) => runClaw(['--sandbox', 'backup', ...args], { env: { CLAW_HOME: home } });
  const digest = () =>
    createHash('sha256')
      .update(readFileSync(join(home, 'sandbox', 'state.json')))
      .digest('hex');
  return { home, claw, digest };
}

describe('claw --sandbox backup', () => {
  it('status: latest/ fresh against the 20-minute timer, snapshot count and size, the newest; --json stable fields', async () => {
    const { claw } = sandboxHome();
    const list = JSON.parse((await claw('list', '--stack', 'lab', '--json')).stdout) as { snapshots: Snapshot[]; count: number; totalBytes: number };
    const r = await claw('status', '--stack', 'lab', '--json');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['bucket', 'checkedAt', 'latest', 'snapshots', 'unparsable', 'unfinishedOverwrite']);
    expect(doc.bucket).toBe(BUCKET);
    expect(doc.unfinishedOverwrite).toBeNull();
    expect(doc.latest).toMatchObject({ state: 'fresh', objects: 4, intervalMinutes: 20, staleAfterMinutes: 40 });
    expect(doc.latest.ageSeconds).toBeGreaterThanOrEqual(600);
    expect(doc.latest.ageSeconds).toBeLessThan(900);
    expect(doc.snapshots).toMatchObject({ count: list.count, bytes: list.totalBytes, newest: list.snapshots[0] });
    expect(list.count).toBeGreaterThan(30);

    const text = await claw('status', '--stack', 'lab');
    expect(text.stdout).toMatch(
      new RegExp(
        `^bucket +s3://${BUCKET}\\nlatest/ +fresh: newest object \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(10m ago; the timer runs every 20 min, stale after 40 min\\)\\n +4 objects, [\\d.]+ (B|KiB|MiB|GiB)\\n`,
      ),
    );
    expect(text.stdout).toMatch(new RegExp(`^snapshots +${list.count} \\(\\d+ objects, [\\d.]+ (B|KiB|MiB|GiB)\\); newest ${list.snapshots[0]!.stamp} `, 'm'));
  });

  it('status calls a stale or empty latest/ out, and still exits 0 (it is a read)', async () => {
    const { home, claw } = sandboxHome();
    const sbx = await openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
    const latest = (await sbx.clients.s3.listObjectsV2({ Bucket: BUCKET, Prefix: 'latest/' })).Contents!.map((o) => ({ Key: o.Key! }));
    await sbx.clients.s3.deleteObjects({ Bucket: BUCKET, Delete: { Objects: latest } });
    const empty = await claw('status', '--stack', 'lab');
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toMatch(/^latest\/ +EMPTY: latest\/ holds no objects/m);

    await sbx.admin.putObject(BUCKET, 'latest/openclaw.sqlite', 'x', { lastModified: new Date(Date.now() - 3 * 3_600_000) });
    const stale = await claw('status', '--stack', 'lab');
    expect(stale.exitCode).toBe(0);
    expect(stale.stdout).toMatch(
      /^latest\/ +STALE: newest object .* \(3h ago; the timer runs every 20 min, stale after 40 min\); is openclaw-s3-backup.timer running on the host\?$/m,
    );
    expect(JSON.parse((await claw('status', '--stack', 'lab', '--json')).stdout).latest.state).toBe('stale');
  });

  it('list: snapshots newest first with time, age, object count and size', async () => {
    const { claw } = sandboxHome();
    const r = await claw('list', '--stack', 'lab');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SNAPSHOT +TIME +AGE +OBJECTS +SIZE$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d-\d\d-00 +\d{4}-\d\d-\d\d \d\d:00 UTC +\d+[sm] +3 +[\d.]+ (B|KiB|MiB|GiB)$/);
    expect(lines.at(-1)).toMatch(/^\d+ snapshots, [\d.]+ (B|KiB|MiB|GiB) in total$/);
  });

  it('prune: a dry run by default with a reason per snapshot; --apply without --yes refuses (exit 3); --apply --yes deletes exactly the plan', async () => {
    const { claw, digest } = sandboxHome();
    const dry = await claw('prune', '--stack', 'lab');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/^SNAPSHOT +AGE +OBJECTS +SIZE +ACTION +REASON$/m);
    for (const reason of [
      /keep +first of hour \d\d:00 on \S+ \(< 24 h\)$/m,
      /keep +taken in the 00 UTC hour of \S+ \(24 h to 7 d\)$/m,
      /keep +taken in the 00 UTC hour of Friday \S+ \(7 d to 30 d\)$/m,
      /delete +30 d or older$/m,
    ])
      expect(dry.stdout).toMatch(reason);
    expect(dry.stdout).toMatch(/^plan: delete \d+ of \d+ snapshots \(\d+ objects, [\d.]+ (B|KiB|MiB|GiB)\), keep \d+; latest\/ is never touched$/m);
    expect(dry.stderr).toBe('dry run: nothing changed; run again with --apply to delete\n');
    const untouched = digest();

    const plan = JSON.parse((await claw('prune', '--stack', 'lab', '--json')).stdout) as { mode: string; snapshots: Planned[]; delete: { count: number } };
    expect(plan.mode).toBe('dry-run');
    expect(plan.delete.count).toBeGreaterThan(0);
    expect(plan.snapshots.every((s) => s.prefix.startsWith('snapshots/'))).toBe(true);

    const refused = await claw('prune', '--stack', 'lab', '--apply');
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(
      /^error: refusing without a terminal: Delete \d+ snapshots \(\d+ objects\) from s3:\/\/openclaw-lab-backup-lab-123456789012\?\nhint: pass --yes to confirm$/m,
    );
    expect(digest()).toBe(untouched);

    const before = JSON.parse((await claw('status', '--stack', 'lab', '--json')).stdout);
    const applied = await claw('prune', '--stack', 'lab', '--apply', '--yes', '--json');
    expect(applied.exitCode).toBe(0);
    const doc = JSON.parse(applied.stdout);
    expect(doc.mode).toBe('apply');
    expect(doc.result.failed).toEqual([]);
    const doomed = plan.snapshots.filter((s) => s.action === 'delete').map((s) => s.stamp);
    expect(doc.result.snapshots.map((s: Snapshot) => s.stamp)).toEqual(doomed);

    const left = JSON.parse((await claw('list', '--stack', 'lab', '--json')).stdout) as { snapshots: Snapshot[] };
    expect(left.snapshots.map((s) => s.stamp)).toEqual(plan.snapshots.filter((s) => s.action === 'keep').map((s) => s.stamp));
    const after = JSON.parse((await claw('status', '--stack', 'lab', '--json')).stdout);
    expect(after.latest).toEqual({ ...before.latest, ageSeconds: after.latest.ageSeconds });
    expect(JSON.parse((await claw('prune', '--stack', 'lab', '--json')).stdout).delete.count).toBe(0);
  });

  it('bad input: exit 2, one line, nothing changed', async () => {
    const { claw, digest } = sandboxHome();
    await claw('list', '--stack', 'lab');
    const untouched = digest();
    const cases: [string[], RegExp][] = [
      [['status', '--stack', 'Lab'], /^error: --stack "Lab" is not a stack name\nhint: a stack name is 1 to 40 lower-case letters/],
      [['prune', '--stack', 'x'.repeat(41), '--apply', '--yes'], /^error: --stack "x{41}" is not a stack name\n/],
      [
        ['list'],
        /^error: --stack is required: backupBucketPattern openclaw-lab-backup-\{stack\}-\{account\} names one bucket per stack\nhint: e\.g\. --stack lab, or name the bucket with --bucket NAME\n$/,
      ],
      [
        ['prune', '--stack', 'nope', '--apply', '--yes'],
        /^error: backup bucket s3:\/\/openclaw-lab-backup-nope-123456789012 does not exist \(backupBucketPattern openclaw-lab-backup-\{stack\}-\{account\} with --stack nope, account 123456789012\)\nhint: check --stack/,
      ],
      [['status', '--bucket', 'Bad_Bucket'], /^error: --bucket "Bad_Bucket" is not an S3 bucket name\n/],
      [['now', 'x;reboot', '--stack', 'lab'], /^error: host "x;reboot" is neither a host name nor an instance id\n/],
    ];
    for (const [args, stderr] of cases) {
      const r = await claw(...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
      expect(r.stdout).toBe('');
    }
    expect(digest()).toBe(untouched);
  });

  it('--bucket names the bucket instead of the pattern (no --stack needed)', async () => {
    const { claw } = sandboxHome();
    const r = await claw('list', '--bucket', BUCKET, '--json');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).bucket).toBe(BUCKET);
    const other = await claw('status', '--bucket', 'clawdinator-images-eu1-20260107165216');
    expect(other.stdout).toMatch(/^latest\/ +EMPTY/m);
    expect(other.stdout).toMatch(/^snapshots +none$/m);
  });
});
