import type { DescribeInstancesCommandInput, DescribeInstancesCommandOutput, Instance, Reservation } from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { INSTANCE_ID_RE } from '../core/patterns.js';
import { byId, checkMaxResults, cursorFrom, instanceNotFound, tagList } from './ec2-common.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { compileFilters, type FilterSpec } from './filters.js';
import { encodeToken, pageAfter } from './paging.js';
import { INSTANCE_STATE_CODES, type ImageRecord, type InstanceRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 DescribeInstances over the sandbox state, with AWS's rules for ids, filters,
// MaxResults (5..1000) and NextToken.

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
    ...(i.publicIpAddress !== undefined && (i.state === 'running' || i.state === 'pending') && { PublicIpAddress: i.publicIpAddress }),
    Architecture: (image?.architecture ?? 'x86_64') as Instance['Architecture'],
    RootDeviceName: image?.rootDeviceName ?? '/dev/xvda',
    RootDeviceType: 'ebs',
    VirtualizationType: 'hvm',
    Tags: tagList(i.tags),
  };
}

export function instanceOps(world: SandboxWorld): Pick<Ec2Api, 'describeInstances'> {
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
        if (missing.length === 1) throw instanceNotFound(missing[0]!);
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
        r.Instances!.push(
          toInstance(
            i,
            state.images.find((img) => img.imageId === i.imageId),
          ),
        );
      }
      return {
        $metadata: okMetadata(),
        Reservations: [...reservations.values()],
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },
  };
}
