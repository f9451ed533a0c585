import type {
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  Image,
  Instance,
  Reservation,
  Tag,
} from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { AMI_ID_RE, INSTANCE_ID_RE } from '../core/patterns.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { compileFilters, type FilterSpec } from './filters.js';
import { decodeToken, encodeToken, pageAfter, requestFingerprint } from './paging.js';
import { INSTANCE_STATE_CODES, type ImageRecord, type InstanceRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 DescribeInstances / DescribeImages over the sandbox state, with AWS's rules for
// ids, filters, MaxResults (5..1000) and NextToken.

const PAGING = ['MaxResults', 'NextToken'] as const;

function tagList(tags: Record<string, string>): Tag[] | undefined {
  const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return list.length > 0 ? list : undefined;
}

function checkMaxResults(max: number | undefined): void {
  if (max === undefined) return;
  if (!Number.isInteger(max) || max < 5 || max > 1000) {
    const expect = max > 1000 ? 'less than or equal to 1000' : 'greater than or equal to 5';
    throw awsError('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value ${expect}.`);
  }
}

function cursorFrom(op: string, input: object, token: string | undefined): { fp: string; after: string | undefined } {
  const fp = requestFingerprint(input, PAGING);
  if (token === undefined) return { fp, after: undefined };
  const after = decodeToken<string>(op, fp, token);
  if (typeof after !== 'string') throw awsError('InvalidPaginationToken', `Invalid pagination token: ${token}`);
  return { fp, after };
}

const byId = <T>(idOf: (t: T) => string) => (a: T, b: T) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0);

const instanceFilters: FilterSpec<InstanceRecord> = {
  fields: {
    'instance-state-name': (i) => [i.state],
    'instance-id': (i) => [i.instanceId],
    'image-id': (i) => [i.imageId],
    'instance-type': (i) => [i.instanceType],
    'availability-zone': (i) => [i.availabilityZone],
  },
  tags: (i) => i.tags,
};

function toInstance(i: InstanceRecord, image: ImageRecord | undefined): Instance {
  return {
    InstanceId: i.instanceId,
    ImageId: i.imageId,
    InstanceType: i.instanceType as Instance['InstanceType'],
    LaunchTime: new Date(i.launchTime),
    State: { Code: INSTANCE_STATE_CODES[i.state], Name: i.state },
    Placement: { AvailabilityZone: i.availabilityZone, Tenancy: 'default' },
    ...(i.privateIpAddress !== undefined && i.state !== 'terminated' && { PrivateIpAddress: i.privateIpAddress }),
    Architecture: (image?.architecture ?? 'x86_64') as Instance['Architecture'],
    RootDeviceName: image?.rootDeviceName ?? '/dev/xvda',
    RootDeviceType: 'ebs',
    VirtualizationType: 'hvm',
    Tags: tagList(i.tags),
  };
}

const imageFilters: FilterSpec<ImageRecord> = {
  fields: {
    name: (i) => [i.name],
    state: (i) => [i.state],
    'image-id': (i) => [i.imageId],
    'owner-id': (i) => [i.ownerId],
  },
  tags: (i) => i.tags,
};

function toImage(i: ImageRecord): Image {
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
    VirtualizationType: 'hvm',
    EnaSupport: true,
    ...(i.bootMode !== undefined && { BootMode: i.bootMode as Image['BootMode'] }),
    BlockDeviceMappings: i.blockDeviceMappings.map((b) => ({
      DeviceName: b.deviceName,
      Ebs: {
        SnapshotId: b.snapshotId,
        VolumeSize: b.volumeSize,
        DeleteOnTermination: b.deleteOnTermination,
        VolumeType: 'gp3',
        Encrypted: false,
      },
    })),
    Tags: tagList(i.tags),
  };
}

export function createEc2(world: SandboxWorld): Ec2Api {
  return {
    async describeInstances(input: DescribeInstancesCommandInput = {}): Promise<DescribeInstancesCommandOutput> {
      const op = 'EC2 DescribeInstances';
      rejectUnsupported(op, input, ['Filters', 'InstanceIds', 'MaxResults', 'NextToken']);
      const { state } = world;
      const ids = input.InstanceIds ?? [];
      if (ids.length > 0 && input.MaxResults !== undefined) {
        throw awsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
      }
      checkMaxResults(input.MaxResults);
      const { fp, after } = cursorFrom(op, input, input.NextToken);

      let candidates = state.instances;
      if (ids.length > 0) {
        const malformed = ids.find((id) => !INSTANCE_ID_RE.test(id));
        if (malformed !== undefined) throw awsError('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
        const missing = ids.filter((id) => !state.instances.some((i) => i.instanceId === id));
        if (missing.length === 1) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
        if (missing.length > 1) throw awsError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
        candidates = state.instances.filter((i) => ids.includes(i.instanceId));
      }
      const matches = compileFilters(op, input.Filters, instanceFilters);
      const sorted = candidates.filter(matches).sort(byId((i: InstanceRecord) => i.instanceId));
      const { page, next } = pageAfter(sorted, (i) => i.instanceId, after, input.MaxResults);

      const reservations = new Map<string, Reservation>();
      for (const i of page) {
        let r = reservations.get(i.reservationId);
        if (!r) {
          r = { ReservationId: i.reservationId, OwnerId: state.accountId, Groups: [], Instances: [] };
          reservations.set(i.reservationId, r);
        }
        r.Instances!.push(toInstance(i, state.images.find((img) => img.imageId === i.imageId)));
      }
      return {
        $metadata: okMetadata(),
        Reservations: [...reservations.values()],
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },

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

      // What this account can see: its own images and public ones.
      let candidates = state.images.filter((i) => i.ownerId === state.accountId || i.public);
      if (ids.length > 0) {
        const malformed = ids.find((id) => !AMI_ID_RE.test(id));
        if (malformed !== undefined) throw awsError('InvalidAMIID.Malformed', `Invalid id: "${malformed}" (expecting "ami-...")`);
        const missing = ids.filter((id) => !candidates.some((i) => i.imageId === id));
        if (missing.length > 0) throw awsError('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
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
  };
}
