import type { DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import { RemoteError, UsageError } from '../core/errors.js';
import { ACTIVE_STATES, latestImage } from '../core/fleet.js';
import { parseTagPair } from '../core/patterns.js';
import { PRESERVE_TAG, planRetention, type PrunePlan } from '../core/retention.js';
import type { Ec2Api } from './clients.js';
import type { TaggedImage } from '../core/fleet.js';
import { listTaggedImages } from './images.js';
import { tagMap } from './instances.js';
import { chunk, collectPages } from './paginate.js';

export interface LatestAmi {
  imageId: string;
  /** Why this one: the override and where it came from, or "newest tagged". */
  why: string;
  source: 'override' | 'newest';
}

export interface AmiInventory {
  images: TaggedImage[];
  /** Image id -> who runs it: the instance's Name, or its id when it has none. */
  inUse: Map<string, string[]>;
  latest: LatestAmi | undefined;
}

/**
 * Which of these images any pending|running|stopping|stopped instance runs: any
 * instance in the account, not only the fleet's. Filtered server-side by image id.
 */
export async function imagesInUse(ec2: Ec2Api, imageIds: readonly string[]): Promise<Map<string, string[]>> {
  const inUse = new Map<string, string[]>();
  for (const ids of chunk(imageIds, 200)) {
    const reservations = await collectPages(
      (input: DescribeInstancesCommandInput) => ec2.describeInstances(input),
      {
        Filters: [
          { Name: 'instance-state-name', Values: [...ACTIVE_STATES] },
          { Name: 'image-id', Values: ids },
        ],
        MaxResults: 1000,
      },
      (out) => out.Reservations,
      'DescribeInstances',
    );
    for (const inst of reservations.flatMap((r) => r.Instances ?? [])) {
      // Asked by image id, every answer names one of them; a record without its ids is a
      // broken answer, and guessing "not in use" from it would delete what runs (fail closed).
      if (!inst.ImageId || !inst.InstanceId) {
        throw new RemoteError(
          `DescribeInstances answered an instance without ${inst.InstanceId ? 'an image id' : 'an instance id'}${inst.ImageId ? ` (image ${inst.ImageId})` : ''}: refusing to guess which AMIs are in use`,
        );
      }
      const who = tagMap(inst.Tags).Name ?? inst.InstanceId;
      inUse.set(inst.ImageId, [...(inUse.get(inst.ImageId) ?? []), who].sort());
    }
  }
  return inUse;
}

/** The AMI a deploy or replace would use now: an explicit override wins, else the newest tagged. */
export async function resolveLatest(
  ec2: Ec2Api,
  images: readonly TaggedImage[],
  override: { imageId: string; origin: string } | undefined,
): Promise<LatestAmi | undefined> {
  if (override) {
    const found = images.some((i) => i.imageId === override.imageId) || (await imageExists(ec2, override.imageId));
    if (!found)
      throw new UsageError(
        `AMI ${override.imageId} (from ${override.origin}) does not exist in this account and region`,
        'fix the override or drop it to use the newest tagged AMI',
      );
    return { imageId: override.imageId, why: `override from ${override.origin}`, source: 'override' };
  }
  const newest = latestImage(images);
  return newest ? { imageId: newest.imageId, why: `newest of ${images.length} tagged AMIs (created ${newest.creationDate})`, source: 'newest' } : undefined;
}

export async function imageExists(ec2: Ec2Api, imageId: string): Promise<boolean> {
  try {
    const out = await ec2.describeImages({ ImageIds: [imageId] });
    return (out.Images ?? []).some((i) => i.ImageId === imageId);
  } catch (err) {
    if (['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'].includes((err as Error).name)) return false;
    throw err;
  }
}

/** Every lookup a retention decision needs. Any failure throws: a failed lookup is never an empty fleet. */
export async function readAmiInventory(
  ec2: Ec2Api,
  opts: { amiTag: string; override?: { imageId: string; origin: string } | undefined },
): Promise<AmiInventory> {
  const images = await listTaggedImages(ec2, parseTagPair(opts.amiTag)!);
  const [inUse, latest] = await Promise.all([
    imagesInUse(
      ec2,
      images.map((i) => i.imageId),
    ),
    resolveLatest(ec2, images, opts.override),
  ]);
  return { images, inUse, latest };
}

/** The retention plan over an inventory: every guard (preserved, in use, latest, newest N, min age) as of `now`. */
export function retentionOf(inv: AmiInventory, o: { keep: number; minAgeMs: number | undefined; now: Date }): PrunePlan {
  return planRetention({
    images: inv.images.map((i) => ({
      imageId: i.imageId,
      name: i.name,
      creationDate: i.creationDate,
      snapshots: i.snapshots,
      preserved: PRESERVE_TAG in i.tags,
    })),
    inUse: inv.inUse,
    keep: o.keep,
    minAgeMs: o.minAgeMs,
    latestImageId: inv.latest?.imageId,
    now: o.now,
  });
}
