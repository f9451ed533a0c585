import type { DescribeInstancesCommandInput, Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { Ec2Api } from '../../src/aws/clients.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { collectPages, expectAwsError, forEachBackend, motoEndpoint, openMotoBackend, openSandboxBackend, unique, type Backend } from './backends.js';

// The EC2 contract: the same tests against the sandbox and against moto. Where moto
// differs from AWS, the AWS behaviour is covered by the sandbox-only block below, and
// the moto quirk is pinned in "moto quirks" so a moto upgrade that changes it shows up.

async function allInstances(ec2: Ec2Api, input: DescribeInstancesCommandInput): Promise<Instance[][]> {
  return collectPages(async (token) => {
    const out = await ec2.describeInstances({ ...input, NextToken: token });
    return { items: (out.Reservations ?? []).flatMap((r) => r.Instances ?? []), next: out.NextToken };
  });
}

const ids = (instances: Instance[]) => instances.map((i) => i.InstanceId!).sort();

async function instancesWhere(b: Backend, filters: { Name: string; Values: string[] }[]): Promise<Instance[]> {
  const out = await b.clients.ec2.describeInstances({ Filters: filters });
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

forEachBackend('EC2 describeInstances', (backend) => {
  it('tag:<key> filters are ANDed, values ORed; instances without the tag are excluded', async () => {
    const b = backend();
    const run = unique();
    const one = await b.seed.runInstance({ tags: { 'claw-test': run, app: 'clawdinator', Name: `${run}-1` } });
    const two = await b.seed.runInstance({ tags: { 'claw-test': run, app: 'clawdinator', Name: `${run}-2` } });
    await b.seed.runInstance({ tags: { 'claw-test': run, Name: `${run}-bastion` } });

    const tagged = await instancesWhere(b, [
      { Name: 'tag:claw-test', Values: [run] },
      { Name: 'tag:app', Values: ['clawdinator'] },
    ]);
    expect(ids(tagged)).toEqual([one, two].sort());

    const named = await instancesWhere(b, [{ Name: 'tag:Name', Values: [`${run}-2`, `${run}-bastion`, 'nope'] }]);
    expect(named.map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value).sort()).toEqual([`${run}-2`, `${run}-bastion`]);

    const withKey = await instancesWhere(b, [
      { Name: 'tag:claw-test', Values: [run] },
      { Name: 'tag-key', Values: ['app'] },
    ]);
    expect(ids(withKey)).toEqual([one, two].sort());

    const wildcard = await instancesWhere(b, [{ Name: 'tag:Name', Values: [`${run}-?`] }]);
    expect(ids(wildcard)).toEqual([one, two].sort());
  });

  it('instance-state-name filters and State {Code, Name}', async () => {
    const b = backend();
    const run = unique();
    const tags = { 'claw-test': run };
    const running = await b.seed.runInstance({ tags });
    const stopped = await b.seed.runInstance({ tags, state: 'stopped' });
    const terminated = await b.seed.runInstance({ tags, state: 'terminated' });
    const mine = { Name: 'tag:claw-test', Values: [run] };

    const active = await instancesWhere(b, [mine, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }]);
    expect(ids(active)).toEqual([running, stopped].sort());

    const all = await instancesWhere(b, [mine]);
    const stateOf = Object.fromEntries(all.map((i) => [i.InstanceId!, i.State]));
    expect(stateOf).toEqual({
      [running]: { Code: 16, Name: 'running' },
      [stopped]: { Code: 80, Name: 'stopped' },
      [terminated]: { Code: 48, Name: 'terminated' },
    });

    const gone = await instancesWhere(b, [mine, { Name: 'instance-state-name', Values: ['terminated'] }]);
    expect(ids(gone)).toEqual([terminated]);
  });

  it('answers with the SDK shape: Placement, InstanceType, ImageId, LaunchTime as a Date, Tags', async () => {
    const b = backend();
    const run = unique();
    const before = Date.now();
    const id = await b.seed.runInstance({
      tags: { 'claw-test': run, Name: 'shape' },
      imageId: 'ami-0a1b2c3d4e5f60718',
      instanceType: 't3.medium',
      availabilityZone: 'eu-central-1b',
    });
    const out = await b.clients.ec2.describeInstances({ InstanceIds: [id] });
    expect(out.Reservations).toHaveLength(1);
    expect(out.Reservations![0]!.ReservationId).toMatch(/^r-[0-9a-f]+$/);
    const inst = out.Reservations![0]!.Instances![0]!;
    expect(inst).toMatchObject({
      InstanceId: id,
      ImageId: 'ami-0a1b2c3d4e5f60718',
      InstanceType: 't3.medium',
      Placement: { AvailabilityZone: 'eu-central-1b' },
      State: { Code: 16, Name: 'running' },
    });
    expect(inst.LaunchTime).toBeInstanceOf(Date);
    // Both backends stamp "now" at launch (moto truncates to the second).
    expect(Math.abs(inst.LaunchTime!.getTime() - before)).toBeLessThan(60_000);
    expect(inst.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Name', Value: 'shape' },
        { Key: 'claw-test', Value: run },
      ]),
    );
  });

  it('instance-id and image-id filters', async () => {
    const b = backend();
    const run = unique();
    const a = await b.seed.runInstance({ tags: { 'claw-test': run }, imageId: 'ami-00000000000000aaa' });
    const c = await b.seed.runInstance({ tags: { 'claw-test': run }, imageId: 'ami-00000000000000ccc' });
    const mine = { Name: 'tag:claw-test', Values: [run] };
    expect(ids(await instancesWhere(b, [mine, { Name: 'image-id', Values: ['ami-00000000000000ccc'] }]))).toEqual([c]);
    expect(ids(await instancesWhere(b, [mine, { Name: 'instance-id', Values: [a] }]))).toEqual([a]);
  });

  it('paginates with MaxResults + NextToken: every instance exactly once', async () => {
    const b = backend();
    const run = unique();
    const seeded: string[] = [];
    for (let n = 0; n < 7; n++) seeded.push(await b.seed.runInstance({ tags: { 'claw-test': run, Name: `${run}-${n}` } }));

    const pages = await allInstances(b.clients.ec2, { MaxResults: 5, Filters: [{ Name: 'tag:claw-test', Values: [run] }] });
    expect(pages.map((p) => p.length)).toEqual([5, 2]);
    const seen = pages.flat().map((i) => i.InstanceId!);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...seeded].sort());
  });

  it('InstanceIds: an unknown id is InvalidInstanceID.NotFound; known ids return exactly those', async () => {
    const b = backend();
    const run = unique();
    const one = await b.seed.runInstance({ tags: { 'claw-test': run } });
    await b.seed.runInstance({ tags: { 'claw-test': run } });
    const out = await b.clients.ec2.describeInstances({ InstanceIds: [one] });
    expect(ids((out.Reservations ?? []).flatMap((r) => r.Instances ?? []))).toEqual([one]);

    const err = await expectAwsError(b.clients.ec2.describeInstances({ InstanceIds: [one, 'i-0123456789abcdef0'] }), 'InvalidInstanceID.NotFound', 400);
    expect(err.message).toContain('i-0123456789abcdef0');
  });

  it('InstanceIds together with MaxResults is InvalidParameterCombination', async () => {
    const b = backend();
    const one = await b.seed.runInstance({ tags: { 'claw-test': unique() } });
    await expectAwsError(b.clients.ec2.describeInstances({ InstanceIds: [one], MaxResults: 5 }), 'InvalidParameterCombination', 400);
  });
});

