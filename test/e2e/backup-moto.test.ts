import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { formatStamp } from '../../src/core/backup.js';
import { runClaw } from '../helpers/claw.js';

// `claw backup status | list | prune` from the built binary against moto: the bucket comes
// from backupBucketPattern with --stack and the account id from STS GetCallerIdentity
// (moto answers 123456789012). Snapshot stamps are relative to the real clock, as the
// binary plans with it.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED backup-moto e2e: ${inject('motoSkipReason')}`);

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL: endpoint ?? '', AWS_REGION: 'eu-central-1' };
const s3 = new S3Client({
  endpoint: endpoint ?? undefined,
  region: 'eu-central-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
afterAll(() => s3.destroy());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;

/** A bucket for a fresh stack: latest/, an odd prefix, and snapshots with known verdicts. */
async function seedStack() {
  const stack = `e2e-${randomUUID().slice(0, 8)}`;
  const bucket = `openclaw-lab-backup-${stack}-123456789012`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  const now = Date.now();
  const hourA = floorTo(now - 2 * HOUR, HOUR);
  const dayD = floorTo(now - 3 * DAY, DAY);
  const stamps = {
    newest: formatStamp(new Date(floorTo(now - HOUR, HOUR))),
    firstOfHour: formatStamp(new Date(hourA)),
    secondOfHour: formatStamp(new Date(hourA + 20 * 60_000)),
    firstOfDay: formatStamp(new Date(dayD)),
    secondOfDay: formatStamp(new Date(dayD + 14 * HOUR)),
    expired: formatStamp(new Date(floorTo(now - 40 * DAY, DAY))),
  };
  const keys = ['latest/openclaw.sqlite', 'latest/config/openclaw.json', 'snapshots/manual/openclaw.sqlite'];
  for (const s of Object.values(stamps)) keys.push(`snapshots/${s}/openclaw.sqlite`, `snapshots/${s}/manifest.json`);
  await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }))));
  const list = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
  return { stack, bucket, stamps, keys: keys.sort(), list };
}

const claw = (...args: string[]) => runClaw(['backup', ...args], { env });

