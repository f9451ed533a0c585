// The import, poll, register and tag steps of `claw ami build` through claw's real SDK
// client code, with EC2 answered by aws-sdk-client-mock (moto has no VM import). A
// small stateful fake keeps tasks, images and tags, so re-runs see what runs left.
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeImportSnapshotTasksCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ImportSnapshotCommand,
  RegisterImageCommand,
  type Image,
  type ImportSnapshotTask,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { executeBuild, inspectBuild, type AmiBuildDeps, type AmiBuildTarget, type LocalImage } from '../../src/aws/ami-build.js';
import type { ImportFailedError } from '../../src/aws/ami-import.js';
import type { S3Api } from '../../src/aws/clients.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import { clientToken, planBuild } from '../../src/core/ami-build.js';
import { RemoteError } from '../../src/core/errors.js';
import { recordingSink } from '../../src/core/events.js';

const SHA = '5e'.repeat(32);
const KEY = 'clawdinator-nixos-20261120101010.img';
const target: AmiBuildTarget = {
  bucket: 'images-1',
  vmimportRole: 'vmimport',
  amiTag: { key: 'clawdinator', value: 'true' },
  bootMode: 'legacy-bios',
  architecture: 'x86_64',
};
const dir = mkdtempSync(join(tmpdir(), 'claw-ami-build-'));
const image: LocalImage = { path: join(dir, 'nixos.img'), format: 'raw', size: 4096, sha256: SHA, gitSha: 'c'.repeat(40), flakeLockSha256: 'f'.repeat(64) };
writeFileSync(image.path, Buffer.alloc(image.size, 1));
const tagsOf = (list: { Key?: string; Value?: string }[] | undefined): Record<string, string> => Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));
const failure = <T>(p: Promise<unknown>): Promise<T> =>
  p.then(
    () => expect.fail('expected a failure'),
    (e: unknown) => e as T,
  );
/** What every AWS answer carries (claw refuses one without a request id). */
const META = { httpStatusCode: 200, requestId: 'fake' };
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** EC2 as far as the build uses it. Each describe of a task by id advances it one script step. */
function fakeEc2(script: { Status: string; Progress?: string; StatusMessage?: string }[]) {
  const tasks: (ImportSnapshotTask & { token: string; step: number })[] = [];
  const images: Image[] = [];
  const snapshots = new Map<string, Record<string, string>>();
  const mock = mockClient(EC2Client);
  mock.on(ImportSnapshotCommand).callsFake((i) => {
    const same = tasks.find((t) => t.token === i.ClientToken);
    if (same) return { $metadata: META, ImportTaskId: same.ImportTaskId };
    const id = `import-snap-${String(tasks.length + 1).padStart(17, '0')}`;
    tasks.push({
      ImportTaskId: id,
      token: i.ClientToken,
      step: -1,
      Tags: i.TagSpecifications?.[0]?.Tags,
      SnapshotTaskDetail: { Status: 'active', Progress: '0' },
    });
    return { $metadata: META, ImportTaskId: id };
  });
  mock.on(DescribeImportSnapshotTasksCommand).callsFake((i) => {
    const picked = i.ImportTaskIds ? tasks.filter((t) => i.ImportTaskIds.includes(t.ImportTaskId)) : tasks;
    for (const t of i.ImportTaskIds ? picked : []) {
      const s = script[Math.min(++t.step, script.length - 1)]!;
      const snap = s.Status === 'completed' ? `snap-${t.ImportTaskId!.slice(-8)}` : undefined;
      if (snap && !snapshots.has(snap)) snapshots.set(snap, {});
      t.SnapshotTaskDetail = { ...s, ...(snap && { SnapshotId: snap }) };
    }
    return { $metadata: META, ImportSnapshotTasks: picked.map(({ token: _t, step: _s, ...t }) => structuredClone(t)) };
  });
  mock.on(DescribeSnapshotsCommand).callsFake((i) => {
    const id = i.SnapshotIds[0];
    if (!snapshots.has(id)) throw awsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
    return { $metadata: META, Snapshots: [{ SnapshotId: id }] };
  });
  mock.on(DescribeImagesCommand).callsFake((i) => {
    const [f] = i.Filters;
    const match = (img: Image) => (f.Name === 'name' ? f.Values.includes(img.Name) : f.Values.includes(tagsOf(img.Tags)[f.Name.slice(4)]));
    return { $metadata: META, Images: structuredClone(images.filter(match)) };
  });
  mock.on(RegisterImageCommand).callsFake((i) => {
    const id = `ami-${String(images.length + 1).padStart(17, '0')}`;
    images.push({
      ImageId: id,
      Name: i.Name,
      State: 'available',
      RootDeviceName: i.RootDeviceName,
      BlockDeviceMappings: i.BlockDeviceMappings,
      Tags: i.TagSpecifications?.[0]?.Tags ?? [],
    });
    return { $metadata: META, ImageId: id };
  });
  mock.on(CreateTagsCommand).callsFake((i) => {
    const id = i.Resources[0];
    const img = images.find((x) => x.ImageId === id);
    if (img) img.Tags = Object.entries({ ...tagsOf(img.Tags), ...tagsOf(i.Tags) }).map(([Key, Value]) => ({ Key, Value }));
    else if (snapshots.has(id)) snapshots.set(id, { ...snapshots.get(id), ...tagsOf(i.Tags) });
    else throw awsError('InvalidID', `no ${id}`);
    return { $metadata: META };
  });
  return { mock, tasks, images, snapshots };
}

