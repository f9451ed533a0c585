import { describe, expect, it } from 'vitest';
import { applyBackupPrune, readBackupListing, type BackupBucket } from '../../src/aws/backup.js';
import type { S3Api } from '../../src/aws/clients.js';
import { planBackupPrune } from '../../src/core/backup-retention.js';
import { UsageError } from '../../src/core/errors.js';
import { recordingSink } from '../../src/core/events.js';

// src/aws/backup.ts over an in-memory S3 that pages in small pages and throws on any
// call the test did not expect: pagination, the two listings in flight at once, the
// DeleteObjects batches of at most 1000 keys and per-key errors.

const now = new Date('2026-11-23T10:37:00.000Z');
const BUCKET: BackupBucket = { name: 'openclaw-lab-backup-lab-123456789012', origin: 'backupBucketPattern with --stack lab' };
const awsError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function fakeS3(keys: Record<string, number>, o: { pageSize?: number; failKeys?: Set<string> } = {}) {
  const objects = new Map(Object.entries(keys));
  const stats = { lists: [] as string[], inFlight: 0, maxInFlight: 0, deleteBatches: [] as number[] };
  const unexpected = (name: string) => async () => {
    throw new Error(`unexpected S3 call: ${name}`);
  };
  const api: S3Api = {
    headBucket: unexpected('headBucket'),
    headObject: unexpected('headObject'),
    getObject: unexpected('getObject'),
    deleteObject: unexpected('deleteObject'),
    putObject: unexpected('putObject'),
    upload: unexpected('upload'),
    copyObject: unexpected('copyObject'),
    createMultipartUpload: unexpected('createMultipartUpload'),
    uploadPartCopy: unexpected('uploadPartCopy'),
    completeMultipartUpload: unexpected('completeMultipartUpload'),
    abortMultipartUpload: unexpected('abortMultipartUpload'),
    getBucketLifecycleConfiguration: unexpected('getBucketLifecycleConfiguration'),
    putBucketLifecycleConfiguration: unexpected('putBucketLifecycleConfiguration'),
    async listObjectsV2(i) {
      if (i.Bucket !== BUCKET.name) throw awsError('NoSuchBucket', 404);
      stats.lists.push(`${i.Prefix}${i.ContinuationToken ? ` after ${i.ContinuationToken}` : ''}`);
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((r) => setTimeout(r, 1));
      stats.inFlight--;
      const after = i.ContinuationToken ?? '';
      const all = [...objects.keys()].filter((k) => k.startsWith(i.Prefix ?? '') && k > after).sort();
      const page = all.slice(0, o.pageSize ?? 1000);
      const truncated = all.length > page.length;
      return {
        $metadata: {},
        Contents: page.map((Key) => ({ Key, Size: objects.get(Key)!, LastModified: new Date(now.getTime() - 5 * 60_000) })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: page.at(-1) } : {}),
      };
    },
    async deleteObjects(i) {
      if (!i.Delete?.Quiet) throw new Error('expected Quiet deletes');
      const batch = i.Delete.Objects ?? [];
      stats.deleteBatches.push(batch.length);
      if (batch.length > 1000) throw awsError('MalformedXML', 400);
      const Errors = [];
      for (const { Key } of batch) {
        if (o.failKeys?.has(Key!)) Errors.push({ Key, Code: 'AccessDenied', Message: 'Access Denied' });
        else objects.delete(Key!);
      }
      return { $metadata: {}, ...(Errors.length ? { Errors } : {}) };
    },
  };
  return { s3: api, objects, stats };
}

const snapshot = (stamp: string, files: string[], size = 10) => Object.fromEntries(files.map((f) => [`snapshots/${stamp}/${f}`, size]));

