import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Instance } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { AMI_ID_RE, FULL_SHA_RE, INSTANCE_ID_RE } from '../../src/core/patterns.js';
import { openSandbox, resetSandbox, sandboxStatePath, type Sandbox } from '../../src/sandbox/index.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
// A Friday, mid-hour: the hourly/daily/Friday snapshot series all have something to align to.
const NOW = new Date('2026-03-06T12:34:56.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BACKUP = 'openclaw-lab-backup-lab-123456789012';
const IMAGES = 'clawdinator-images-eu1-20260107165216';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-sandbox-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true, maxRetries: 5 });
});

const open = (now: Date = NOW, seedDir = SEED_DIR) => openSandbox({ home, seedDir, now: () => now });
const instancesOf = (out: { Reservations?: { Instances?: Instance[] }[] }) => (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
const tag = (tags: { Key?: string; Value?: string }[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

async function keys(sb: Sandbox, bucket: string, prefix?: string): Promise<string[]> {
  const out = await sb.clients.s3.listObjectsV2({ Bucket: bucket, Prefix: prefix });
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe('seeding from fixtures/sandbox', () => {
  it('writes <home>/sandbox/state.json on first open', async () => {
    await open();
    const state = JSON.parse(await readFile(sandboxStatePath(home), 'utf8'));
    expect(sandboxStatePath(home)).toBe(join(home, 'sandbox', 'state.json'));
    expect(state).toMatchObject({ version: 1, accountId: '123456789012', region: 'eu-central-1', seededAt: NOW.toISOString() });
  });

  it('seeds the fleet the demo describes', async () => {
    const sb = await open();
    const fleet = instancesOf(await sb.clients.ec2.describeInstances({ Filters: [{ Name: 'tag:app', Values: ['clawdinator'] }] }));
    const byName = (name: string) => fleet.filter((i) => tag(i.Tags, 'Name') === name);
    expect(fleet.map((i) => tag(i.Tags, 'Name')).sort()).toEqual([
      'clawdinator-1',
      'clawdinator-2',
      'clawdinator-2',
      'clawdinator-3',
      'clawdinator-babelfish',
      'clawdinator-scratch',
    ]);
    expect(fleet.some((i) => tag(i.Tags, 'Name') === 'bastion')).toBe(false);
    expect(fleet.some((i) => tag(i.Tags, 'Name') === 'openclaw-lab')).toBe(false);

    const images = (await sb.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'tag:clawdinator', Values: ['true'] }] })).Images!;
    expect(images).toHaveLength(9);
    const newestFirst = [...images].sort((a, b) => b.CreationDate!.localeCompare(a.CreationDate!));
    const [newest, second] = newestFirst;

    const one = byName('clawdinator-1')[0]!;
    const two = byName('clawdinator-2').find((i) => i.State?.Name === 'running')!;
    const babel = byName('clawdinator-babelfish')[0]!;
    expect(one).toMatchObject({
      InstanceType: 't3.large',
      ImageId: newest!.ImageId,
      Placement: { AvailabilityZone: 'eu-central-1a' },
      State: { Name: 'running' },
    });
    expect(two).toMatchObject({
      InstanceType: 't3.large',
      ImageId: newest!.ImageId,
      Placement: { AvailabilityZone: 'eu-central-1b' },
      State: { Name: 'running' },
    });
    expect(babel).toMatchObject({ InstanceType: 't3.medium', ImageId: second!.ImageId, State: { Name: 'running' } });
    expect(byName('clawdinator-scratch')[0]!.State).toEqual({ Code: 80, Name: 'stopped' });
    expect(
      byName('clawdinator-2')
        .map((i) => i.State?.Name)
        .sort(),
    ).toEqual(['running', 'terminated']);

    for (const i of [one, two, babel]) expect(tag(i.Tags, 'clawdinator:rev')).toMatch(FULL_SHA_RE);
    expect(tag(one.Tags, 'clawdinator:rev')).toBe(tag(two.Tags, 'clawdinator:rev'));
    expect(tag(babel.Tags, 'clawdinator:rev')).not.toBe(tag(one.Tags, 'clawdinator:rev'));
    for (const i of fleet) expect(i.InstanceId).toMatch(INSTANCE_ID_RE);

    // The foreign public images (the bastion's Debian, the OpenClaw host's NixOS) are
    // visible without Owners, never with Owners: ['self'].
    const all = (await sb.clients.ec2.describeImages({})).Images!;
    const foreign = all.filter((i) => i.OwnerId !== '123456789012').sort((a, b) => a.Name!.localeCompare(b.Name!));
    expect(foreign.map((i) => [i.Name!.split('-')[0]!.split('/')[0], i.Public, i.Tags])).toEqual([
      ['debian', true, undefined],
      ['nixos', true, undefined],
    ]);
    for (const i of all) expect(i.ImageId).toMatch(AMI_ID_RE);

    const ssm = await sb.clients.ssm.describeInstanceInformation({});
    expect(Object.fromEntries(ssm.InstanceInformationList!.map((i) => [i.InstanceId, i.PingStatus]))).toEqual({
      [one.InstanceId!]: 'Online',
      [two.InstanceId!]: 'Online',
      [babel.InstanceId!]: 'Online',
      'i-03b5d7f9a1c2e4068': 'Online',
      // The seed's SSM problem: the stopped, unregistered instance's agent is not reached.
      [byName('clawdinator-scratch')[0]!.InstanceId!]: 'ConnectionLost',
      'i-07e1a3c5b9d2f4068': 'Online', // openclaw-lab
    });

    // Spot data (no API yet): every default type and the fleet's own in 1a/1b/1c, with its vCPU/MiB.
    const types = ['t4g.small', 't4g.medium', 'm8g.large', 'm8g.medium', 'r7g.medium', 't3.small', 't3.medium', 't3.large'];
    expect(
      sb.admin
        .instanceTypes()
        .map((t) => t.instanceType)
        .sort(),
    ).toEqual([...types].sort());
    const spot = sb.admin.spotPrices();
    for (const t of types) {
      for (const az of ['eu-central-1a', 'eu-central-1b', 'eu-central-1c']) {
        const points = spot.filter((p) => p.instanceType === t && p.availabilityZone === az);
        expect(points.length).toBeGreaterThanOrEqual(2);
        for (const p of points) expect(Date.parse(p.timestamp)).toBeLessThanOrEqual(NOW.getTime());
      }
    }
  });

  it('resolves relative times against the clock and stamps names with them', async () => {
    const sb = await open();
    const images = (await sb.clients.ec2.describeImages({ Owners: ['self'] })).Images!;
    const newest = images.find((i) => i.ImageId === 'ami-0e4b7d2c9a1f35b60')!;
    // "ago": "2d4h"
    expect(newest.CreationDate).toBe(new Date(NOW.getTime() - 2 * DAY - 4 * HOUR).toISOString());
    expect(newest.Name).toBe('clawdinator-nixos-20260304083456');
    expect(newest.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Name', Value: 'clawdinator-nixos-20260304083456' },
        { Key: 'artifact-kind', Value: 'ami' },
        { Key: 'source-s3-key', Value: 'clawdinator-nixos-20260304083456.raw' },
      ]),
    );
    const snapshot = sb.admin.state().snapshots.find((s) => s.snapshotId === newest.BlockDeviceMappings![0]!.Ebs!.SnapshotId);
    expect(snapshot?.tags).toEqual({ 'artifact-kind': 'ami-root-snapshot', Name: 'clawdinator-nixos-20260304083456-root-snapshot' });
    const creation = images.map((i) => Date.parse(i.CreationDate!));
    expect((Math.max(...creation) - Math.min(...creation)) / DAY).toBeGreaterThan(35);

    const latest = await sb.clients.s3.listObjectsV2({ Bucket: BACKUP, Prefix: 'latest/' });
    const newestObject = Math.max(...latest.Contents!.map((o) => o.LastModified!.getTime()));
    expect(newestObject).toBe(NOW.getTime() - 10 * 60_000);
  });

  it('lays out backup snapshots hourly for the last day, daily at 00:00 for a week, Fridays before that', async () => {
    const sb = await open();
    const out = await sb.clients.s3.listObjectsV2({ Bucket: BACKUP, Prefix: 'snapshots/', Delimiter: '/' });
    const folders = out.CommonPrefixes!.map((p) => p.Prefix!);
    expect(folders).toContain('snapshots/2026-03-06-12-00/');
    expect(folders).toContain('snapshots/2026-03-05-13-00/');
    for (const day of ['2026-03-05', '2026-03-04', '2026-02-28', '2026-02-27']) expect(folders).toContain(`snapshots/${day}-00-00/`);
    for (const friday of ['2026-02-20', '2026-02-13', '2026-01-30']) expect(folders).toContain(`snapshots/${friday}-00-00/`);
    expect(folders).not.toContain('snapshots/2026-03-06-13-00/'); // in the future
    expect(folders).not.toContain('snapshots/2026-02-26-12-00/'); // neither hourly window nor 00:00
    expect(new Set(folders).size).toBe(folders.length);
    expect(await keys(sb, BACKUP, 'snapshots/2026-03-06-12-00/')).toEqual([
      'snapshots/2026-03-06-12-00/manifest.json',
      'snapshots/2026-03-06-12-00/openclaw.sqlite',
      'snapshots/2026-03-06-12-00/workspace.tar.zst',
    ]);
    // The backup files are generated content: a few hundred KiB each, one part, ETag the MD5 of the bytes.
    const big = (await sb.clients.s3.listObjectsV2({ Bucket: BACKUP, Prefix: 'latest/workspace' })).Contents![0]!;
    expect(big.Size).toBe(321433);
    expect(big.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('seeds a bootstrap pair per host in the images bucket', async () => {
    const sb = await open();
    expect(await keys(sb, IMAGES, 'bootstrap/')).toEqual(
      ['clawdinator-1', 'clawdinator-2', 'clawdinator-3', 'clawdinator-babelfish'].flatMap((h) => [
        `bootstrap/${h}/repo-seeds.tar.zst`,
        `bootstrap/${h}/secrets.tar.zst`,
      ]),
    );
  });
});

describe('seeded AMIs, snapshots and uploaded images', () => {
  const GIB = 1024 ** 3;

  it('every tagged AMI has a root snapshot record with its size and provenance tags', async () => {
    const sb = await open();
    const images = (await sb.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'tag:clawdinator', Values: ['true'] }] })).Images!;
    const snapshots = (await sb.clients.ec2.describeSnapshots({ OwnerIds: ['self'] })).Snapshots!;
    const byId = new Map(snapshots.map((s) => [s.SnapshotId!, s]));
    for (const img of images) {
      const root = img.BlockDeviceMappings!.find((m) => m.DeviceName === img.RootDeviceName)!.Ebs!;
      const snap = byId.get(root.SnapshotId!)!;
      expect(snap).toMatchObject({ State: 'completed', OwnerId: '123456789012', VolumeSize: root.VolumeSize, Progress: '100%' });
      expect(snap.StartTime!.getTime()).toBeLessThan(Date.parse(img.CreationDate!));
      expect(tag(snap.Tags, 'artifact-kind')).toBe('ami-root-snapshot');
      expect(tag(snap.Tags, 'Name')).toMatch(/^clawdinator-nixos-\d{14}-root-snapshot$/);
      expect(img).toMatchObject({ Architecture: 'x86_64', VirtualizationType: 'hvm', EnaSupport: true, RootDeviceName: '/dev/xvda' });
    }
    // The foreign public image's snapshot is not ours to see.
    expect(snapshots.every((s) => s.OwnerId === '123456789012')).toBe(true);
  });

  it('one older AMI is preserved and shares its snapshot with an older, prunable one', async () => {
    const sb = await open();
    const images = (await sb.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'tag:clawdinator', Values: ['true'] }] })).Images!;
    const newestFirst = [...images].sort((a, b) => b.CreationDate!.localeCompare(a.CreationDate!));
    const preserved = images.filter((i) => tag(i.Tags, 'clawdinator:preserve') !== undefined);
    expect(preserved).toHaveLength(1);
    expect(newestFirst.indexOf(preserved[0]!)).toBeGreaterThanOrEqual(6); // outside the default keep of 6
    expect(tag(preserved[0]!.Tags, 'clawdinator:preserve')).toMatch(/rollback/);

    const snapshotId = preserved[0]!.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
    const sharing = await sb.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: [snapshotId] }] });
    const pair = sharing.Images!.map((i) => i.ImageId!).sort();
    expect(pair).toHaveLength(2);
    const other = sharing.Images!.find((i) => i.ImageId !== preserved[0]!.ImageId)!;
    expect(Date.parse(other.CreationDate!)).toBeLessThan(Date.parse(preserved[0]!.CreationDate!));
    expect(tag(other.Tags, 'clawdinator:preserve')).toBeUndefined();
    // Both point at the one upload they were imported from.
    expect(tag(other.Tags, 'source-s3-key')).toBe(tag(preserved[0]!.Tags, 'source-s3-key'));
    // Every other tagged AMI has a snapshot of its own.
    const snapshotIds = images.map((i) => i.BlockDeviceMappings![0]!.Ebs!.SnapshotId!);
    expect(new Set(snapshotIds).size).toBe(images.length - 1);
  });

  it("the images bucket holds each AMI's uploaded .raw image under its source-s3-key, and no lifecycle", async () => {
    const sb = await open();
    const images = (await sb.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'tag:clawdinator', Values: ['true'] }] })).Images!;
    const uploads = (await sb.clients.s3.listObjectsV2({ Bucket: IMAGES, Prefix: 'clawdinator-nixos-' })).Contents!;
    expect(uploads.map((o) => o.Key).sort()).toEqual([...new Set(images.map((i) => tag(i.Tags, 'source-s3-key')!))].sort());
    for (const img of images) {
      const key = tag(img.Tags, 'source-s3-key')!;
      expect(key).toMatch(/^clawdinator-nixos-\d{14}\.raw$/);
      const head = await sb.clients.s3.headObject({ Bucket: IMAGES, Key: key });
      // Imported as a snapshot of the object's size rounded up to GiB.
      expect(Math.ceil(head.ContentLength! / GIB)).toBe(img.BlockDeviceMappings![0]!.Ebs!.VolumeSize);
      expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
      expect(head.LastModified!.getTime()).toBeLessThan(Date.parse(img.CreationDate!));
    }
    const err = await sb.clients.s3.getBucketLifecycleConfiguration({ Bucket: IMAGES }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('NoSuchLifecycleConfiguration');
  });

  it('the account has the vmimport role and no import tasks yet', async () => {
    const sb = await open();
    expect(sb.admin.state()).toMatchObject({ iamRoles: ['vmimport'], importTasks: [], importFailures: [], deregisteredImages: [] });
  });
});

