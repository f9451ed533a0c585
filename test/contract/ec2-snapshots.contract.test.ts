import type { Snapshot, Tag } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import {
  collectPages,
  expectAwsError,
  forEachBackend,
  motoEndpoint,
  openMotoBackend,
  openSandboxBackend,
  rootSnapshotOf,
  unique,
  type Backend,
} from './backends.js';

// The EC2 contract for tags and snapshots (CreateTags, DeleteTags, DescribeSnapshots,
// DeleteSnapshot): the same tests against the sandbox and against moto through claw's
// SDK clients. Where moto differs from AWS, the sandbox follows AWS (sandbox-only block)
// and moto's behaviour is pinned under "moto quirks".

const MISSING_SNAPSHOT = 'snap-0123456789abcdef0';
const MISSING_IMAGE = 'ami-0123456789abcdef0';
const MISSING_INSTANCE = 'i-0123456789abcdef0';

const tagsOf = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));

/** An image of ours and its root snapshot, both tagged claw-test=<run>. */
async function imageWithSnapshot(b: Backend, run: string): Promise<{ imageId: string; snapshotId: string }> {
  const imageId = await b.seed.registerImage({ name: `${run}-${unique('img')}`, tags: { 'claw-test': run } });
  const snapshotId = await rootSnapshotOf(b, imageId);
  await b.clients.ec2.createTags({ Resources: [snapshotId], Tags: [{ Key: 'claw-test', Value: run }] });
  return { imageId, snapshotId };
}

async function snapshotTags(b: Backend, id: string): Promise<Record<string, string>> {
  return tagsOf((await b.clients.ec2.describeSnapshots({ SnapshotIds: [id] })).Snapshots![0]!.Tags);
}

forEachBackend('EC2 createTags / deleteTags', (backend) => {
  it('tags an instance, an image and a snapshot in one call; a second call overwrites values', async () => {
    const b = backend();
    const run = unique();
    const instanceId = await b.seed.runInstance({ tags: { 'claw-test': run } });
    const { imageId, snapshotId } = await imageWithSnapshot(b, run);
    await b.clients.ec2.createTags({ Resources: [instanceId, imageId, snapshotId], Tags: [{ Key: 'clawdinator:preserve', Value: 'rollback' }] });
    await b.clients.ec2.createTags({
      Resources: [imageId],
      Tags: [
        { Key: 'clawdinator:preserve', Value: 'still rollback' },
        { Key: 'x', Value: '' },
      ],
    });

    const inst = (await b.clients.ec2.describeInstances({ InstanceIds: [instanceId] })).Reservations![0]!.Instances![0]!;
    expect(tagsOf(inst.Tags)).toMatchObject({ 'claw-test': run, 'clawdinator:preserve': 'rollback' });
    const img = (await b.clients.ec2.describeImages({ ImageIds: [imageId] })).Images![0]!;
    expect(tagsOf(img.Tags)).toEqual({ 'claw-test': run, 'clawdinator:preserve': 'still rollback', x: '' });
    expect(await snapshotTags(b, snapshotId)).toEqual({ 'claw-test': run, 'clawdinator:preserve': 'rollback' });
  });

  it('deleteTags: a key alone deletes; with a Value only when it matches; an empty Value matches only an empty value', async () => {
    const b = backend();
    const run = unique();
    const { imageId } = await imageWithSnapshot(b, run);
    await b.clients.ec2.createTags({
      Resources: [imageId],
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
        { Key: 'c', Value: '3' },
        { Key: 'd', Value: '' },
        { Key: 'e', Value: 'x' },
      ],
    });
    await b.clients.ec2.deleteTags({
      Resources: [imageId],
      Tags: [{ Key: 'a' }, { Key: 'b', Value: '2' }, { Key: 'c', Value: 'not 3' }, { Key: 'd', Value: '' }, { Key: 'e', Value: '' }],
    });
    const img = (await b.clients.ec2.describeImages({ ImageIds: [imageId] })).Images![0]!;
    expect(tagsOf(img.Tags)).toEqual({ 'claw-test': run, c: '3', e: 'x' });
  });

  it('an unknown image or snapshot is its NotFound; an id of no known shape is InvalidID', async () => {
    const b = backend();
    const tags = [{ Key: 'a', Value: 'b' }];
    await expectAwsError(b.clients.ec2.createTags({ Resources: [MISSING_IMAGE], Tags: tags }), 'InvalidAMIID.NotFound', 400);
    await expectAwsError(b.clients.ec2.createTags({ Resources: [MISSING_SNAPSHOT], Tags: tags }), 'InvalidSnapshot.NotFound', 400);
    await expectAwsError(b.clients.ec2.createTags({ Resources: ['bogus'], Tags: tags }), 'InvalidID', 400);
    await expectAwsError(b.clients.ec2.createTags({ Resources: ['ami-xyz'], Tags: tags }), 'InvalidID', 400);
    await expectAwsError(b.clients.ec2.deleteTags({ Resources: ['snap-nothex'], Tags: [{ Key: 'a' }] }), 'InvalidID', 400);
  });
});