forEachBackend('EC2 describeImages', (backend) => {
  it('Owners: [self] with a tag filter returns only our tagged images, never a foreign one', async () => {
    const b = backend();
    const run = unique();
    const tags = { clawdinator: 'true', 'claw-test': run };
    const a = await b.seed.registerImage({ name: `${run}-a`, tags });
    const c = await b.seed.registerImage({ name: `${run}-c`, tags });
    await b.seed.registerImage({ name: `${run}-untagged`, tags: { 'claw-test': run } });
    const foreign = await b.seed.registerImage({ name: `${run}-foreign`, tags, foreign: true });
    const filters = [
      { Name: 'tag:claw-test', Values: [run] },
      { Name: 'tag:clawdinator', Values: ['true'] },
    ];

    const self = await b.clients.ec2.describeImages({ Owners: ['self'], Filters: filters });
    expect((self.Images ?? []).map((i) => i.ImageId).sort()).toEqual([a, c].sort());

    // Without Owners the foreign public image is visible too: the Owners filter is doing the work.
    const visible = await b.clients.ec2.describeImages({ Filters: filters });
    expect((visible.Images ?? []).map((i) => i.ImageId).sort()).toEqual([a, c, foreign].sort());
  });

  it('ImageIds: a malformed id is InvalidAMIID.Malformed, an unknown one InvalidAMIID.NotFound', async () => {
    const b = backend();
    await expectAwsError(b.clients.ec2.describeImages({ ImageIds: ['bogus'] }), 'InvalidAMIID.Malformed', 400);
    const err = await expectAwsError(b.clients.ec2.describeImages({ ImageIds: ['ami-0123456789abcdef0'] }), 'InvalidAMIID.NotFound', 400);
    expect(err.message).toContain('ami-0123456789abcdef0');
  });

  it('ImageIds: returns the image with CreationDate as an ISO string and a root snapshot mapping', async () => {
    const b = backend();
    const run = unique();
    const id = await b.seed.registerImage({ name: `clawdinator-nixos-${run}`, tags: { 'claw-test': run, Name: `clawdinator-nixos-${run}` } });
    const out = await b.clients.ec2.describeImages({ ImageIds: [id] });
    expect(out.Images).toHaveLength(1);
    const img = out.Images![0]!;
    expect(img).toMatchObject({ ImageId: id, Name: `clawdinator-nixos-${run}`, OwnerId: '123456789012', State: 'available' });
    expect(typeof img.CreationDate).toBe('string');
    expect(new Date(img.CreationDate!).toISOString()).toBe(img.CreationDate);
    const root = img.BlockDeviceMappings?.find((m) => m.DeviceName === img.RootDeviceName);
    expect(root?.Ebs?.SnapshotId).toMatch(/^snap-[0-9a-f]+$/);
    expect(root?.Ebs?.VolumeSize).toBeGreaterThan(0);
    expect(img.Tags).toEqual(expect.arrayContaining([{ Key: 'claw-test', Value: run }]));
  });

  it('name and state filters, with wildcards', async () => {
    const b = backend();
    const run = unique();
    const id = await b.seed.registerImage({ name: `${run}-nixos-1`, tags: { 'claw-test': run } });
    await b.seed.registerImage({ name: `${run}-other`, tags: { 'claw-test': run } });
    const out = await b.clients.ec2.describeImages({
      Owners: ['self'],
      Filters: [
        { Name: 'name', Values: [`${run}-nixos-*`] },
        { Name: 'state', Values: ['available'] },
      ],
    });
    expect((out.Images ?? []).map((i) => i.ImageId)).toEqual([id]);
    const none = await b.clients.ec2.describeImages({
      Owners: ['self'],
      Filters: [
        { Name: 'name', Values: [`${run}-nixos-*`] },
        { Name: 'state', Values: ['failed'] },
      ],
    });
    expect(none.Images ?? []).toEqual([]);
  });
});

