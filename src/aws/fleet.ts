import type { FleetSnapshot } from '../core/fleet.js';
import { parseTagPair } from '../core/patterns.js';
import type { AwsClients } from './clients.js';
import { listTaggedImages } from './images.js';
import { listFleetInstances } from './instances.js';
import { pingInstances } from './ssm-ping.js';

export interface FleetTags {
  instanceTag: string;
  amiTag: string;
}

/**
 * One batched read of the fleet: instances and tagged AMIs concurrently, then the SSM
 * ping of the instances found. The number of calls grows only with pagination.
 */
export async function readFleet(clients: AwsClients, tags: FleetTags, warn: (line: string) => void): Promise<FleetSnapshot> {
  const instanceTag = parseTagPair(tags.instanceTag)!;
  const amiTag = parseTagPair(tags.amiTag)!;
  const [instances, images] = await Promise.all([listFleetInstances(clients.ec2, instanceTag), listTaggedImages(clients.ec2, amiTag)]);
  const ping = instances.length
    ? await pingInstances(
        clients.ssm,
        instances.map((i) => i.instanceId),
      )
    : { pings: new Map() };
  if ('unavailable' in ping) warn(`ssm ping unknown: ${ping.unavailable}`);
  return { instances, images, ssm: 'pings' in ping ? ping.pings : 'unavailable' };
}