forEachBackend('EC2 describeSnapshots', (backend) => {
  it('SnapshotIds returns exactly those, in the SDK shape', async () => {
    const b = backend();
    const run = unique();
    const { snapshotId } = await imageWithSnapshot(b, run);
    await imageWithSnapshot(b, run);
    const out = await b.clients.ec2.describeSnapshots({ SnapshotIds: [snapshotId] });
    expect(out.Snapshots).toHaveLength(1);
    const s = out.Snapshots![0]!;
    expect(s).toMatchObject({ SnapshotId: snapshotId, State: 'completed', OwnerId: '123456789012', Progress: '100%', Encrypted: false });
    expect(s.StartTime).toBeInstanceOf(Date);
    expect(s.VolumeSize).toBeGreaterThan(0);
    expect(s.VolumeId).toMatch(/^vol-[0-9a-f]+$/);
    expect(tagsOf(s.Tags)).toEqual({ 'claw-test': run });
  });

  it('tag:<key>, tag-key, snapshot-id and status filters, with OwnerIds [self]', async () => {
    const b = backend();
    const run = unique();
    const one = await imageWithSnapshot(b, run);
    const two = await imageWithSnapshot(b, run);
    await b.clients.ec2.createTags({ Resources: [two.snapshotId], Tags: [{ Key: 'artifact-kind', Value: 'ami-root-snapshot' }] });
    const ids = (snaps: Snapshot[] | undefined) => (snaps ?? []).map((s) => s.SnapshotId!).sort();
    const mine = { Name: 'tag:claw-test', Values: [run] };

    expect(ids((await b.clients.ec2.describeSnapshots({ OwnerIds: ['self'], Filters: [mine] })).Snapshots)).toEqual([one.snapshotId, two.snapshotId].sort());
    const kind = await b.clients.ec2.describeSnapshots({ OwnerIds: ['self'], Filters: [mine, { Name: 'tag:artifact-kind', Values: ['ami-root-*'] }] });
    expect(ids(kind.Snapshots)).toEqual([two.snapshotId]);
    const keyed = await b.clients.ec2.describeSnapshots({ Filters: [mine, { Name: 'tag-key', Values: ['artifact-kind'] }] });
    expect(ids(keyed.Snapshots)).toEqual([two.snapshotId]);
    const byId = await b.clients.ec2.describeSnapshots({ Filters: [mine, { Name: 'snapshot-id', Values: [one.snapshotId] }] });
    expect(ids(byId.Snapshots)).toEqual([one.snapshotId]);
    const completed = await b.clients.ec2.describeSnapshots({ Filters: [mine, { Name: 'status', Values: ['completed'] }] });
    expect(ids(completed.Snapshots)).toEqual([one.snapshotId, two.snapshotId].sort());
    const pending = await b.clients.ec2.describeSnapshots({ Filters: [mine, { Name: 'status', Values: ['pending'] }] });
    expect(ids(pending.Snapshots)).toEqual([]);
  });

  it('an unknown SnapshotId is InvalidSnapshot.NotFound', async () => {
    const b = backend();
    await expectAwsError(b.clients.ec2.describeSnapshots({ SnapshotIds: [MISSING_SNAPSHOT] }), 'InvalidSnapshot.NotFound', 400);
  });
});

