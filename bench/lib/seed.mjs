// Seed moto with a fleet of realistic size through the SDK, in two steps so the request
// count can be compared at two fleet sizes: `seedRegistryFleet` (tagged AMIs and the
// three registry hosts of fixtures/clawdinators) then `growFleet` (hundreds more tagged
// instances, untagged neighbours, a few terminated ones). Returns what was made, so the
// bench can check that every peer saw all of it.
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const REGION = 'eu-central-1';
export const FLEET = {
  registryHosts: [
    { host: 'clawdinator-1', instanceType: 't3.large' },
    { host: 'clawdinator-2', instanceType: 't3.large', olderAmi: 3 },
    { host: 'clawdinator-babelfish', instanceType: 't3.medium' },
  ],
  taggedAmis: 30,
  untaggedAmis: 6,
  extraTagged: 200, // more instances tagged app=clawdinator, not in the registry
  stoppedEvery: 10, // every 10th extra instance is stopped
  unmanagedEvery: 23, // SSM does not know every 23rd one
  lostEvery: 17, // every 17th running one has lost its SSM connection
  untagged: 40, // other workloads in the same account
  terminatedTagged: 5,
  bucket: 'clawdinator-images-eu1-20260107165216',
};
const CONCURRENCY = 8;
const AZS = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

export function sdkConfig(endpoint) {
  return {
    region: REGION,
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  };
}

async function pool(items, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return out;
}

