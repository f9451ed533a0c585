import type { RegisterImageCommandInput } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { expectAwsError, forEachBackend, motoEndpoint, openMotoBackend, openSandboxBackend, rootSnapshotOf, unique } from './backends.js';

// The EC2 contract for AMIs (RegisterImage, DeregisterImage, and DescribeImages by
// snapshot): the same tests against the sandbox and moto. moto 5.2.1 registers every
// image on a fresh snapshot of its own and ignores the block device mappings, so how a
// registration uses its snapshot is covered by the sandbox alone (it follows AWS), and
// moto's behaviour is pinned under "moto quirks".

const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));

/** RegisterImage as claw's `ami build` calls it. */
function clawRegistration(name: string, snapshotId: string, tags: Record<string, string> = {}): RegisterImageCommandInput {
  return {
    Name: name,
    Architecture: 'x86_64',
    BootMode: 'legacy-bios',
    VirtualizationType: 'hvm',
    EnaSupport: true,
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, DeleteOnTermination: true, VolumeType: 'gp3' } }],
    TagSpecifications: [{ ResourceType: 'image', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
  };
}

forEachBackend('EC2 registerImage', (backend) => {
  it("registers claw's shape of image on an existing snapshot and answers its new ImageId", async () => {
    const b = backend();
    const run = unique();
    const source = await b.seed.registerImage({ name: `${run}-source` });
    const snapshotId = await rootSnapshotOf(b, source);
    const name = `clawdinator-nixos-${run}`;
    const out = await b.clients.ec2.registerImage(clawRegistration(name, snapshotId, { 'claw-test': run }));
    expect(out.ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const img = (await b.clients.ec2.describeImages({ ImageIds: [out.ImageId!] })).Images![0]!;
    expect(img).toMatchObject({ ImageId: out.ImageId, Name: name, OwnerId: '123456789012', State: 'available', Public: false });
    expect(Math.abs(Date.parse(img.CreationDate!) - Date.now())).toBeLessThan(60_000);
  });
});

forEachBackend('EC2 deregisterImage', (backend) => {
  it('deregisters our image, keeps its snapshot; a second deregistration is InvalidAMIID.Unavailable', async () => {
    const b = backend();
    const run = unique();
    const imageId = await b.seed.registerImage({ name: `${run}-gone`, tags: { 'claw-test': run } });
    const snapshotId = await rootSnapshotOf(b, imageId);
    const out = await b.clients.ec2.deregisterImage({ ImageId: imageId });
    expect(out.$metadata.httpStatusCode).toBe(200);

    const left = await b.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'tag:claw-test', Values: [run] }] });
    expect(left.Images ?? []).toEqual([]);
    const snap = await b.clients.ec2.describeSnapshots({ SnapshotIds: [snapshotId] });
    expect(snap.Snapshots!.map((s) => s.SnapshotId)).toEqual([snapshotId]);
    // "Already gone": claw's prune counts Unavailable and NotFound as done.
    await expectAwsError(b.clients.ec2.deregisterImage({ ImageId: imageId }), 'InvalidAMIID.Unavailable', 400);
  });

  it('an image that never existed is InvalidAMIID.NotFound', async () => {
    const b = backend();
    const err = await expectAwsError(b.clients.ec2.deregisterImage({ ImageId: 'ami-0123456789abcdef0' }), 'InvalidAMIID.NotFound', 400);
    expect(err.message).toContain('ami-0123456789abcdef0');
  });
});

