import type { DescribeInstancesCommandInput, Instance, Tag } from '@aws-sdk/client-ec2';
import { ACTIVE_STATES, type FleetInstance } from '../core/fleet.js';
import { RemoteError } from '../core/errors.js';
import type { Ec2Api } from './clients.js';
import { collectPages } from './paginate.js';

export const REV_TAG = 'clawdinator:rev';

export function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

function toFleetInstance(i: Instance): FleetInstance {
  if (!i.InstanceId || !i.State?.Name) throw new RemoteError('DescribeInstances returned an instance without id or state');
  const tags = tagMap(i.Tags);
  return {
    instanceId: i.InstanceId,
    name: tags.Name,
    state: i.State.Name,
    instanceType: i.InstanceType,
    availabilityZone: i.Placement?.AvailabilityZone,
    imageId: i.ImageId,
    launchTime: i.LaunchTime ? new Date(i.LaunchTime).toISOString() : undefined,
    rev: tags[REV_TAG],
    publicIp: i.PublicIpAddress,
    tags,
  };
}

/** Every pending|running|stopping|stopped instance carrying the tag, filtered server-side. */
export async function listFleetInstances(ec2: Ec2Api, tag: { key: string; value: string }): Promise<FleetInstance[]> {
  const reservations = await collectPages(
    (input: DescribeInstancesCommandInput) => ec2.describeInstances(input),
    {
      Filters: [
        { Name: `tag:${tag.key}`, Values: [tag.value] },
        { Name: 'instance-state-name', Values: [...ACTIVE_STATES] },
      ],
      MaxResults: 1000,
    },
    (out) => out.Reservations,
    'DescribeInstances',
  );
  return reservations.flatMap((r) => r.Instances ?? []).map(toFleetInstance);
}