describe('readBackupListing', () => {
  it('lists snapshots/ and latest/ concurrently, following every page', async () => {
    const { s3, stats } = fakeS3(
      {
        'latest/a': 1,
        'latest/b': 2,
        'latest/c/d': 3,
        ...snapshot('2026-11-23-10-00', ['a', 'b', 'c']),
        ...snapshot('2026-11-23-09-00', ['a', 'b']),
        'snapshots/odd/x': 4,
      },
      { pageSize: 2 },
    );
    const listing = await readBackupListing(s3, BUCKET);
    expect(listing.latest).toEqual({ objects: 3, bytes: 6, newest: '2026-11-23T10:32:00.000Z' });
    expect(listing.snapshots.map((s) => [s.stamp, s.objects, s.bytes])).toEqual([
      ['2026-11-23-10-00', 3, 30],
      ['2026-11-23-09-00', 2, 20],
    ]);
    expect(listing.unparsable).toEqual([{ prefix: 'snapshots/odd/', objects: 1, bytes: 4 }]);
    expect(stats.lists.filter((l) => l.startsWith('snapshots/'))).toHaveLength(3);
    expect(stats.lists.filter((l) => l.startsWith('latest/'))).toHaveLength(2);
    expect(stats.maxInFlight).toBe(2);
  });

  it('a missing bucket is one clear usage error naming where the name came from', async () => {
    const { s3 } = fakeS3({});
    const err = await readBackupListing(s3, { name: 'openclaw-lab-backup-nope-123456789012', origin: 'backupBucketPattern with --stack nope' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('backup bucket s3://openclaw-lab-backup-nope-123456789012 does not exist (backupBucketPattern with --stack nope)');
  });
});

describe('applyBackupPrune', () => {
  it('re-lists, deletes only keys under the planned prefixes (new ones there too), never latest/ or kept ones', async () => {
    const { s3, objects } = fakeS3({
      'latest/a': 1,
      ...snapshot('2026-11-23-10-00', ['a']),
      ...snapshot('2026-11-23-10-20', ['a', 'b']),
      ...snapshot('2026-09-01-00-00', ['a']),
      'snapshots/manual/a': 1,
    });
    const plan = planBackupPrune({ ...(await readBackupListing(s3, BUCKET)), now });
    expect(plan.snapshots.filter((s) => s.action === 'delete').map((s) => s.stamp)).toEqual(['2026-09-01-00-00']);
    // Between plan and apply: a late key lands under the planned prefix, and a new snapshot appears.
    objects.set('snapshots/2026-09-01-00-00/late', 5);
    objects.set('snapshots/2026-11-23-10-30/a', 7);
    const events = recordingSink();
    const result = await applyBackupPrune(s3, BUCKET, plan, { events });
    expect(result).toEqual({
      snapshots: [{ stamp: '2026-09-01-00-00', prefix: 'snapshots/2026-09-01-00-00/', found: 2, deleted: 2, bytes: 15 }],
      failed: [],
      deletedObjects: 2,
      deletedBytes: 15,
    });
    expect([...objects.keys()].sort()).toEqual([
      'latest/a',
      'snapshots/2026-11-23-10-00/a',
      'snapshots/2026-11-23-10-20/a',
      'snapshots/2026-11-23-10-20/b',
      'snapshots/2026-11-23-10-30/a',
      'snapshots/manual/a',
    ]);
    expect(events.events.at(-1)).toMatchObject({ type: 'step-finished', step: 'delete snapshots', outcome: 'ok' });
  });

  it('sends at most 1000 keys a call and reports per-key errors without stopping', async () => {
    const many = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`snapshots/2026-09-01-00-00/f${String(i).padStart(4, '0')}`, 1]));
    const failKeys = new Set(['snapshots/2026-09-01-00-00/f0005', 'snapshots/2026-09-01-00-00/f2400']);
    const { s3, objects, stats } = fakeS3({ ...many, ...snapshot('2026-11-23-10-00', ['a']) }, { failKeys });
    const plan = planBackupPrune({ ...(await readBackupListing(s3, BUCKET)), now });
    const result = await applyBackupPrune(s3, BUCKET, plan, { events: recordingSink() });
    expect(stats.deleteBatches).toEqual([1000, 1000, 500]);
    expect(result.failed).toEqual([...failKeys].map((key) => ({ key, code: 'AccessDenied', message: 'Access Denied' })));
    expect(result.snapshots[0]).toMatchObject({ found: 2500, deleted: 2498 });
    expect(result.deletedObjects).toBe(2498);
    expect(objects.size).toBe(3);
  });

  it('a plan with nothing to delete makes no call', async () => {
    const { s3, stats } = fakeS3(snapshot('2026-11-23-10-00', ['a']));
    const plan = planBackupPrune({ ...(await readBackupListing(s3, BUCKET)), now });
    const lists = stats.lists.length;
    const result = await applyBackupPrune(s3, BUCKET, plan, { events: recordingSink() });
    expect(result).toEqual({ snapshots: [], failed: [], deletedObjects: 0, deletedBytes: 0 });
    expect(stats.lists.length).toBe(lists);
    expect(stats.deleteBatches).toEqual([]);
  });

  it('refuses a plan whose prefix is not snapshots/<stamp>/ (a guard against a doctored plan)', async () => {
    const { s3, stats } = fakeS3({ 'latest/a': 1 });
    const plan = planBackupPrune({ snapshots: [], unparsable: [], now });
    plan.snapshots.push({
      stamp: 'x',
      time: now.toISOString(),
      ageMs: 0,
      tier: 'expired',
      action: 'delete',
      keptBy: null,
      reason: 'delete: x',
      prefix: 'latest/',
      objects: 1,
      bytes: 1,
    });
    await expect(applyBackupPrune(s3, BUCKET, plan, { events: recordingSink() })).rejects.toThrow('latest/ is not a snapshot prefix');
    expect(stats.deleteBatches).toEqual([]);
  });
});
