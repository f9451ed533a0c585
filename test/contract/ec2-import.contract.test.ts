import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImportSnapshotTasksCommand, EC2Client, EC2ServiceException, ImportSnapshotCommand, type ImportSnapshotTask } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ec2Api } from '../../src/aws/clients.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { collectPages, expectAwsError, motoEndpoint, SEED_DIR } from './backends.js';
import { narrowClients } from './moto-clients.js';

// The VM import contract (ImportSnapshot, DescribeImportSnapshotTasks). moto 5.2.1 has
// no VM import (pinned at the end), so the shared tests run against the sandbox and
// against claw's production SDK clients with EC2Client mocked by aws-sdk-client-mock,
// replaying AWS-shaped answers modelled on the API reference
// (test/contract/recorded/ec2-import-snapshot.json, not captured from a live account).
// What a replay cannot show (idempotency, sizes, pagination, errors) is sandbox only.

type ImportApi = Pick<Ec2Api, 'importSnapshot' | 'describeImportSnapshotTasks'>;
type Scenario = 'completes' | 'fails' | 'no-role';

interface ImportBackend {
  ec2: ImportApi;
  /** Make the next import go this way; answers the object to import. */
  arrange(scenario: Scenario): Promise<{ bucket: string; key: string }>;
  close(): Promise<void>;
}

interface Recorded {
  importSnapshot: ImportSnapshotTask;
  describeUntilCompleted: ImportSnapshotTask[];
  describeUntilDeleted: ImportSnapshotTask[];
  roleMissing: { name: string; message: string };
}

const recorded = JSON.parse(readFileSync(new URL('./recorded/ec2-import-snapshot.json', import.meta.url), 'utf8')) as Recorded;
const IMAGES = 'clawdinator-images-eu1-20260107165216';
const GIB = 1024 ** 3;

async function sandboxAt(): Promise<{ sandbox: Sandbox; home: string }> {
  const home = await mkdtemp(join(tmpdir(), 'claw-contract-import-'));
  return { sandbox: await openSandbox({ home, seedDir: SEED_DIR }), home };
}