function fakeS3(objects: Record<string, { size: number; sha256: string }> = {}): S3Api & { uploads: string[] } {
  const uploads: string[] = [];
  const no = () => Promise.reject(new Error('not used'));
  return {
    uploads,
    listObjectsV2: async () => ({ $metadata: {}, Contents: Object.entries(objects).map(([Key, o]) => ({ Key, Size: o.size, LastModified: new Date() })) }),
    headObject: async (i) => ({ $metadata: {}, Metadata: { sha256: objects[i.Key!]!.sha256 } }),
    upload: async (i) => {
      uploads.push(i.Key);
      objects[i.Key] = { size: image.size, sha256: i.Metadata!.sha256! };
      i.onProgress?.(image.size, image.size);
      return {};
    },
    headBucket: no,
    putObject: no,
    deleteObjects: no,
    getObject: no,
    deleteObject: no,
    getBucketLifecycleConfiguration: no,
    putBucketLifecycleConfiguration: no,
    copyObject: no,
    createMultipartUpload: no,
    uploadPartCopy: no,
    completeMultipartUpload: no,
    abortMultipartUpload: no,
  };
}

const SCRIPT = [
  { Status: 'active', Progress: '10', StatusMessage: 'pending' },
  { Status: 'active', Progress: '55', StatusMessage: 'converting' },
  { Status: 'completed' },
];