// Sandbox only: AWS behaviour moto 5.2.1 does not reproduce (each case says what moto does).
describe('EC2 sandbox only (AWS behaviour moto lacks)', () => {
  it('MaxResults outside 5..1000 is InvalidParameterValue (moto accepts any value)', async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.describeInstances({ MaxResults: 2 }), 'InvalidParameterValue', 400);
    await expectAwsError(b.clients.ec2.describeInstances({ MaxResults: 1001 }), 'InvalidParameterValue', 400);
    await expectAwsError(b.clients.ec2.describeImages({ MaxResults: 4 }), 'InvalidParameterValue', 400);
    await b.close();
  });

  it('a malformed instance id is InvalidInstanceID.Malformed (moto says NotFound)', async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.describeInstances({ InstanceIds: ['bogus'] }), 'InvalidInstanceID.Malformed', 400);
    await b.close();
  });

  it('ImageIds: ami-<non-hex> is Malformed and one missing id fails the call (moto: NotFound / returns the rest)', async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.describeImages({ ImageIds: ['ami-xyz'] }), 'InvalidAMIID.Malformed', 400);
    const id = await b.seed.registerImage({ name: 'x' });
    await expectAwsError(b.clients.ec2.describeImages({ ImageIds: [id, 'ami-0123456789abcdef0'] }), 'InvalidAMIID.NotFound', 400);
    // A private image of another account is not visible, so it is NotFound too.
    const { imageId: privateForeign } = await b.sandbox!.admin.registerImage({ name: 'theirs', ownerId: '999999999999' });
    await expectAwsError(b.clients.ec2.describeImages({ ImageIds: [privateForeign] }), 'InvalidAMIID.NotFound', 400);
    await b.close();
  });

  it('describeImages paginates with MaxResults/NextToken (moto ignores MaxResults and returns everything)', async () => {
    const b = await openSandboxBackend();
    const run = unique();
    const seeded: string[] = [];
    for (let n = 0; n < 6; n++) seeded.push(await b.seed.registerImage({ name: `${run}-${n}`, tags: { 'claw-test': run } }));
    const pages = await collectPages(async (token) => {
      const out = await b.clients.ec2.describeImages({
        Owners: ['self'],
        Filters: [{ Name: 'tag:claw-test', Values: [run] }],
        MaxResults: 5,
        NextToken: token,
      });
      return { items: (out.Images ?? []).map((i) => i.ImageId!), next: out.NextToken };
    });
    const sizes = pages.map((p) => p.length);
    const seen = pages.flat();
    expect(sizes).toEqual([5, 1]);
    expect(seen.sort()).toEqual(seeded.sort());
    await b.close();
  });

  it('a garbage NextToken, or a token reused with other filters, is InvalidPaginationToken (moto: HTTP 500)', async () => {
    const b = await openSandboxBackend();
    await expectAwsError(b.clients.ec2.describeInstances({ MaxResults: 5, NextToken: 'garbage' }), 'InvalidPaginationToken', 400);
    const first = await b.clients.ec2.describeInstances({ MaxResults: 5 });
    expect(first.NextToken).toBeDefined();
    await expectAwsError(
      b.clients.ec2.describeInstances({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'tag:app', Values: ['x'] }] }),
      'InvalidPaginationToken',
      400,
    );
    await b.close();
  });

  it('an unimplemented filter or parameter throws SandboxUnsupportedError naming it (moto: HTTP 500)', async () => {
    const b = await openSandboxBackend();
    await expect(b.clients.ec2.describeInstances({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] })).rejects.toThrow(
      new SandboxUnsupportedError(
        'EC2 DescribeInstances does not implement filter "vpc-id" (supported: tag:<key>, tag-key, instance-state-name, instance-id, image-id, instance-type, availability-zone)',
      ),
    );
    await expect(b.clients.ec2.describeImages({ ExecutableUsers: ['self'] })).rejects.toThrow(/"ExecutableUsers"/);
    await expect(b.clients.ec2.describeInstances({ DryRun: true })).rejects.toBeInstanceOf(SandboxUnsupportedError);
    await b.close();
  });
});