const importBackends: Record<string, () => Promise<ImportBackend>> = {
  sandbox: async () => {
    const { sandbox, home } = await sandboxAt();
    const key = 'clawdinator-nixos-20990101000000.raw';
    await sandbox.admin.putObject(IMAGES, key, { size: Math.round(7.4 * GIB) });
    return {
      ec2: sandbox.clients.ec2,
      arrange: async (scenario) => {
        await sandbox.admin.createRole('vmimport');
        if (scenario === 'fails') await sandbox.admin.failNextImport();
        if (scenario === 'no-role') await sandbox.admin.deleteRole('vmimport');
        return { bucket: IMAGES, key };
      },
      close: () => rm(home, { recursive: true, force: true, maxRetries: 5 }),
    };
  },
  'recorded AWS (aws-sdk-client-mock)': async () => {
    // Every EC2Client of this file is mocked while this backend is open, including the
    // one claw's production createSdkClients makes: its code path runs, AWS does not.
    const mock = mockClient(EC2Client);
    let scenario: Scenario = 'completes';
    let answers: ImportSnapshotTask[] = [];
    mock.on(ImportSnapshotCommand).callsFake(() => {
      if (scenario === 'no-role') {
        throw new EC2ServiceException({ ...recorded.roleMissing, $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      answers = [...(scenario === 'completes' ? recorded.describeUntilCompleted : recorded.describeUntilDeleted)];
      const first =
        scenario === 'completes'
          ? recorded.importSnapshot
          : { ...recorded.describeUntilDeleted[0]!, SnapshotTaskDetail: { ...recorded.describeUntilDeleted[0]!.SnapshotTaskDetail, Progress: '2' } };
      return { $metadata: { httpStatusCode: 200, requestId: 'recorded' }, ...first };
    });
    mock.on(DescribeImportSnapshotTasksCommand).callsFake(() => {
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      return { $metadata: { httpStatusCode: 200, requestId: 'recorded' }, ImportSnapshotTasks: [next] };
    });
    const clients = createSdkClients({
      region: 'eu-central-1',
      endpointUrl: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
      maxAttempts: 1,
    });
    const user = recorded.importSnapshot.SnapshotTaskDetail!.UserBucket!;
    return {
      ec2: clients.ec2,
      arrange: async (s) => {
        scenario = s;
        return { bucket: user.S3Bucket!, key: user.S3Key! };
      },
      close: async () => mock.restore(),
    };
  },
};

/** Poll the task until it leaves `active`; every answer seen, in order. */
async function pollTask(ec2: ImportApi, id: string): Promise<ImportSnapshotTask[]> {
  const seen: ImportSnapshotTask[] = [];
  for (let n = 0; n < 20; n++) {
    const out = await ec2.describeImportSnapshotTasks({ ImportTaskIds: [id] });
    expect(out.ImportSnapshotTasks).toHaveLength(1);
    seen.push(out.ImportSnapshotTasks![0]!);
    if (seen.at(-1)!.SnapshotTaskDetail?.Status !== 'active') return seen;
  }
  throw new Error(`import task ${id} still active after 20 polls`);
}

for (const [name, open] of Object.entries(importBackends)) {
  describe(`EC2 importSnapshot / describeImportSnapshotTasks [${name}]`, () => {
    let backend: ImportBackend;
    beforeAll(async () => {
      backend = await open();
    });
    afterAll(async () => backend.close());

    it('starts an active task on the uploaded object and echoes its format and bucket', async () => {
      const { bucket, key } = await backend.arrange('completes');
      const out = await backend.ec2.importSnapshot({
        RoleName: 'vmimport',
        ClientToken: `claw-${name.length}-start`,
        DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: bucket, S3Key: key } },
      });
      expect(out.ImportTaskId).toMatch(/^import-snap-[0-9a-f]{17}$/);
      expect(out.SnapshotTaskDetail).toMatchObject({ Status: 'active', Format: 'RAW', UserBucket: { S3Bucket: bucket, S3Key: key } });
      expect(Number(out.SnapshotTaskDetail!.Progress)).toBeGreaterThanOrEqual(0);
    });

    it('polling shows rising progress while active, then completed with the new snapshot and the image size', async () => {
      const { bucket, key } = await backend.arrange('completes');
      const { ImportTaskId } = await backend.ec2.importSnapshot({ DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: bucket, S3Key: key } } });
      const seen = await pollTask(backend.ec2, ImportTaskId!);
      const active = seen.slice(0, -1).map((t) => t.SnapshotTaskDetail!);
      expect(active.length).toBeGreaterThanOrEqual(1);
      for (const d of active) {
        expect(d.Status).toBe('active');
        expect(d.Progress).toMatch(/^\d{1,3}$/);
        expect(typeof d.StatusMessage).toBe('string');
      }
      const progress = active.map((d) => Number(d.Progress));
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
      const done = seen.at(-1)!.SnapshotTaskDetail!;
      expect(done).toMatchObject({ Status: 'completed', Format: 'RAW' });
      expect(done.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
      expect(done.DiskImageSize).toBeGreaterThan(7 * GIB);
      expect(done.Progress).toBeUndefined();
      expect(done.StatusMessage).toBeUndefined();
    });

    it("a failed import ends deleted, with AWS's status message and no snapshot", async () => {
      const { bucket, key } = await backend.arrange('fails');
      const { ImportTaskId } = await backend.ec2.importSnapshot({ DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: bucket, S3Key: key } } });
      const end = (await pollTask(backend.ec2, ImportTaskId!)).at(-1)!.SnapshotTaskDetail!;
      expect(end.Status).toBe('deleted');
      expect(end.StatusMessage).toMatch(/^ClientError: /);
      expect(end.SnapshotId).toBeUndefined();
    });

    it('a missing vmimport role is refused at once with InvalidParameter', async () => {
      const { bucket, key } = await backend.arrange('no-role');
      const err = await expectAwsError(
        backend.ec2.importSnapshot({ RoleName: 'vmimport', DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: bucket, S3Key: key } } }),
        'InvalidParameter',
        400,
      );
      expect(err.message).toBe(recorded.roleMissing.message);
    });
  });
}

