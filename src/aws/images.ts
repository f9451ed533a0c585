import type { DescribeImagesCommandInput, Image } from '@aws-sdk/client-ec2';
import type { FleetImage } from '../core/fleet.js';
import { RemoteError } from '../core/errors.js';
import type { Ec2Api } from './clients.js';
import { tagMap } from './instances.js';
import { collectPages } from './paginate.js';

export interface TaggedImage extends FleetImage {
  tags: Record<string, string>;
  snapshotIds: string[];
}

function toTaggedImage(img: Image): TaggedImage {
  if (!img.ImageId || !img.CreationDate) throw new RemoteError('DescribeImages returned an image without id or creation date');
  return {
    imageId: img.ImageId,
    name: img.Name,
    creationDate: new Date(img.CreationDate).toISOString(),
    tags: tagMap(img.Tags),
    snapshotIds: (img.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [])),
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
