// The upload step of `claw ami build` against a real moto S3 through claw's SDK
// clients (lib-storage multipart), with EC2 faked: moto has no VM import.
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { executeBuild, inspectBuild, type AmiBuildDeps, type AmiBuildTarget, type LocalImage } from '../../src/aws/ami-build.js';
import type { Ec2Api } from '../../src/aws/clients.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import { planBuild } from '../../src/core/ami-build.js';
import { recordingSink } from '../../src/core/events.js';

const endpoint = inject('motoEndpoint');
if (!endpoint) {
  const why = inject('motoSkipReason') ?? 'moto is not available';
  if (process.env.CI === 'true') it('moto is available (required under CI=true)', () => expect.fail(why));
  else console.warn(`\n*** SKIPPING ami build upload tests against moto: ${why} ***\n`);
}

/** EC2 with an import that completes at once; enough for the steps around the upload. */
function instantEc2(): Ec2Api & { imports: string[] } {
  const imports: string[] = [];
  let n = 0;
  const ok = { $metadata: {} };
  const no = () => Promise.reject(new Error('not used'));
  return {
    imports,
    describeImages: async () => ({ ...ok, Images: [] }),
    describeImportSnapshotTasks: async (i) => ({
      ...ok,
      ImportSnapshotTasks: (i.ImportTaskIds ?? []).map((id) => ({ ImportTaskId: id, SnapshotTaskDetail: { Status: 'completed', SnapshotId: `snap-${id}` } })),
    }),
    importSnapshot: async (i) => (imports.push(i.DiskContainer!.UserBucket!.S3Key!), { ...ok, ImportTaskId: `import-snap-${++n}` }),
    registerImage: async () => ({ ...ok, ImageId: `ami-0000000000000000${n}` }),
    createTags: async () => ok,
    describeSnapshots: no,
    describeInstances: no,
    deleteTags: no,
    deregisterImage: no,
    deleteSnapshot: no,
    describeInstanceTypes: no,
    describeSpotPriceHistory: no,
  };
}

describe.skipIf(!endpoint)('claw ami build: upload to moto S3', () => {
  const bucket = `claw-images-${randomBytes(4).toString('hex')}`;
  const target: AmiBuildTarget = {
    bucket,
    vmimportRole: 'vmimport',
    amiTag: { key: 'clawdinator', value: 'true' },
    bootMode: 'legacy-bios',
    architecture: 'x86_64',
  };
  const dir = mkdtempSync(join(tmpdir(), 'claw-upload-'));
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  let raw: S3Client;
  let s3: AmiBuildDeps['s3'];

  const localImage = (name: string, bytes: Buffer): LocalImage => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return { path, format: 'raw', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  };
  const build = async (image: LocalImage, at: string) => {
    const events = recordingSink();
    const ec2 = instantEc2();
    const deps: AmiBuildDeps = { ec2, s3, events, now: () => new Date(at), sleep: async () => undefined };
    const state = await inspectBuild(deps, target, image);
    return { result: await executeBuild(deps, target, image, planBuild(state), state), events: events.events, ec2 };
  };
  const keys = async () => ((await raw.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();

  beforeAll(async () => {
    raw = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', credentials, forcePathStyle: true });
    await raw.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    s3 = createSdkClients({ region: 'eu-central-1', endpointUrl: endpoint!, credentials }).s3;
  });
  afterAll(() => {
    raw?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  // Larger than one 16 MiB part, so lib-storage uploads it in parts.
  const big = randomBytes(20 * 1024 * 1024 + 123);

  it('uploads in parts with byte progress and the sha256 in the metadata', async () => {
    const image = localImage('nixos.img', big);
    const { result, events, ec2 } = await build(image, '2026-11-23T10:00:00Z');
    const key = 'clawdinator-nixos-20261123100000.img';
    expect(result).toMatchObject({ sourceS3Key: key, name: 'clawdinator-nixos-20261123100000', reused: { object: false, importTask: false, image: false } });
    expect(ec2.imports).toEqual([key]);
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata).toEqual({ sha256: image.sha256 });
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/-2"$/); // a multipart upload's ETag counts its parts
    const progress = events.filter((e) => e.type === 'progress' && e.step === 'upload') as { done: number; total?: number }[];
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((p, i) => p.total === big.length && (i === 0 || p.done >= progress[i - 1]!.done))).toBe(true);
    expect(progress.at(-1)!.done).toBe(big.length);
  });

  it('a second run finds the object by its hash and does not upload again', async () => {
    const image = localImage('again.img', big);
    const { result, events, ec2 } = await build(image, '2026-11-23T11:00:00Z');
    expect(result).toMatchObject({ sourceS3Key: 'clawdinator-nixos-20261123100000.img', name: 'clawdinator-nixos-20261123100000', reused: { object: true } });
    expect(ec2.imports).toEqual(['clawdinator-nixos-20261123100000.img']);
    expect(events).toContainEqual({
      type: 'step-finished',
      step: 'upload',
      outcome: 'skipped',
      detail: `s3://${bucket}/clawdinator-nixos-20261123100000.img has this image`,
    });
    expect(await keys()).toEqual(['clawdinator-nixos-20261123100000.img']);
  });

  it('another image of the same size is a new object (the hash decides, not the size)', async () => {
    const other = Buffer.from(big);
    other[0] = other[0]! ^ 0xff;
    const { result } = await build(localImage('other.img', other), '2026-11-23T12:00:00Z');
    expect(result).toMatchObject({ sourceS3Key: 'clawdinator-nixos-20261123120000.img', reused: { object: false } });
    expect(await keys()).toEqual(['clawdinator-nixos-20261123100000.img', 'clawdinator-nixos-20261123120000.img']);
  });

  it('a missing bucket is one clear error', async () => {
    const missing = { ...target, bucket: `${bucket}-missing` };
    const deps: AmiBuildDeps = { ec2: instantEc2(), s3, events: recordingSink(), now: () => new Date() };
    await expect(inspectBuild(deps, missing, localImage('x.img', Buffer.from('x')))).rejects.toThrow(`the images bucket ${bucket}-missing does not exist`);
  });
});