describe('persistence', () => {
  it('keeps mutations across reopen, and reopening does not reseed', async () => {
    const first = await open();
    const put = await first.clients.s3.putObject({ Bucket: BACKUP, Key: 'latest/new.txt', Body: 'hello' });
    await first.clients.s3.deleteObjects({ Bucket: BACKUP, Delete: { Objects: [{ Key: 'latest/openclaw.sqlite' }] } });

    const later = new Date(NOW.getTime() + 5 * DAY);
    const second = await open(later);
    const listed = (await second.clients.s3.listObjectsV2({ Bucket: BACKUP, Prefix: 'latest/' })).Contents!;
    expect(listed.map((o) => o.Key)).toEqual(['latest/config/openclaw.json', 'latest/manifest.json', 'latest/new.txt', 'latest/workspace.tar.zst']);
    const added = listed.find((o) => o.Key === 'latest/new.txt')!;
    expect([added.ETag, added.Size, added.LastModified]).toEqual([put.ETag, 5, NOW]);
    // Times still come from the first seeding.
    const newest = (await second.clients.ec2.describeImages({ ImageIds: ['ami-0e4b7d2c9a1f35b60'] })).Images![0]!;
    expect(newest.CreationDate).toBe(new Date(NOW.getTime() - 2 * DAY - 4 * HOUR).toISOString());
  });

  it('persists admin mutations, and parallel writes all land', async () => {
    const sb = await open();
    await Promise.all(Array.from({ length: 20 }, (_, n) => sb.clients.s3.putObject({ Bucket: IMAGES, Key: `p/${n}`, Body: `${n}` })));
    await sb.admin.setPingStatus('i-0c9a2b4d6e8f10a37', 'Online');
    const again = await open();
    expect(await keys(again, IMAGES, 'p/')).toHaveLength(20);
    const info = await again.clients.ssm.describeInstanceInformation({ Filters: [{ Key: 'InstanceIds', Values: ['i-0c9a2b4d6e8f10a37'] }] });
    expect(info.InstanceInformationList![0]!.PingStatus).toBe('Online');
    // Atomic writes leave no temp files behind.
    expect(await readdir(join(home, 'sandbox'))).toEqual(['state.json']);
  });

  it('stores the body, content type and lower-cased metadata of putObject', async () => {
    const sb = await open();
    await sb.clients.s3.putObject({
      Bucket: IMAGES,
      Key: 'm',
      Body: new Uint8Array([1, 2, 3]),
      ContentType: 'application/x-test',
      Metadata: { 'Source-Sha': 'abc' },
    });
    const obj = (await open()).admin
      .state()
      .buckets.find((b) => b.name === IMAGES)!
      .objects.find((o) => o.key === 'm')!;
    expect(obj).toMatchObject({ size: 3, bodyBase64: 'AQID', contentType: 'application/x-test', metadata: { 'source-sha': 'abc' } });
  });

  it('keeps import tasks, lifecycle rules, deregistrations and roles across reopen', async () => {
    const sb = await open();
    await sb.admin.deleteRole('vmimport');
    await sb.admin.createRole('vmimport-ci');
    await sb.admin.failNextImport({ status: 'error', message: 'ServerError: boom' });
    const task = await sb.clients.ec2.importSnapshot({
      RoleName: 'vmimport-ci',
      ClientToken: 'token-1',
      DiskContainer: { Format: 'raw', UserBucket: { S3Bucket: IMAGES, S3Key: 'bootstrap/clawdinator-1/secrets.tar.zst' } },
    });
    await sb.clients.ec2.describeImportSnapshotTasks({ ImportTaskIds: [task.ImportTaskId!] });
    await sb.clients.s3.putBucketLifecycleConfiguration({
      Bucket: IMAGES,
      LifecycleConfiguration: { Rules: [{ ID: 'r', Status: 'Enabled', Filter: {}, Expiration: { Days: 3 } }] },
    });
    await sb.clients.ec2.deregisterImage({ ImageId: 'ami-0d3f5b7a9c1e2468f' });

    const again = await open();
    expect(again.admin.state()).toMatchObject({ iamRoles: ['vmimport-ci'], deregisteredImages: [{ imageId: 'ami-0d3f5b7a9c1e2468f' }] });
    const next = await again.clients.ec2.describeImportSnapshotTasks({ ImportTaskIds: [task.ImportTaskId!] });
    expect(next.ImportSnapshotTasks![0]!.SnapshotTaskDetail).toMatchObject({ Status: 'error', StatusMessage: 'ServerError: boom' });
    expect((await again.clients.s3.getBucketLifecycleConfiguration({ Bucket: IMAGES })).Rules).toEqual([
      { ID: 'r', Status: 'Enabled', Filter: {}, Expiration: { Days: 3 } },
    ]);
    const err = await again.clients.ec2.deregisterImage({ ImageId: 'ami-0d3f5b7a9c1e2468f' }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('InvalidAMIID.Unavailable');
  });

  it('reads a state file written before the AMI lane (no tasks, roles or snapshot states)', async () => {
    await open();
    const file = sandboxStatePath(home);
    const old = JSON.parse(await readFile(file, 'utf8'));
    for (const k of ['deregisteredImages', 'importTasks', 'importFailures', 'iamRoles']) delete old[k];
    for (const s of old.snapshots) delete s.state;
    for (const i of old.images) {
      delete i.virtualizationType;
      delete i.enaSupport;
      for (const b of i.blockDeviceMappings) delete b.volumeType;
    }
    await writeFile(file, JSON.stringify(old));
    const sb = await open();
    expect(sb.admin.state()).toMatchObject({ iamRoles: ['vmimport'], importTasks: [] });
    const snaps = (await sb.clients.ec2.describeSnapshots({ OwnerIds: ['self'] })).Snapshots!;
    expect(snaps.every((s) => s.State === 'completed')).toBe(true);
    const img = (await sb.clients.ec2.describeImages({ ImageIds: ['ami-0e4b7d2c9a1f35b60'] })).Images![0]!;
    expect(img).toMatchObject({ VirtualizationType: 'hvm', EnaSupport: true });
    expect(img.BlockDeviceMappings![0]!.Ebs!.VolumeType).toBe('gp3');
  });

  it('refuses a corrupt or foreign state file with a UsageError that names it and hints at reset', async () => {
    await open();
    const file = sandboxStatePath(home);
    await writeFile(file, '{"version": 1, "accountId": ');
    const corrupt = await open().catch((e: unknown) => e);
    expect(corrupt).toBeInstanceOf(UsageError);
    expect((corrupt as UsageError).message).toContain(file);
    expect((corrupt as UsageError).hint).toMatch(/claw sandbox reset/);

    await writeFile(file, JSON.stringify({ version: 99 }));
    await expect(open()).rejects.toThrow(/version 99/);

    await writeFile(file, JSON.stringify({ version: 1, accountId: 'nope' }));
    await expect(open()).rejects.toBeInstanceOf(UsageError);
  });
});

describe('resetSandbox', () => {
  it('deletes the state and seeds again against the current clock', async () => {
    const sb = await open();
    await sb.clients.s3.putObject({ Bucket: BACKUP, Key: 'latest/new.txt', Body: 'x' });
    const later = new Date(NOW.getTime() + 3 * DAY);
    const fresh = await resetSandbox({ home, seedDir: SEED_DIR, now: () => later });
    expect(await keys(fresh, BACKUP, 'latest/new.txt')).toEqual([]);
    const reopened = await open(NOW);
    expect(await keys(reopened, BACKUP, 'latest/new.txt')).toEqual([]);
    const newest = (await reopened.clients.ec2.describeImages({ ImageIds: ['ami-0e4b7d2c9a1f35b60'] })).Images![0]!;
    expect(newest.CreationDate).toBe(new Date(later.getTime() - 2 * DAY - 4 * HOUR).toISOString());
    expect(reopened.admin.state().seededAt).toBe(later.toISOString());
  });

  it('keeps the old state when the seed is broken', async () => {
    const sb = await open();
    await sb.clients.s3.putObject({ Bucket: BACKUP, Key: 'keep.txt', Body: 'x' });
    const broken = await mkdtemp(join(tmpdir(), 'claw-seed-'));
    await cp(SEED_DIR, broken, { recursive: true });
    await writeFile(join(broken, 'ec2.json'), '{"images": [], "instances": [], "extra": 1}');
    const err = await resetSandbox({ home, seedDir: broken, now: () => NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('ec2.json');
    expect(await keys(await open(), BACKUP, 'keep.txt')).toEqual(['keep.txt']);
    await rm(broken, { recursive: true, force: true });
  });

  it('rejects a shared snapshot nobody defines, a source of the wrong size, a source in a missing bucket', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'claw-seed-'));
    const edit = async (change: (ec2: { images: Record<string, unknown>[] }) => void) => {
      await cp(SEED_DIR, broken, { recursive: true });
      const ec2 = JSON.parse(await readFile(join(SEED_DIR, 'ec2.json'), 'utf8'));
      change(ec2);
      await writeFile(join(broken, 'ec2.json'), JSON.stringify(ec2));
      await rm(join(home, 'sandbox'), { recursive: true, force: true });
    };
    await edit((ec2) => {
      ec2.images.find((i) => i.imageId === 'ami-0b2d4f6a8c1e3579b')!.rootSnapshot = { snapshotId: 'snap-0123456789abcdef0' };
    });
    await expect(open(NOW, broken)).rejects.toThrow(/shares snapshot snap-0123456789abcdef0, which no image defines/);
    await edit((ec2) => {
      (ec2.images[0]!.source as { size: number }).size = 9 * 1024 ** 3;
    });
    await expect(open(NOW, broken)).rejects.toThrow(/imports as a 9 GiB snapshot, not 8/);
    await edit((ec2) => {
      (ec2.images[0]!.source as { bucket: string }).bucket = 'no-such-bucket';
    });
    await expect(open(NOW, broken)).rejects.toThrow(/bucket no-such-bucket, which s3.json does not define/);
    await rm(broken, { recursive: true, force: true });
  });

  it('rejects seeds with dangling references or bad relative times', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'claw-seed-'));
    await cp(SEED_DIR, broken, { recursive: true });
    const ssm = JSON.parse(await readFile(join(broken, 'ssm.json'), 'utf8'));
    ssm.managedInstances[0].instanceId = 'i-0123456789abcdef0';
    await writeFile(join(broken, 'ssm.json'), JSON.stringify(ssm));
    await expect(open(NOW, broken)).rejects.toThrow(/ssm.json: managed instance i-0123456789abcdef0 is not an instance/);

    await cp(SEED_DIR, broken, { recursive: true });
    const s3 = JSON.parse(await readFile(join(broken, 's3.json'), 'utf8'));
    s3.buckets[0].objects[0].ago = 'yesterday';
    await writeFile(join(broken, 's3.json'), JSON.stringify(s3));
    await expect(open(NOW, broken)).rejects.toThrow(/s3.json: buckets.0.objects.0.ago: expected a relative time/);
    await rm(broken, { recursive: true, force: true });
  });
});