describe('EC2 import: the sandbox answers with the recorded AWS shape', () => {
  it('every field AWS sends is there with the same type, active and completed', async () => {
    const { sandbox, home } = await sandboxAt();
    const key = (await sandbox.clients.s3.listObjectsV2({ Bucket: IMAGES, Prefix: 'clawdinator-nixos-' })).Contents![0]!.Key!;
    const typeOf = (v: unknown) => (v instanceof Date ? 'Date' : Array.isArray(v) ? 'array' : typeof v);
    const shape = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeOf(v)]));
    const task = await sandbox.clients.ec2.importSnapshot({
      Description: 'd',
      DiskContainer: { Description: 'disk', Format: 'raw', UserBucket: { S3Bucket: IMAGES, S3Key: key } },
      TagSpecifications: [{ ResourceType: 'import-snapshot-task', Tags: [{ Key: 'clawdinator', Value: 'true' }] }],
    });
    const { $metadata: _m, ...started } = task;
    expect(shape(started)).toEqual(shape(recorded.importSnapshot));
    expect(shape(started.SnapshotTaskDetail!)).toEqual(shape(recorded.importSnapshot.SnapshotTaskDetail!));
    const seen = await pollTask(sandbox.clients.ec2, task.ImportTaskId!);
    expect(shape(seen.at(-1)!.SnapshotTaskDetail!)).toEqual(shape(recorded.describeUntilCompleted.at(-1)!.SnapshotTaskDetail!));
    expect(seen.at(-1)!.Tags).toEqual([{ Key: 'clawdinator', Value: 'true' }]);
    await rm(home, { recursive: true, force: true, maxRetries: 5 });
  });
});