suite('claw backup against moto', () => {
  it('status and list: the bucket from the pattern, the account from STS', async () => {
    const { stack, bucket, stamps } = await seedStack();
    const status = await claw('status', '--stack', stack, '--json');
    expect(status.stderr).toBe('');
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      bucket,
      latest: { state: 'fresh', objects: 2 },
      snapshots: { count: 6, objects: 12, newest: { stamp: stamps.newest } },
      unparsable: [{ prefix: 'snapshots/manual/', objects: 1 }],
    });
    const list = await claw('list', '--stack', stack);
    expect(list.exitCode).toBe(0);
    expect(list.stdout.split('\n')[1]).toMatch(new RegExp(`^${stamps.newest} `));
    expect(list.stderr).toBe('warning: snapshots/manual/ (1 object) under snapshots/ is not a snapshot (snapshots/YYYY-MM-DD-HH-MM/); claw never touches it\n');
  });

  it("an unknown stack's bucket and a bad --stack: exit 2, one line, nothing changed", async () => {
    const { keys, list } = await seedStack();
    const missing = await claw('prune', '--stack', 'no-such-stack', '--apply', '--yes');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(
      [
        'error: backup bucket s3://openclaw-lab-backup-no-such-stack-123456789012 does not exist (backupBucketPattern openclaw-lab-backup-{stack}-{account} with --stack no-such-stack, account 123456789012)',
        'hint: check --stack, or name the bucket with --bucket NAME; "claw config" shows backupBucketPattern',
        '',
      ].join('\n'),
    );
    expect(missing.stdout).toBe('');
    const bad = await claw('status', '--stack', 'lab;rm');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: --stack "lab;rm" is not a stack name\nhint: /);
    expect(await list()).toEqual(keys);
  });

  it('prune: a dry run shows the reason per snapshot; --apply without --yes refuses (exit 3); nothing changed', async () => {
    const { stack, stamps, keys, list } = await seedStack();
    const dry = await claw('prune', '--stack', stack);
    expect(dry.exitCode).toBe(0);
    const row = (stamp: string) =>
      dry.stdout
        .split('\n')
        .find((l) => l.startsWith(stamp))!
        .replace(/ {2,}/g, ' | ');
    expect(row(stamps.newest)).toMatch(/\| keep \| first of hour \d\d:00 on \S+ \(< 24 h\)$/);
    expect(row(stamps.firstOfHour)).toMatch(/\| keep \| first of hour \d\d:00 on \S+ \(< 24 h\)$/);
    expect(row(stamps.secondOfHour)).toMatch(/\| delete \| 2nd of hour \d\d:00 on \S+ \(< 24 h\)$/);
    expect(row(stamps.firstOfDay)).toMatch(/\| keep \| taken in the 00 UTC hour of \S+ \(24 h to 7 d\)$/);
    expect(row(stamps.secondOfDay)).toMatch(/\| delete \| not in the 00 UTC hour of \S+ \(24 h to 7 d\)$/);
    expect(row(stamps.expired)).toMatch(/\| delete \| 30 d or older$/);
    expect(dry.stdout).toMatch(/^1 prefix under snapshots\/ is not a snapshot \(never touched\): snapshots\/manual\/$/m);
    expect(dry.stdout).toMatch(/^plan: delete 3 of 6 snapshots \(6 objects, [\d.]+ B\), keep 3; latest\/ is never touched$/m);

    const refused = await claw('prune', '--stack', stack, '--apply');
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/^error: refusing without a terminal: Delete 3 snapshots \(6 objects\)/m);
    expect(await list()).toEqual(keys);
  });

  it("a snapshot stamped in the future (clock skew) never takes the newest's place: the real newest is kept", async () => {
    const stack = `e2e-${randomUUID().slice(0, 8)}`;
    const bucket = `openclaw-lab-backup-${stack}-123456789012`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    // A stalled timer: the real newest is 40 days old (its tier deletes it), and a skewed clock wrote one two days ahead.
    const real = formatStamp(new Date(floorTo(Date.now() - 40 * DAY, DAY)));
    const older = formatStamp(new Date(floorTo(Date.now() - 41 * DAY, DAY)));
    const future = formatStamp(new Date(floorTo(Date.now() + 2 * DAY, HOUR)));
    for (const st of [real, older, future]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `snapshots/${st}/openclaw.sqlite`, Body: st }));
    const r = await claw('prune', '--stack', stack, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { snapshots: { stamp: string; action: string; keptBy: string | null }[] };
    expect(Object.fromEntries(plan.snapshots.map((x) => [x.stamp, [x.action, x.keptBy]]))).toEqual({
      [future]: ['keep', 'future'],
      [real]: ['keep', 'newest'],
      [older]: ['delete', null],
    });
  });

  it('prune --apply --yes deletes exactly the planned snapshots; latest/ and the rest are untouched', async () => {
    const { stack, stamps, keys, list } = await seedStack();
    const r = await claw('prune', '--stack', stack, '--apply', '--yes', '--json');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.result).toMatchObject({ failed: [], deletedObjects: 6 });
    const gone = [stamps.secondOfHour, stamps.secondOfDay, stamps.expired];
    expect(doc.result.snapshots.map((s: { stamp: string }) => s.stamp).sort()).toEqual([...gone].sort());
    expect(await list()).toEqual(keys.filter((k) => !gone.some((g) => k.startsWith(`snapshots/${g}/`))));
    expect((await list()).filter((k) => k.startsWith('latest/'))).toEqual(['latest/config/openclaw.json', 'latest/openclaw.sqlite']);
    expect(r.stderr).toMatch(/^delete snapshots: ok \(6 objects deleted\)$/m);
  });
});