// Sandbox only: AWS behaviour moto 5.2.1 does not reproduce (each case says what moto does).
describe('EC2 AMIs, sandbox only (AWS behaviour moto lacks)', () => {
  it('the registered image is what was asked: architecture, boot mode, ENA, root device, mapping, tags (moto ignores all of it)', async () => {
    const b = await openSandboxBackend();
    const snapshotId = await b.sandbox!.admin.createSnapshot({ volumeSize: 5 });
    const run = unique();
    const { ImageId } = await b.clients.ec2.registerImage(clawRegistration(`clawdinator-nixos-${run}`, snapshotId, { clawdinator: 'true', Name: run }));
    const img = (await b.clients.ec2.describeImages({ ImageIds: [ImageId!] })).Images![0]!;
    expect(img).toMatchObject({
      Architecture: 'x86_64',
      BootMode: 'legacy-bios',
      VirtualizationType: 'hvm',
      EnaSupport: true,
      RootDeviceName: '/dev/xvda',
      RootDeviceType: 'ebs',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, VolumeSize: 5, DeleteOnTermination: true, VolumeType: 'gp3' } }],
    });
    expect(tagsOf(img.Tags)).toEqual({ clawdinator: 'true', Name: run });
    await b.close();
  });

  it("what a registration leaves out gets AWS's documented defaults: i386, paravirtual, no ENA (moto: none of them)", async () => {
    const b = await openSandboxBackend();
    const snapshotId = await b.sandbox!.admin.createSnapshot();
    const { ImageId } = await b.clients.ec2.registerImage({
      Name: unique('bare'),
      RootDeviceName: '/dev/sda1',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: snapshotId } }],
    });
    const img = (await b.clients.ec2.describeImages({ ImageIds: [ImageId!] })).Images![0]!;
    expect(img).toMatchObject({ Architecture: 'i386', VirtualizationType: 'paravirtual', EnaSupport: false });
    expect(img.BootMode).toBeUndefined();
    expect(img.BlockDeviceMappings![0]!.Ebs).toMatchObject({ DeleteOnTermination: true, VolumeType: 'gp2', VolumeSize: 8 });
    await b.close();
  });

  it('refuses a duplicate or malformed name, a missing snapshot, a too-small volume, a root device outside the mapping (moto accepts all)', async () => {
    const b = await openSandboxBackend();
    const snapshotId = await b.sandbox!.admin.createSnapshot({ volumeSize: 8 });
    const name = unique('dup');
    await b.clients.ec2.registerImage(clawRegistration(name, snapshotId));
    const dup = await expectAwsError(b.clients.ec2.registerImage(clawRegistration(name, snapshotId)), 'InvalidAMIName.Duplicate', 400);
    expect(dup.message).toContain(name);
    await expectAwsError(b.clients.ec2.registerImage(clawRegistration('x!', snapshotId)), 'InvalidAMIName.Malformed', 400);
    await expectAwsError(b.clients.ec2.registerImage(clawRegistration(unique(), 'snap-0123456789abcdef0')), 'InvalidSnapshot.NotFound', 400);
    const small = clawRegistration(unique(), snapshotId);
    small.BlockDeviceMappings![0]!.Ebs!.VolumeSize = 4;
    await expectAwsError(b.clients.ec2.registerImage(small), 'InvalidBlockDeviceMapping', 400);
    await expectAwsError(
      b.clients.ec2.registerImage({ ...clawRegistration(unique(), snapshotId), RootDeviceName: '/dev/sda1' }),
      'InvalidBlockDeviceMapping',
      400,
    );
    await expectAwsError(
      b.clients.ec2.registerImage({ ...clawRegistration(unique(), snapshotId), Architecture: 'sparc' as 'x86_64' }),
      'InvalidParameterValue',
      400,
    );
    await b.close();
  });

  it('TagSpecifications may tag only the image itself: "snapshot" fails the request (moto ignores TagSpecifications)', async () => {
    const b = await openSandboxBackend();
    const snapshotId = await b.sandbox!.admin.createSnapshot();
    const name = unique('tagged');
    const input = clawRegistration(name, snapshotId);
    input.TagSpecifications = [...input.TagSpecifications!, { ResourceType: 'snapshot', Tags: [{ Key: 'a', Value: 'b' }] }];
    await expectAwsError(b.clients.ec2.registerImage(input), 'InvalidParameterValue', 400);
    // Nothing was registered by the refused call.
    const found = await b.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] });
    expect(found.Images ?? []).toEqual([]);
    await b.close();
  });

  it('block-device-mapping.snapshot-id finds every image on a snapshot (moto: HTTP 500, see quirks)', async () => {
    const b = await openSandboxBackend();
    const admin = b.sandbox!.admin;
    const first = await admin.registerImage({ name: unique('a') });
    const second = await admin.registerImage({ name: unique('b'), snapshotId: first.snapshotId });
    await admin.registerImage({ name: unique('c') });
    const out = await b.clients.ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: [first.snapshotId] }] });
    expect(out.Images!.map((i) => i.ImageId).sort()).toEqual([first.imageId, second.imageId].sort());
    const none = await b.clients.ec2.describeImages({
      Owners: ['self'],
      Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: ['snap-0123456789abcdef0'] }],
    });
    expect(none.Images).toEqual([]);
    await b.close();
  });

  it("deregistering a malformed id is Malformed; another account's public image is not ours to deregister (moto: NotFound)", async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.deregisterImage({ ImageId: 'bogus' }), 'InvalidAMIID.Malformed', 400);
    const foreign = await b.seed.registerImage({ name: unique('theirs'), foreign: true });
    await expectAwsError(b.clients.ec2.deregisterImage({ ImageId: foreign }), 'AuthFailure', 400);
    await b.close();
  });
});

describe.skipIf(!motoEndpoint().endpoint)('EC2 AMIs: moto quirks (documentation of moto, not of claw)', () => {
  const endpoint = motoEndpoint().endpoint!;

  it('RegisterImage ignores the mappings, root device, architecture and tags, makes a 15 GiB snapshot, and allows duplicate names', async () => {
    const b = openMotoBackend(endpoint);
    const source = await b.seed.registerImage({ name: unique('src') });
    const snapshotId = await rootSnapshotOf(b, source);
    const name = unique('moto');
    const { ImageId } = await b.clients.ec2.registerImage(clawRegistration(name, snapshotId, { a: 'b' }));
    const img = (await b.clients.ec2.describeImages({ ImageIds: [ImageId!] })).Images![0]!;
    expect(img.RootDeviceName).toBe('/dev/sda1');
    expect(img.BlockDeviceMappings![0]!.Ebs!.SnapshotId).not.toBe(snapshotId);
    expect(img.BlockDeviceMappings![0]!.Ebs!.VolumeSize).toBe(15);
    expect(img.Architecture).toBeUndefined();
    expect(img.Tags ?? []).toEqual([]);
    const again = await b.clients.ec2.registerImage(clawRegistration(name, snapshotId));
    expect(again.ImageId).not.toBe(ImageId);
    await b.close();
  });

  it('answers the block-device-mapping.snapshot-id filter with HTTP 500 (the SDK throws a deserialization Error)', async () => {
    const b = openMotoBackend(endpoint);
    const err = (await b.clients.ec2
      .describeImages({ Owners: ['self'], Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: ['snap-0123456789abcdef0'] }] })
      .catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number }; $fault?: string };
    expect({ name: err.name, status: err.$metadata?.httpStatusCode, fault: err.$fault }).toEqual({ name: 'Error', status: 500, fault: undefined });
    await b.close();
  });

  it('DeregisterImage of a malformed id is NotFound, not Malformed', async () => {
    const b = openMotoBackend(endpoint);
    await expectAwsError(b.clients.ec2.deregisterImage({ ImageId: 'bogus' }), 'InvalidAMIID.NotFound', 400);
    await b.close();
  });
});
