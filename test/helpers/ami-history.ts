import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { tempDir } from './claw.js';

// An AMI history in moto under a tag of the test's own, so tests never see each other's images.

export interface AmiHistory {
  tag: string;
  images: string[];
  snapshots: string[];
  home: string;
}

/** N tagged AMIs, oldest first (one second apart: CreationDate has second resolution). */
export async function amiHistory(ec2: EC2Client, n: number): Promise<AmiHistory> {
  const tag = `clawdinator-${randomBytes(4).toString('hex')}`;
  const base = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-03cf127a', MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
  const images: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1_050));
    const id = (await ec2.send(new CreateImageCommand({ InstanceId: base, Name: `${tag}-${i}` }))).ImageId!;
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: tag, Value: 'true' }] }));
    images.push(id);
  }
  const described = await ec2.send(new DescribeImagesCommand({ ImageIds: images }));
  const snapshots = images.map((id) => described.Images!.find((i) => i.ImageId === id)!.BlockDeviceMappings![0]!.Ebs!.SnapshotId!);
  return { tag, images, snapshots, home: tempDir('claw-prune-') };
}

/** Which of the history's images (tagged) and snapshots still exist, and the tags on those snapshots. */
export async function amiState(ec2: EC2Client, h: AmiHistory) {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${h.tag}`, Values: ['true'] }] }));
  const snaps = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [];
  const live = new Map(snaps.map((s) => [s.SnapshotId!, (s.Tags ?? []).map((t) => t.Key!)]));
  return {
    images: (images.Images ?? []).map((i) => i.ImageId!).sort(),
    snapshots: h.snapshots.filter((s) => live.has(s)),
    snapshotTags: Object.fromEntries(h.snapshots.filter((s) => live.has(s)).map((s) => [s, live.get(s)!])),
  };
}