// What moto 5.2.1 does differently from AWS, pinned so that a moto upgrade that changes
// it is noticed (and the sandbox-only tests above can move into the shared contract).
describe.skipIf(!motoEndpoint().endpoint)('EC2 moto quirks (documentation of moto, not of claw)', () => {
  const endpoint = motoEndpoint().endpoint!;

  it('accepts MaxResults below 5 and ignores MaxResults on DescribeImages', async () => {
    const b = openMotoBackend(endpoint);
    const run = unique();
    for (let n = 0; n < 3; n++) await b.seed.runInstance({ tags: { 'claw-test': run } });
    const small = await b.clients.ec2.describeInstances({ MaxResults: 2, Filters: [{ Name: 'tag:claw-test', Values: [run] }] });
    expect((small.Reservations ?? []).length).toBe(2);
    expect(small.NextToken).toBeDefined();
    for (let n = 0; n < 6; n++) await b.seed.registerImage({ name: `${run}-${n}`, tags: { 'claw-test': run } });
    const images = await b.clients.ec2.describeImages({ MaxResults: 5, Owners: ['self'], Filters: [{ Name: 'tag:claw-test', Values: [run] }] });
    expect(images.Images).toHaveLength(6);
    expect(images.NextToken).toBeUndefined();
    await b.close();
  });

  it('ImageIds with one unknown id returns the known ones; ami-<non-hex> is NotFound, not Malformed', async () => {
    const b = openMotoBackend(endpoint);
    const id = await b.seed.registerImage({ name: unique() });
    const out = await b.clients.ec2.describeImages({ ImageIds: [id, 'ami-0123456789abcdef0'] });
    expect((out.Images ?? []).map((i) => i.ImageId)).toEqual([id]);
    await expectAwsError(b.clients.ec2.describeImages({ ImageIds: ['ami-xyz'] }), 'InvalidAMIID.NotFound', 400);
    await expectAwsError(b.clients.ec2.describeInstances({ InstanceIds: ['bogus'] }), 'InvalidInstanceID.NotFound', 400);
    await b.close();
  });

  it('answers an unimplemented filter with HTTP 500 and an HTML page (the SDK throws a deserialization Error)', async () => {
    const b = openMotoBackend(endpoint);
    const err = (await b.clients.ec2.describeInstances({ Filters: [{ Name: 'bogus-filter', Values: ['x'] }] }).catch((e: unknown) => e)) as Error & {
      $metadata?: { httpStatusCode?: number };
      $fault?: string;
    };
    expect({ name: err.name, status: err.$metadata?.httpStatusCode, fault: err.$fault }).toEqual({ name: 'Error', status: 500, fault: undefined });
    expect(err.message).toMatch(/Deserialization error/);
    await b.close();
  });
});