forEachBackend('EC2 deleteSnapshot', (backend) => {
  it('a snapshot a registered AMI uses is InvalidSnapshot.InUse; once deregistered it deletes; then NotFound', async () => {
    const b = backend();
    const { imageId, snapshotId } = await imageWithSnapshot(b, unique());
    const inUse = await expectAwsError(b.clients.ec2.deleteSnapshot({ SnapshotId: snapshotId }), 'InvalidSnapshot.InUse', 400);
    expect(inUse.message).toContain(imageId);
    expect(await snapshotTags(b, snapshotId)).toHaveProperty('claw-test');

    await b.clients.ec2.deregisterImage({ ImageId: imageId });
    const out = await b.clients.ec2.deleteSnapshot({ SnapshotId: snapshotId });
    expect(out.$metadata.httpStatusCode).toBe(200);
    await expectAwsError(b.clients.ec2.describeSnapshots({ SnapshotIds: [snapshotId] }), 'InvalidSnapshot.NotFound', 400);
    // "Already gone" is what an interrupted prune meets when it finishes.
    await expectAwsError(b.clients.ec2.deleteSnapshot({ SnapshotId: snapshotId }), 'InvalidSnapshot.NotFound', 400);
  });
});

// Sandbox only: AWS behaviour moto 5.2.1 does not reproduce (each case says what moto does).
describe('EC2 tags and snapshots, sandbox only (AWS behaviour moto lacks)', () => {
  it('tagging a missing instance is InvalidInstanceID.NotFound, and nothing of the call is applied (moto: succeeds)', async () => {
    const b = await openSandboxBackend();
    const { imageId } = await imageWithSnapshot(b, unique());
    await expectAwsError(
      b.clients.ec2.createTags({ Resources: [imageId, MISSING_INSTANCE], Tags: [{ Key: 'k', Value: 'v' }] }),
      'InvalidInstanceID.NotFound',
      400,
    );
    const img = (await b.clients.ec2.describeImages({ ImageIds: [imageId] })).Images![0]!;
    expect(tagsOf(img.Tags)).not.toHaveProperty('k');
    await b.close();
  });

  it('deleteTags checks the resources exist; without Tags it deletes every user tag (moto: no check, deletes nothing)', async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.deleteTags({ Resources: [MISSING_SNAPSHOT], Tags: [{ Key: 'a' }] }), 'InvalidSnapshot.NotFound', 400);
    const { snapshotId } = await imageWithSnapshot(b, unique());
    await b.clients.ec2.createTags({ Resources: [snapshotId], Tags: [{ Key: 'a', Value: '1' }] });
    await b.clients.ec2.deleteTags({ Resources: [snapshotId] });
    expect(await snapshotTags(b, snapshotId)).toEqual({});
    await b.close();
  });

  it('aws: keys are reserved; more than 50 tags is TagLimitExceeded (moto accepts aws: keys)', async () => {
    const b = await openSandboxBackend();
    const { snapshotId } = await imageWithSnapshot(b, unique());
    await expectAwsError(b.clients.ec2.createTags({ Resources: [snapshotId], Tags: [{ Key: 'aws:x', Value: 'y' }] }), 'InvalidParameterValue', 400);
    const many = Array.from({ length: 50 }, (_, n) => ({ Key: `k${n}`, Value: 'v' }));
    await expectAwsError(b.clients.ec2.createTags({ Resources: [snapshotId], Tags: many }), 'TagLimitExceeded', 400);
    await b.close();
  });

  it('describeSnapshots pages with MaxResults 5..1000 and NextToken (moto ignores MaxResults)', async () => {
    const b = await openSandboxBackend();
    const run = unique();
    const seeded: string[] = [];
    for (let n = 0; n < 7; n++) seeded.push((await imageWithSnapshot(b, run)).snapshotId);
    const filters = [{ Name: 'tag:claw-test', Values: [run] }];
    const pages = await collectPages(async (token) => {
      const out = await b.clients.ec2.describeSnapshots({ OwnerIds: ['self'], Filters: filters, MaxResults: 5, NextToken: token });
      return { items: (out.Snapshots ?? []).map((s) => s.SnapshotId!), next: out.NextToken };
    });
    expect(pages.map((p) => p.length)).toEqual([5, 2]);
    expect(pages.flat().sort()).toEqual(seeded.sort());
    await expectAwsError(b.clients.ec2.describeSnapshots({ MaxResults: 4 }), 'InvalidParameterValue', 400);
    // Above 1000, AWS answers at most 1000 rather than failing.
    expect((await b.clients.ec2.describeSnapshots({ MaxResults: 5000 })).Snapshots!.length).toBeGreaterThan(7);
    await expectAwsError(b.clients.ec2.describeSnapshots({ MaxResults: 5, SnapshotIds: [seeded[0]!] }), 'InvalidParameterCombination', 400);
    await expectAwsError(b.clients.ec2.describeSnapshots({ MaxResults: 5, NextToken: 'garbage' }), 'InvalidPaginationToken', 400);
    await b.close();
  });

  it("OwnerIds [self] never lists another account's snapshots (moto ignores OwnerIds)", async () => {
    const b = await openSandboxBackend();
    const all = (await b.clients.ec2.describeSnapshots({ OwnerIds: ['self'] })).Snapshots!;
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map((s) => s.OwnerId))).toEqual(new Set(['123456789012']));
    await b.close();
  });

  it('malformed snapshot ids are InvalidSnapshotID.Malformed (moto: NotFound)', async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.describeSnapshots({ SnapshotIds: ['bogus'] }), 'InvalidSnapshotID.Malformed', 400);
    await expectAwsError(b.clients.ec2.deleteSnapshot({ SnapshotId: 'bogus' }), 'InvalidSnapshotID.Malformed', 400);
    await b.close();
  });

  it('a snapshot shared by two AMIs stays InUse until both are deregistered (moto cannot register on a given snapshot)', async () => {
    const b = await openSandboxBackend();
    const admin = b.sandbox!.admin;
    const first = await admin.registerImage({ name: unique('first') });
    const second = await admin.registerImage({ name: unique('second'), snapshotId: first.snapshotId });
    await b.clients.ec2.deregisterImage({ ImageId: first.imageId });
    const err = await expectAwsError(b.clients.ec2.deleteSnapshot({ SnapshotId: first.snapshotId }), 'InvalidSnapshot.InUse', 400);
    expect(err.message).toContain(second.imageId);
    await b.clients.ec2.deregisterImage({ ImageId: second.imageId });
    await b.clients.ec2.deleteSnapshot({ SnapshotId: first.snapshotId });
    await b.close();
  });
});