const stamp = (i) => {
  // clawdinator-nixos-<UTC YYYYmmddHHMMSS>, one build every ~3 days back from 2026-11-01
  const d = new Date(Date.UTC(2026, 10, 1) - i * 3 * 86_400_000 - i * 3_600_000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
};
const rev = (i) => (0x9f3c2a1b00 + i * 7919).toString(16).padStart(40, 'a').slice(0, 40);
const tagList = (tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function createSeeder(motoUrl) {
  const ec2 = new EC2Client(sdkConfig(motoUrl));
  const s3 = new S3Client({ ...sdkConfig(motoUrl), forcePathStyle: true });
  const state = { images: [], untaggedImages: [], instances: [], objects: [] };

  async function registerAmi(name, tags, volumeId) {
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: `${name} root` }));
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({
        Name: name,
        Architecture: 'x86_64',
        VirtualizationType: 'hvm',
        EnaSupport: true,
        BootMode: 'legacy-bios',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snap.SnapshotId, DeleteOnTermination: true, VolumeType: 'gp3' } }],
      }),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [ImageId], Tags: tagList(tags) }));
    if (tags.clawdinator) {
      await ec2.send(
        new CreateTagsCommand({
          Resources: [snap.SnapshotId],
          Tags: tagList({ Name: `${name}-root-snapshot`, 'artifact-kind': 'ami-root-snapshot' }),
        }),
      );
    }
    return ImageId;
  }

  async function launch({ name, tags, instanceType, imageId, az, count = 1 }) {
    const allTags = { ...(name ? { Name: name } : {}), ...tags };
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: instanceType,
        MinCount: count,
        MaxCount: count,
        Placement: { AvailabilityZone: az },
        ...(Object.keys(allTags).length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tagList(allTags) }] } : {}),
      }),
    );
    return (out.Instances ?? []).map((i) => ({
      instanceId: i.InstanceId,
      privateIp: i.PrivateIpAddress,
      tags: allTags,
      state: 'running',
      managed: false,
      ping: undefined,
    }));
  }

  /** Tagged AMIs (newest first), a few untagged own AMIs, the 3 registry hosts, the bucket. */
  async function seedRegistryFleet() {
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZS[0], Size: 8, VolumeType: 'gp3' }));
    state.images = await pool(
      Array.from({ length: FLEET.taggedAmis }, (_, i) => i),
      (i) => {
        const name = `clawdinator-nixos-${stamp(i)}`;
        return registerAmi(
          name,
          {
            clawdinator: 'true',
            Name: name,
            'artifact-kind': 'ami',
            'source-s3-key': `images/${name}.raw.zst`,
          },
          vol.VolumeId,
        );
      },
    );
    state.untaggedImages = await pool(
      Array.from({ length: FLEET.untaggedAmis }, (_, i) => i),
      (i) => registerAmi(`scratch-build-${i}`, { Name: `scratch-build-${i}` }, vol.VolumeId),
    );
    const hosts = await pool(FLEET.registryHosts, async (h, i) => {
      const [inst] = await launch({
        name: h.host,
        tags: { app: 'clawdinator', 'clawdinator:rev': rev(i) },
        instanceType: h.instanceType,
        imageId: state.images[h.olderAmi ?? 0],
        az: AZS[i % AZS.length],
      });
      return { ...inst, managed: true, ping: i === 1 ? 'ConnectionLost' : 'Online' };
    });
    state.instances.push(...hosts);
    await seedBucket();
    return summary();
  }

  /** Hundreds more tagged instances, untagged neighbours and a few terminated tagged ones. */
  async function growFleet() {
    const extra = await pool(
      Array.from({ length: FLEET.extraTagged }, (_, i) => i),
      async (i) => {
        const [inst] = await launch({
          name: `clawdinator-fleet-${String(i + 1).padStart(3, '0')}`,
          tags: { app: 'clawdinator', 'clawdinator:rev': rev(100 + (i % 12)) },
          instanceType: ['t3.large', 't3.medium', 'm6i.large'][i % 3],
          imageId: state.images[i % 8],
          az: AZS[i % AZS.length],
        });
        const stopped = (i + 1) % FLEET.stoppedEvery === 0;
        const managed = (i + 1) % FLEET.unmanagedEvery !== 0;
        return {
          ...inst,
          state: stopped ? 'stopped' : 'running',
          managed,
          ping: !managed ? undefined : stopped || (i + 1) % FLEET.lostEvery === 0 ? 'ConnectionLost' : 'Online',
        };
      },
    );
    const stop = extra.filter((x) => x.state === 'stopped').map((x) => x.instanceId);
    if (stop.length) await ec2.send(new StopInstancesCommand({ InstanceIds: stop }));
    state.instances.push(...extra);

    // Other workloads: launched in batches (one reservation each), half of them SSM-managed.
    const batches = Math.ceil(FLEET.untagged / 20);
    for (let b = 0; b < batches; b++) {
      const count = Math.min(20, FLEET.untagged - b * 20);
      const insts = await launch({
        tags: b % 2 ? {} : { app: 'billing', team: 'payments' },
        instanceType: 't3.small',
        imageId: state.untaggedImages[0],
        az: AZS[b % AZS.length],
        count,
      });
      state.instances.push(...insts.map((x, i) => ({ ...x, managed: i % 2 === 0, ping: i % 2 === 0 ? 'Online' : undefined })));
    }
    const gone = await pool(
      Array.from({ length: FLEET.terminatedTagged }, (_, i) => i),
      async (i) => {
        const [inst] = await launch({
          name: `clawdinator-old-${i + 1}`,
          tags: { app: 'clawdinator' },
          instanceType: 't3.large',
          imageId: state.images[20],
          az: AZS[0],
        });
        return { ...inst, state: 'terminated' };
      },
    );
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: gone.map((x) => x.instanceId) }));
    state.instances.push(...gone);
    return summary();
  }

  async function seedBucket() {
    await s3.send(new CreateBucketCommand({ Bucket: FLEET.bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const keys = [
      ...FLEET.registryHosts.flatMap(({ host }) => [`bootstrap/${host}/secrets.tar.zst`, `bootstrap/${host}/repo-seeds.tar.zst`]),
      ...[
        'clawdinator-discord-token-1',
        'clawdinator-discord-token-2',
        'clawdinator-discord-token-babelfish',
        'clawdinator-github-app.pem',
        'openai-api-key',
      ].map((s) => `age-secrets/${s}.age`),
      ...Array.from({ length: 12 }, (_, i) => `images/clawdinator-nixos-${stamp(i)}.raw.zst`),
    ];
    await pool(keys, (Key, i) => s3.send(new PutObjectCommand({ Bucket: FLEET.bucket, Key, Body: `bench object ${i} ${Key}\n`.repeat(1 + (i % 7)) })));
    state.objects = keys;
  }

  function summary() {
    const active = state.instances.filter((x) => x.state !== 'terminated');
    const tagged = active.filter((x) => x.tags.app === 'clawdinator');
    return {
      taggedInstances: tagged.length,
      registryHosts: FLEET.registryHosts.length,
      unregistered: tagged.filter((x) => !FLEET.registryHosts.some((h) => h.host === x.tags.Name)).length,
      stoppedTagged: tagged.filter((x) => x.state === 'stopped').length,
      untaggedInstances: active.length - tagged.length,
      terminatedTagged: state.instances.filter((x) => x.state === 'terminated').length,
      taggedAmis: state.images.length,
      untaggedAmis: state.untaggedImages.length,
      managedTagged: tagged.filter((x) => x.managed).length,
      bucket: FLEET.bucket,
      objects: state.objects.length,
    };
  }

  /** The SSM view of the fleet, for the front's DescribeInstanceInformation. */
  const managedNodes = () => {
    const lastPing = Math.floor(Date.now() / 1000) - 42;
    return state.instances.filter((x) => x.managed && x.state !== 'terminated').map((x) => ({ ...x, lastPing }));
  };

  return {
    seedRegistryFleet,
    growFleet,
    managedNodes,
    objects: () => [...state.objects],
    destroy: () => {
      ec2.destroy();
      s3.destroy();
    },
  };
}
