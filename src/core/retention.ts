import { sortImagesNewestFirst } from './fleet.js';

// The AMI retention plan: which tagged images a prune keeps, which it removes, and
// every reason for each. Pure: the caller gathers images, instances and tags.

/** EBS snapshot standard tier, USD per GB-month (an estimate: snapshots are incremental). */
export const SNAPSHOT_USD_PER_GB_MONTH = 0.05;
export const PRESERVE_TAG = 'clawdinator:preserve';

export interface RetentionImage {
  imageId: string;
  name: string | undefined;
  creationDate: string;
  /** Root and data snapshots with their volume sizes (from the block device mappings). */
  snapshots: { snapshotId: string; sizeGiB: number }[];
  preserved: boolean;
}

export interface RetentionInput {
  images: RetentionImage[];
  /** Image id -> who runs it (host name, or instance id when unregistered). */
  inUse: ReadonlyMap<string, readonly string[]>;
  keep: number;
  minAgeMs: number | undefined;
  latestImageId: string | undefined;
  now: Date;
}

export interface PlannedImage {
  imageId: string;
  name: string | null;
  creationDate: string;
  action: 'keep' | 'prune';
  reasons: string[];
  snapshotIds: string[];
  sizeGiB: number;
}

export interface PrunePlan {
  keep: number;
  images: PlannedImage[];
  /** Snapshots of pruned images that no kept image references: safe to delete. */
  snapshotsToDelete: string[];
  freedGiB: number;
  monthlySavingsUsd: number;
}

export function planRetention(input: RetentionInput): PrunePlan {
  const ordered = sortImagesNewestFirst(input.images);
  const images = ordered.map((img, index): PlannedImage => {
    const reasons: string[] = [];
    if (index < input.keep) reasons.push('recent');
    for (const who of input.inUse.get(img.imageId) ?? []) reasons.push(`in-use:${who}`);
    if (img.preserved) reasons.push('preserved');
    if (input.minAgeMs !== undefined && input.now.getTime() - Date.parse(img.creationDate) < input.minAgeMs) reasons.push('min-age');
    if (img.imageId === input.latestImageId) reasons.push('latest');
    return {
      imageId: img.imageId,
      name: img.name ?? null,
      creationDate: img.creationDate,
      action: reasons.length ? 'keep' : 'prune',
      reasons,
      snapshotIds: img.snapshots.map((x) => x.snapshotId),
      sizeGiB: img.snapshots.reduce((sum, x) => sum + x.sizeGiB, 0),
    };
  });
  const keptSnapshots = new Set(images.filter((i) => i.action === 'keep').flatMap((i) => i.snapshotIds));
  const sizes = new Map(ordered.flatMap((img) => img.snapshots.map((x) => [x.snapshotId, x.sizeGiB] as const)));
  const pruned = images.filter((i) => i.action === 'prune');
  // A snapshot shared with a kept image stays, and is not counted as freed.
  const snapshotsToDelete = [...new Set(pruned.flatMap((i) => i.snapshotIds))].filter((id) => !keptSnapshots.has(id));
  const freedGiB = snapshotsToDelete.reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0);
  return {
    keep: input.keep,
    images,
    snapshotsToDelete,
    freedGiB,
    monthlySavingsUsd: Math.round(freedGiB * SNAPSHOT_USD_PER_GB_MONTH * 100) / 100,
  };
}