describe.skipIf(!motoEndpoint().endpoint)('EC2 tags and snapshots: moto quirks (documentation of moto, not of claw)', () => {
  const endpoint = motoEndpoint().endpoint!;

  it('CreateTags on a missing instance succeeds; DeleteTags checks nothing and without Tags deletes nothing; aws: keys are accepted', async () => {
    const b = openMotoBackend(endpoint);
    await b.clients.ec2.createTags({ Resources: [MISSING_INSTANCE], Tags: [{ Key: 'k', Value: 'v' }] });
    await b.clients.ec2.deleteTags({ Resources: [MISSING_SNAPSHOT], Tags: [{ Key: 'k' }] });
    const { snapshotId } = await imageWithSnapshot(b, unique());
    await b.clients.ec2.createTags({ Resources: [snapshotId], Tags: [{ Key: 'aws:x', Value: 'y' }] });
    await b.clients.ec2.deleteTags({ Resources: [snapshotId] });
    expect(await snapshotTags(b, snapshotId)).toHaveProperty('aws:x', 'y');
    await b.close();
  });

  it("DescribeSnapshots ignores MaxResults and OwnerIds: [self] also lists the Amazon images' snapshots", async () => {
    const b = openMotoBackend(endpoint);
    const out = await b.clients.ec2.describeSnapshots({ OwnerIds: ['self'], MaxResults: 5 });
    expect(out.Snapshots!.length).toBeGreaterThan(5);
    expect(out.NextToken).toBeUndefined();
    expect(out.Snapshots!.some((s) => s.OwnerId !== '123456789012')).toBe(true);
    await b.close();
  });

  it('a malformed snapshot id is InvalidSnapshot.NotFound, which carries no message', async () => {
    const b = openMotoBackend(endpoint);
    await expectAwsError(b.clients.ec2.deleteSnapshot({ SnapshotId: 'bogus' }), 'InvalidSnapshot.NotFound', 400);
    await expectAwsError(b.clients.ec2.describeSnapshots({ SnapshotIds: ['bogus'] }), 'InvalidSnapshot.NotFound', 400);
    await b.close();
  });
});
