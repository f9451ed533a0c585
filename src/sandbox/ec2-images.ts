import type {
  DeregisterImageCommandInput,
  DeregisterImageCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  Image,
  VolumeType,
} from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { AMI_ID_RE } from '../core/patterns.js';
import { byId, checkMaxResults, cursorFrom, imageMalformed, imageNotFound, missingParameter, tagList } from './ec2-common.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { compileFilters, type FilterSpec } from './filters.js';
import { encodeToken, pageAfter } from './paging.js';
import type { ImageRecord, SandboxState } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 DescribeImages and DeregisterImage. An account sees its own images and public
// ones; it can deregister only its own. Deregistering leaves the snapshots behind (as
// AWS does unless DeleteAssociatedSnapshots is set, which the sandbox does not model).

const imageFilters: FilterSpec<ImageRecord> = {
  fields: {
    name: (i) => [i.name],
    state: (i) => [i.state],
    'image-id': (i) => [i.imageId],
    'owner-id': (i) => [i.ownerId],
    // Which images still reference a snapshot (claw asks before deleting one).
    'block-device-mapping.snapshot-id': (i) => i.blockDeviceMappings.map((b) => b.snapshotId),
  },
  tags: (i) => i.tags,
};

export function toImage(i: ImageRecord): Image {
  return {
    ImageId: i.imageId,
    Name: i.name,
    OwnerId: i.ownerId,
    ...(i.ownerAlias !== undefined && { ImageOwnerAlias: i.ownerAlias }),
    ...(i.description !== undefined && { Description: i.description }),
    State: i.state,
    CreationDate: i.creationDate,
    Public: i.public,
    Architecture: i.architecture as Image['Architecture'],
    ImageType: 'machine',
    Hypervisor: 'xen',
    RootDeviceName: i.rootDeviceName,
    RootDeviceType: 'ebs',
    VirtualizationType: (i.virtualizationType ?? 'hvm') as Image['VirtualizationType'],
    EnaSupport: i.enaSupport ?? true,
    ...(i.bootMode !== undefined && { BootMode: i.bootMode as Image['BootMode'] }),
    BlockDeviceMappings: i.blockDeviceMappings.map((b) => ({
      DeviceName: b.deviceName,
      Ebs: {
        SnapshotId: b.snapshotId,
        VolumeSize: b.volumeSize,
        DeleteOnTermination: b.deleteOnTermination,
        VolumeType: (b.volumeType ?? 'gp3') as VolumeType,
        Encrypted: false,
      },
    })),
    Tags: tagList(i.tags),
  };
}

/** The images this account can see: its own and public ones. */
export function visibleImages(state: SandboxState): ImageRecord[] {
  return state.images.filter((i) => i.ownerId === state.accountId || i.public);
}

export function imageOps(world: SandboxWorld): Pick<Ec2Api, 'describeImages' | 'deregisterImage'> {
  return {
    async describeImages(input: DescribeImagesCommandInput = {}): Promise<DescribeImagesCommandOutput> {
      const op = 'EC2 DescribeImages';
      rejectUnsupported(op, input, ['Filters', 'ImageIds', 'Owners', 'MaxResults', 'NextToken']);
      const { state } = world;
      const ids = input.ImageIds ?? [];
      if (ids.length > 0 && input.MaxResults !== undefined) {
        throw awsError('InvalidParameterCombination', 'The parameter ImagesSet cannot be used with the parameter maxResults');
      }
      checkMaxResults(input.MaxResults);
      const { fp, after } = cursorFrom(op, input, input.NextToken);

      let candidates = visibleImages(state);
      if (ids.length > 0) {
        const malformed = ids.find((id) => !AMI_ID_RE.test(id));
        if (malformed !== undefined) throw imageMalformed(malformed);
        const missing = ids.filter((id) => !candidates.some((i) => i.imageId === id));
        if (missing.length > 0) throw imageNotFound(missing.join(', '));
        candidates = candidates.filter((i) => ids.includes(i.imageId));
      }
      const owners = input.Owners ?? [];
      if (owners.length > 0) {
        const wanted = owners.map((o) => (o === 'self' ? state.accountId : o));
        candidates = candidates.filter((i) => wanted.includes(i.ownerId) || (i.ownerAlias !== undefined && wanted.includes(i.ownerAlias)));
      }
      const matches = compileFilters(op, input.Filters, imageFilters);
      const sorted = candidates.filter(matches).sort(byId((i: ImageRecord) => i.imageId));
      const { page, next } = pageAfter(sorted, (i) => i.imageId, after, input.MaxResults);
      return {
        $metadata: okMetadata(),
        Images: page.map(toImage),
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },

    async deregisterImage(input: DeregisterImageCommandInput): Promise<DeregisterImageCommandOutput> {
      rejectUnsupported('EC2 DeregisterImage', input, ['ImageId']);
      const { state } = world;
      const id = input.ImageId;
      if (id === undefined || id === '') throw missingParameter('imageId');
      if (!AMI_ID_RE.test(id)) throw imageMalformed(id);
      const image = visibleImages(state).find((i) => i.imageId === id);
      if (!image) {
        // AWS (and moto) remember a deregistered image: asking again is Unavailable, not NotFound.
        if (state.deregisteredImages.some((d) => d.imageId === id)) {
          throw awsError('InvalidAMIID.Unavailable', `The image id '[${id}]' is no longer available`);
        }
        throw imageNotFound(id);
      }
      if (image.ownerId !== state.accountId) throw awsError('AuthFailure', `Not authorized for image:${id}`);
      state.images = state.images.filter((i) => i.imageId !== id);
      state.deregisteredImages.push({ imageId: id, at: world.now().toISOString() });
      await world.persist();
      return { $metadata: okMetadata(), Return: true };
    },
  };
}