describe('unsupported input throws instead of being ignored', () => {
  it.each([
    [
      'EC2 DescribeInstances parameter',
      (sb: Sandbox) => sb.clients.ec2.describeInstances({ DryRun: true }),
      /DescribeInstances does not implement parameter "DryRun"/,
    ],
    [
      'EC2 DescribeInstances filter',
      (sb: Sandbox) => sb.clients.ec2.describeInstances({ Filters: [{ Name: 'subnet-id', Values: ['x'] }] }),
      /filter "subnet-id"/,
    ],
    ['EC2 DescribeImages parameter', (sb: Sandbox) => sb.clients.ec2.describeImages({ IncludeDeprecated: true }), /"IncludeDeprecated"/],
    [
      'EC2 DescribeSnapshots filter',
      (sb: Sandbox) => sb.clients.ec2.describeSnapshots({ Filters: [{ Name: 'encrypted', Values: ['false'] }] }),
      /filter "encrypted"/,
    ],
    [
      'EC2 DeregisterImage parameter',
      (sb: Sandbox) => sb.clients.ec2.deregisterImage({ ImageId: 'ami-0d3f5b7a9c1e2468f', DeleteAssociatedSnapshots: true }),
      /"DeleteAssociatedSnapshots"/,
    ],
    [
      'EC2 RegisterImage instance-store',
      (sb: Sandbox) => sb.clients.ec2.registerImage({ Name: 'x-1', ImageLocation: 'bucket/manifest.xml' }),
      /"ImageLocation"/,
    ],
    [
      'EC2 CreateTags on a volume',
      (sb: Sandbox) => sb.clients.ec2.createTags({ Resources: ['vol-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
      /vol-0123456789abcdef0 is not an instance, image or snapshot/,
    ],
    ['EC2 ImportSnapshot by URL', (sb: Sandbox) => sb.clients.ec2.importSnapshot({ DiskContainer: { Format: 'RAW', Url: 's3://b/k' } }), /"Url"/],
    ['EC2 ImportSnapshot encrypted', (sb: Sandbox) => sb.clients.ec2.importSnapshot({ Encrypted: true, DiskContainer: { Format: 'RAW' } }), /"Encrypted"/],
    [
      'S3 upload string body',
      (sb: Sandbox) => sb.clients.s3.upload({ Bucket: IMAGES, Key: 'k', Body: 'text' as unknown as Uint8Array }),
      /Readable or a Uint8Array, not string/,
    ],
    [
      'S3 lifecycle transition',
      (sb: Sandbox) =>
        sb.clients.s3.putBucketLifecycleConfiguration({
          Bucket: IMAGES,
          LifecycleConfiguration: { Rules: [{ ID: 't', Status: 'Enabled', Filter: {}, Transitions: [{ Days: 30, StorageClass: 'GLACIER' }] }] },
        }),
      /"Transitions"/,
    ],
    [
      'S3 lifecycle tag filter',
      (sb: Sandbox) =>
        sb.clients.s3.putBucketLifecycleConfiguration({
          Bucket: IMAGES,
          LifecycleConfiguration: { Rules: [{ ID: 't', Status: 'Enabled', Filter: { Tag: { Key: 'a', Value: 'b' } }, Expiration: { Days: 3 } }] },
        }),
      /"Tag"/,
    ],
    [
      'S3 lifecycle expiration date',
      (sb: Sandbox) =>
        sb.clients.s3.putBucketLifecycleConfiguration({
          Bucket: IMAGES,
          LifecycleConfiguration: { Rules: [{ ID: 't', Status: 'Enabled', Filter: {}, Expiration: { Date: new Date('2030-01-01') } }] },
        }),
      /"Date"/,
    ],
    ['S3 HeadObject parameter', (sb: Sandbox) => sb.clients.s3.headObject({ Bucket: IMAGES, Key: 'k', VersionId: 'v1' }), /"VersionId"/],
    ['S3 ListObjectsV2 parameter', (sb: Sandbox) => sb.clients.s3.listObjectsV2({ Bucket: BACKUP, EncodingType: 'url' }), /"EncodingType"/],
    ['S3 PutObject parameter', (sb: Sandbox) => sb.clients.s3.putObject({ Bucket: BACKUP, Key: 'k', Body: 'x', ACL: 'private' }), /"ACL"/],
    ['S3 PutObject stream body', (sb: Sandbox) => sb.clients.s3.putObject({ Bucket: BACKUP, Key: 'k', Body: new Blob(['x']) }), /not Blob/],
    ['S3 HeadBucket parameter', (sb: Sandbox) => sb.clients.s3.headBucket({ Bucket: BACKUP, ExpectedBucketOwner: '123456789012' }), /"ExpectedBucketOwner"/],
    ['SSM filter key', (sb: Sandbox) => sb.clients.ssm.describeInstanceInformation({ Filters: [{ Key: 'tag:app', Values: ['x'] }] }), /filter key "tag:app"/],
  ] as const)('%s', async (_label, call, message) => {
    const sb = await open();
    const err = await call(sb).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnsupportedError);
    expect((err as Error).message).toMatch(/^sandbox: /);
    expect((err as Error).message).toMatch(message);
    // Not an SDK-shaped error: nothing upstream may mistake it for an AWS answer.
    expect(err).not.toHaveProperty('$metadata');
  });

  it('SDK-shaped service errors carry name, $fault and $metadata.httpStatusCode', async () => {
    const sb = await open();
    const err = (await sb.clients.s3.headBucket({ Bucket: 'no-such-bucket-here' }).catch((e: unknown) => e)) as Error & Record<string, unknown>;
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NotFound');
    expect(err.$fault).toBe('client');
    expect(err.$metadata).toMatchObject({ httpStatusCode: 404 });
  });
});
