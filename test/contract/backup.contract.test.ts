import { describe, expect, it } from 'vitest';
import { applyBackupPrune, readBackupListing, type BackupBucket } from '../../src/aws/backup.js';
import { assessStatus } from '../../src/core/backup.js';
import { planBackupPrune } from '../../src/core/backup-retention.js';
import { UsageError } from '../../src/core/errors.js';
import { recordingSink } from '../../src/core/events.js';
import { forEachBackend, openSandboxBackend, unique, type Backend } from './backends.js';

// The backup bucket's status, listing and prune through claw's production clients, against
// the sandbox and moto: a bucket with latest/ and snapshots/ (retention decided by the
// snapshot stamps at a fixed clock; LastModified is whenever the test ran).

const now = new Date('2026-11-23T10:37:00.000Z');

const SNAPSHOTS = {
  '2026-11-23-10-00': ['openclaw.sqlite', 'workspace.tar.zst', 'manifest.json'], // first of hour: kept
  '2026-11-23-10-20': ['openclaw.sqlite', 'manifest.json'], // newest, 2nd of hour: kept (newest)
  '2026-11-23-09-40': ['openclaw.sqlite'], // 1st of hour 09: kept
  '2026-11-20-00-00': ['openclaw.sqlite', 'manifest.json'], // first of day: kept
  '2026-11-20-14-00': ['openclaw.sqlite'], // 2nd of day: delete
  '2026-11-13-00-00': ['openclaw.sqlite'], // Friday: kept
  '2026-11-12-00-00': ['openclaw.sqlite'], // not a Friday: delete
  '2026-10-01-00-00': ['openclaw.sqlite', 'workspace.tar.zst'], // older than 30 d: delete
};

async function seedBucket(b: Backend): Promise<BackupBucket> {
  const name = unique('claw-backup');
  await b.seed.createBucket(name);
  const puts: Promise<void>[] = [
    b.seed.putObject(name, 'latest/openclaw.sqlite', 'sqlite-bytes'),
    b.seed.putObject(name, 'latest/config/openclaw.json', '{}'),
    b.seed.putObject(name, 'snapshots/manual-copy/openclaw.sqlite', 'keep me'),
  ];
  for (const [stamp, files] of Object.entries(SNAPSHOTS)) for (const f of files) puts.push(b.seed.putObject(name, `snapshots/${stamp}/${f}`, `${stamp}:${f}`));
  await Promise.all(puts);
  return { name, origin: 'a test bucket' };
}

async function keysOf(b: Backend, bucket: string): Promise<string[]> {
  const out = await b.clients.s3.listObjectsV2({ Bucket: bucket });
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

forEachBackend('backup bucket: status, list, prune', (backend) => {
  it('lists latest/ and snapshots/ grouped, with counts and sizes; the odd prefix reported', async () => {
    const b = backend();
    const bucket = await seedBucket(b);
    const listing = await readBackupListing(b.clients.s3, bucket);
    expect(listing.latest).toMatchObject({ objects: 2, bytes: 'sqlite-bytes'.length + 2 });
    expect(Math.abs(Date.parse(listing.latest.newest!) - Date.now())).toBeLessThan(5 * 60_000);
    expect(listing.snapshots.map((s) => s.stamp)).toEqual(Object.keys(SNAPSHOTS).sort().reverse());
    const first = listing.snapshots.find((s) => s.stamp === '2026-11-23-10-00')!;
    expect(first).toMatchObject({ prefix: 'snapshots/2026-11-23-10-00/', objects: 3, time: '2026-11-23T10:00:00.000Z' });
    expect(first.bytes).toBe(['openclaw.sqlite', 'workspace.tar.zst', 'manifest.json'].reduce((n, f) => n + `2026-11-23-10-00:${f}`.length, 0));
    expect(listing.unparsable).toEqual([{ prefix: 'snapshots/manual-copy/', objects: 1, bytes: 7 }]);

    const status = assessStatus(listing, new Date());
    expect(status.latest.state).toBe('fresh');
    expect(status.snapshots).toMatchObject({ count: 8, newest: { stamp: '2026-11-23-10-20' } });
  });

  it('prune --apply deletes exactly the planned snapshots; latest/, kept and odd prefixes stay', async () => {
    const b = backend();
    const bucket = await seedBucket(b);
    const before = await keysOf(b, bucket.name);
    const plan = planBackupPrune({ ...(await readBackupListing(b.clients.s3, bucket)), now });
    const doomed = plan.snapshots.filter((s) => s.action === 'delete').map((s) => s.stamp);
    expect(doomed).toEqual(['2026-11-20-14-00', '2026-11-12-00-00', '2026-10-01-00-00']);

    const result = await applyBackupPrune(b.clients.s3, bucket, plan, { events: recordingSink() });
    expect(result.failed).toEqual([]);
    expect(result.deletedObjects).toBe(4);
    expect(result.snapshots.map((s) => [s.stamp, s.found, s.deleted])).toEqual([
      ['2026-11-20-14-00', 1, 1],
      ['2026-11-12-00-00', 1, 1],
      ['2026-10-01-00-00', 2, 2],
    ]);
    const after = await keysOf(b, bucket.name);
    expect(after).toEqual(before.filter((k) => !doomed.some((d) => k.startsWith(`snapshots/${d}/`))));
    expect(after.filter((k) => k.startsWith('latest/'))).toEqual(['latest/config/openclaw.json', 'latest/openclaw.sqlite']);

    // Planning again at the same clock deletes nothing more.
    const again = planBackupPrune({ ...(await readBackupListing(b.clients.s3, bucket)), now });
    expect(again.delete.count).toBe(0);
  });

  it('a missing bucket is a usage error naming the bucket', async () => {
    const b = backend();
    const missing = { name: unique('claw-backup-missing'), origin: 'backupBucketPattern with --stack nope' };
    const err = await readBackupListing(b.clients.s3, missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`backup bucket s3://${missing.name} does not exist (backupBucketPattern with --stack nope)`);
  });
});

describe('backup prune: per-key DeleteObjects errors [sandbox only: moto cannot fail a key]', () => {
  it('reports the failed key and deletes the rest', async () => {
    const b = await openSandboxBackend();
    try {
      const bucket = await seedBucket(b);
      await b.sandbox!.admin.failDeletes(bucket.name, 'snapshots/2026-10-01-00-00/workspace.tar.zst');
      const plan = planBackupPrune({ ...(await readBackupListing(b.clients.s3, bucket)), now });
      const result = await applyBackupPrune(b.clients.s3, bucket, plan, { events: recordingSink() });
      expect(result.failed).toEqual([{ key: 'snapshots/2026-10-01-00-00/workspace.tar.zst', code: 'AccessDenied', message: 'Access Denied' }]);
      expect(result.snapshots.find((s) => s.stamp === '2026-10-01-00-00')).toMatchObject({ found: 2, deleted: 1 });
      expect(result.deletedObjects).toBe(3);
      expect((await keysOf(b, bucket.name)).filter((k) => k.startsWith('snapshots/2026-10-01-00-00/'))).toEqual([
        'snapshots/2026-10-01-00-00/workspace.tar.zst',
      ]);
    } finally {
      await b.close();
    }
  });
});