describe('claw ami build: import, poll, register, tag (aws-sdk-client-mock)', () => {
  let world: ReturnType<typeof fakeEc2>;
  let s3: ReturnType<typeof fakeS3>;
  let sleeps: number[];
  const now = new Date('2026-11-23T10:00:00Z');
  const ec2 = createSdkClients({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }).ec2;
  const deps = (over: Partial<AmiBuildDeps> = {}) => {
    const events = recordingSink();
    return { ec2, s3, now: () => now, sleep: async (ms: number) => void sleeps.push(ms), ...over, events } satisfies AmiBuildDeps;
  };
  const build = async (d: AmiBuildDeps = deps()) => {
    const state = await inspectBuild(d, target, image);
    return executeBuild(d, target, image, planBuild(state), state);
  };

  beforeEach(() => {
    world?.mock.restore();
    world = fakeEc2(SCRIPT);
    s3 = fakeS3();
    sleeps = [];
  });
  afterAll(() => {
    world?.mock.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads, imports with the vmimport role and a hash token, polls with progress, registers and tags', async () => {
    const d = deps();
    const r = await build(d);
    expect(s3.uploads).toEqual(['clawdinator-nixos-20261123100000.img']);
    const [imp] = world.mock.commandCalls(ImportSnapshotCommand);
    expect(imp!.args[0].input).toMatchObject({
      RoleName: 'vmimport',
      ClientToken: clientToken(SHA, 1),
      DiskContainer: { Format: 'RAW', UserBucket: { S3Bucket: 'images-1', S3Key: 'clawdinator-nixos-20261123100000.img' } },
      TagSpecifications: [{ ResourceType: 'import-snapshot-task', Tags: expect.arrayContaining([{ Key: 'clawdinator:image-sha256', Value: SHA }]) }],
    });
    const progress = d.events.events.filter((e) => e.type === 'progress' && e.step === 'import').map((e) => (e as { done: number }).done);
    expect(progress).toEqual([10, 55, 100]);
    expect(sleeps).toEqual([5000, 7500]); // backoff between polls
    const [reg] = world.mock.commandCalls(RegisterImageCommand);
    expect(reg!.args[0].input).toMatchObject({
      Name: 'clawdinator-nixos-20261123100000',
      Architecture: 'x86_64',
      BootMode: 'legacy-bios',
      VirtualizationType: 'hvm',
      EnaSupport: true,
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: r.snapshotId, DeleteOnTermination: true, VolumeType: 'gp3' } }],
    });
    expect(tagsOf(world.images[0]!.Tags)).toEqual({
      Name: r.name,
      clawdinator: 'true',
      'artifact-kind': 'ami',
      'source-s3-key': r.sourceS3Key,
      'clawdinator:git-sha': image.gitSha,
      'clawdinator:flake-lock-sha256': image.flakeLockSha256,
      'clawdinator:image-sha256': SHA,
    });
    expect(world.snapshots.get(r.snapshotId)).toMatchObject({
      Name: `${r.name}-root-snapshot`,
      'artifact-kind': 'ami-root-snapshot',
      'source-s3-key': r.sourceS3Key,
      'clawdinator:image-sha256': SHA,
    });
    expect(r).toEqual({
      imageId: world.images[0]!.ImageId,
      name: r.name,
      sourceS3Key: 'clawdinator-nixos-20261123100000.img',
      snapshotId: r.snapshotId,
      importTaskId: world.tasks[0]!.ImportTaskId,
      sha256: SHA,
      reused: { object: false, importTask: false, image: false },
    });
  });

  it('a failed task ends with the AWS status message and what to check; the next run starts attempt 2', async () => {
    world.mock.restore();
    world = fakeEc2([
      { Status: 'active', Progress: '20' },
      { Status: 'deleted', StatusMessage: 'ClientError: Disk validation failed [Unsupported specified file format]' },
    ]);
    const err = await failure<ImportFailedError>(build());
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/^import task import-snap-\d+ deleted: ClientError: Disk validation failed \[Unsupported specified file format\]$/);
    expect(err.hint).toMatch(
      /IAM role "vmimport" exists, trusts vmie\.amazonaws\.com and may read s3:\/\/images-1\/clawdinator-nixos-\d{14}\.img.*RAW disk image/,
    );
    const retry = deps();
    await build(retry).catch(() => undefined);
    expect(world.mock.commandCalls(ImportSnapshotCommand).map((c) => c.args[0].input.ClientToken)).toEqual([clientToken(SHA, 1), clientToken(SHA, 2)]);
    expect(s3.uploads).toHaveLength(1); // the object is reused
    expect(retry.events.events).toContainEqual({
      type: 'warning',
      message: expect.stringMatching(/earlier import import-snap-\d+ ended deleted: ClientError/),
    });
  });

  it('a refused ImportSnapshot (role missing) names what to check', async () => {
    world.mock
      .on(ImportSnapshotCommand)
      .rejects(awsError('InvalidParameter', 'The service role vmimport provided does not exist or does not have sufficient permissions'));
    await expect(build()).rejects.toMatchObject({
      message: /^ImportSnapshot refused: InvalidParameter: The service role vmimport/,
      hint: /trusts vmie\.amazonaws\.com/,
    });
  });

  it('gives up after the timeout, saying the task keeps running', async () => {
    world.mock.restore();
    world = fakeEc2([{ Status: 'active', Progress: '3', StatusMessage: 'validating' }]);
    let t = now.getTime();
    const d = deps({ now: () => new Date(t), sleep: async (ms: number) => void (t += ms), poll: { timeoutMs: 60_000 } });
    await expect(build(d)).rejects.toMatchObject({ message: /is still active \(validating\) after 1 min$/, hint: /re-run claw ami build later/ });
  });

  it('resumes after the upload: finds the object by hash, keeps its stamp', async () => {
    s3 = fakeS3({ [KEY]: { size: image.size, sha256: SHA }, 'clawdinator-nixos-20261120101011.img': { size: image.size, sha256: 'other' } });
    const r = await build();
    expect(s3.uploads).toEqual([]);
    expect(r).toMatchObject({ name: 'clawdinator-nixos-20261120101010', sourceS3Key: KEY, reused: { object: true, importTask: false, image: false } });
  });

  it('resumes while the task is active: no second import, waits for the same task', async () => {
    const first = deps({ sleep: async () => Promise.reject(Object.assign(new Error('interrupted'), { name: 'AbortError' })) });
    await expect(build(first)).rejects.toThrow(/interrupted/);
    const r = await build();
    expect(world.mock.commandCalls(ImportSnapshotCommand)).toHaveLength(1);
    expect(s3.uploads).toHaveLength(1);
    expect(r).toMatchObject({ importTaskId: world.tasks[0]!.ImportTaskId, reused: { object: true, importTask: true, image: false } });
  });

  it('resumes after register, before the tags: finds the image by name and tags it, registers nothing', async () => {
    await build();
    const img = world.images[0]!;
    img.Tags = []; // as if registered without tags
    world.snapshots.set(img.BlockDeviceMappings![0]!.Ebs!.SnapshotId!, {});
    const r = await build();
    expect(world.mock.commandCalls(RegisterImageCommand)).toHaveLength(1);
    expect(r).toMatchObject({ imageId: img.ImageId, reused: { image: true } });
    expect(tagsOf(img.Tags)).toMatchObject({ Name: r.name, 'clawdinator:image-sha256': SHA, clawdinator: 'true' });
    expect(world.snapshots.get(r.snapshotId)).toMatchObject({ 'artifact-kind': 'ami-root-snapshot' });
  });

  it('a finished build is found by its hash tag: nothing is redone, the first provenance stays', async () => {
    const first = await build();
    const after = await build(deps()); // a later HEAD would not rewrite the recorded git sha
    expect(after).toEqual({ ...first, reused: { object: true, importTask: true, image: true } });
    expect(world.mock.commandCalls(ImportSnapshotCommand)).toHaveLength(1);
    expect(world.mock.commandCalls(RegisterImageCommand)).toHaveLength(1);
  });

  it('starts a new import when the earlier snapshot was deleted, and runs the after-build hook', async () => {
    await build();
    world.images.length = 0; // pruned: image deregistered, snapshot deleted
    world.snapshots.clear();
    const built: string[] = [];
    const r = await build(deps({ afterBuild: async (id) => void built.push(id) }));
    expect(world.mock.commandCalls(ImportSnapshotCommand).at(-1)!.args[0].input.ClientToken).toBe(clientToken(SHA, 2));
    expect(built).toEqual([r.imageId]);
    const d = deps({ afterBuild: async () => Promise.reject(new Error('prune: lookup failed')) });
    await expect(build(d)).rejects.toThrow('prune: lookup failed');
    expect(d.events.events).toContainEqual({ type: 'warning', message: `${r.imageId} (${r.name}) is built and tagged; what ran after the build failed` });
  });
});
