import type { DescribeImagesCommandInput, Image } from '@aws-sdk/client-ec2';
import type { TaggedImage } from '../core/fleet.js';
import { RemoteError } from '../core/errors.js';
import type { Ec2Api } from './clients.js';
import { tagMap } from './instances.js';
import { collectPages } from './paginate.js';

function toTaggedImage(img: Image): TaggedImage {
  if (!img.ImageId || !img.CreationDate || Number.isNaN(Date.parse(img.CreationDate))) {
    throw new RemoteError(`DescribeImages returned an unparsable image (${img.ImageId ?? 'no id'}): refusing to guess`);
  }
  const snapshots = (img.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.SnapshotId ? [{ snapshotId: m.Ebs.SnapshotId, sizeGiB: m.Ebs.VolumeSize ?? 0 }] : [],
  );
  return {
    imageId: img.ImageId,
    name: img.Name,
    creationDate: new Date(img.CreationDate).toISOString(),
    tags: tagMap(img.Tags),
    snapshotIds: snapshots.map((x) => x.snapshotId),
    snapshots,
  };
}

/** AMIs owned by this account and carrying the tag (server-side filter, paginated). */
export async function listTaggedImages(ec2: Ec2Api, tag: { key: string; value: string }): Promise<TaggedImage[]> {
  const images = await collectPages(
    (input: DescribeImagesCommandInput) => ec2.describeImages(input),
    { Owners: ['self'], Filters: [{ Name: `tag:${tag.key}`, Values: [tag.value] }], MaxResults: 1000 },
    (out) => out.Images,
    'DescribeImages',
  );
  return images.map(toTaggedImage);
}