// Sandbox only: what a replayed answer cannot show.
describe('EC2 import, sandbox only (moto has no VM import)', () => {
  let sandbox: Sandbox;
  let home: string;
  let key: string;
  let size: number;
  beforeAll(async () => {
    ({ sandbox, home } = await sandboxAt());
    const obj = (await sandbox.clients.s3.listObjectsV2({ Bucket: IMAGES, Prefix: 'clawdinator-nixos-' })).Contents![0]!;
    key = obj.Key!;
    size = obj.Size!;
  });
  afterAll(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));
  const disk = (k = key) => ({ Format: 'RAW', UserBucket: { S3Bucket: IMAGES, S3Key: k } });

  it('steps: active 10, 50, 90, then completed; the snapshot is the object rounded up to GiB and registers as an AMI', async () => {
    const { ImportTaskId } = await sandbox.clients.ec2.importSnapshot({ DiskContainer: disk() });
    const seen = await pollTask(sandbox.clients.ec2, ImportTaskId!);
    expect(seen.map((t) => t.SnapshotTaskDetail!.Progress ?? t.SnapshotTaskDetail!.Status)).toEqual(['10', '50', '90', 'completed']);
    const snapshotId = seen.at(-1)!.SnapshotTaskDetail!.SnapshotId!;
    const snap = (await sandbox.clients.ec2.describeSnapshots({ SnapshotIds: [snapshotId] })).Snapshots![0]!;
    expect(snap).toMatchObject({ VolumeSize: Math.ceil(size / GIB), State: 'completed', Description: `Created by AWS-VMImport service for ${ImportTaskId}` });
    expect(snap.Tags).toBeUndefined();
    // Describing a finished task again changes nothing.
    expect((await pollTask(sandbox.clients.ec2, ImportTaskId!)).at(-1)!.SnapshotTaskDetail!.SnapshotId).toBe(snapshotId);
    const image = await sandbox.clients.ec2.registerImage({
      Name: 'clawdinator-nixos-20990101000000',
      Architecture: 'x86_64',
      RootDeviceName: '/dev/xvda',
      VirtualizationType: 'hvm',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId } }],
    });
    expect(image.ImageId).toMatch(/^ami-/);
  });

  it('the same ClientToken answers the same task; with other parameters it is IdempotentParameterMismatch', async () => {
    const first = await sandbox.clients.ec2.importSnapshot({ ClientToken: 'sha256-abc', DiskContainer: disk() });
    const again = await sandbox.clients.ec2.importSnapshot({ ClientToken: 'sha256-abc', DiskContainer: disk() });
    expect(again.ImportTaskId).toBe(first.ImportTaskId);
    expect(sandbox.admin.state().importTasks.filter((t) => t.clientToken === 'sha256-abc')).toHaveLength(1);
    await expectAwsError(
      sandbox.clients.ec2.importSnapshot({ ClientToken: 'sha256-abc', DiskContainer: { ...disk(), Format: 'VHD' } }),
      'IdempotentParameterMismatch',
      400,
    );
  });

  it('a missing object ends deleted on the second poll; a missing bucket is refused at once', async () => {
    const { ImportTaskId } = await sandbox.clients.ec2.importSnapshot({ DiskContainer: disk('nope.raw') });
    const seen = await pollTask(sandbox.clients.ec2, ImportTaskId!);
    expect(seen.map((t) => t.SnapshotTaskDetail!.Status)).toEqual(['active', 'deleted']);
    expect(seen[1]!.SnapshotTaskDetail!.StatusMessage).toMatch(/^ClientError: Disk validation failed/);
    const err = await expectAwsError(
      sandbox.clients.ec2.importSnapshot({ DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: 'no-such-bucket', S3Key: 'k' } } }),
      'InvalidParameter',
      400,
    );
    expect(err.message).toBe('S3 bucket does not exist: s3://no-such-bucket/');
  });

  it("failNextImport can end a task in error with a message of the test's choosing, once", async () => {
    await sandbox.admin.failNextImport({ status: 'error', message: 'ServerError: the import service is unavailable' });
    const doomed = await sandbox.clients.ec2.importSnapshot({ DiskContainer: disk() });
    const fine = await sandbox.clients.ec2.importSnapshot({ DiskContainer: disk() });
    expect((await pollTask(sandbox.clients.ec2, doomed.ImportTaskId!)).at(-1)!.SnapshotTaskDetail).toMatchObject({
      Status: 'error',
      StatusMessage: 'ServerError: the import service is unavailable',
    });
    expect((await pollTask(sandbox.clients.ec2, fine.ImportTaskId!)).at(-1)!.SnapshotTaskDetail!.Status).toBe('completed');
  });

  it('refuses a bad format, an unknown role, a task tag on another resource type', async () => {
    await expectAwsError(sandbox.clients.ec2.importSnapshot({ DiskContainer: { ...disk(), Format: 'qcow2' } }), 'InvalidParameterValue', 400);
    const role = await expectAwsError(sandbox.clients.ec2.importSnapshot({ RoleName: 'nobody', DiskContainer: disk() }), 'InvalidParameter', 400);
    expect(role.message).toBe('The service role nobody provided does not exist or does not have sufficient permissions');
    await expectAwsError(
      sandbox.clients.ec2.importSnapshot({ DiskContainer: disk(), TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'a', Value: 'b' }] }] }),
      'InvalidParameterValue',
      400,
    );
  });

  it('unknown and malformed task ids; tag filters; MaxResults pages', async () => {
    await expectAwsError(sandbox.clients.ec2.describeImportSnapshotTasks({ ImportTaskIds: ['import-snap-0123456789abcdef0'] }), 'InvalidConversionTaskId', 400);
    await expectAwsError(
      sandbox.clients.ec2.describeImportSnapshotTasks({ ImportTaskIds: ['snap-0123456789abcdef0'] }),
      'InvalidConversionTaskId.Malformed',
      400,
    );
    const tagged = await sandbox.clients.ec2.importSnapshot({
      DiskContainer: disk(),
      TagSpecifications: [{ ResourceType: 'import-snapshot-task', Tags: [{ Key: 'build', Value: 'x1' }] }],
    });
    const byTag = await sandbox.clients.ec2.describeImportSnapshotTasks({ Filters: [{ Name: 'tag:build', Values: ['x1'] }] });
    expect(byTag.ImportSnapshotTasks!.map((t) => t.ImportTaskId)).toEqual([tagged.ImportTaskId]);
    const total = sandbox.admin.state().importTasks.length;
    const pages = await collectPages(async (token) => {
      const out = await sandbox.clients.ec2.describeImportSnapshotTasks({ MaxResults: 2, NextToken: token });
      return { items: out.ImportSnapshotTasks ?? [], next: out.NextToken };
    });
    expect(pages.flat()).toHaveLength(total);
    expect(pages.every((p) => p.length <= 2)).toBe(true);
  });
});

describe.skipIf(!motoEndpoint().endpoint)('EC2 import: moto 5.2.1 does not implement it', () => {
  it('ImportSnapshot answers HTTP 500 (the SDK throws a deserialization Error)', async () => {
    const ec2 = narrowClients(motoEndpoint().endpoint!).ec2;
    const err = (await ec2
      .importSnapshot({ DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: 'b', S3Key: 'k' } } })
      .catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(err.message).toMatch(/Deserialization error/);
  });
});
