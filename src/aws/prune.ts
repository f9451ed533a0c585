import type { DescribeSnapshotsCommandInput } from '@aws-sdk/client-ec2';
import type { EventSink } from '../core/events.js';
import type { PrunePlan } from '../core/retention.js';
import { imageExists, imagesInUse } from './ami-inventory.js';
import type { Ec2Api } from './clients.js';
import { collectPages } from './paginate.js';
import { PRUNED_FROM_TAG, type JournalEntry, type PruneJournal } from './prune-journal.js';

// Executes exactly a shown prune plan. Guards are re-checked right before each
// destructive call; "not found" answers count as already gone.

export type ImageOutcome = 'pruned' | 'already-gone' | 'skipped-in-use' | 'left-registered';
export type SnapshotOutcome = 'deleted' | 'already-gone' | 'kept';

export interface PruneResult {
  images: { imageId: string; outcome: ImageOutcome; detail?: string }[];
  snapshots: { snapshotId: string; outcome: SnapshotOutcome; detail?: string }[];
  freedGiB: number;
}

const GONE_IMAGE = ['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'];
const errName = (err: unknown) => (err as Error).name;

async function deregister(ec2: Ec2Api, imageId: string): Promise<'deregistered' | 'already-gone'> {
  try {
    await ec2.deregisterImage({ ImageId: imageId });
    return 'deregistered';
  } catch (err) {
    if (GONE_IMAGE.includes(errName(err))) return 'already-gone';
    throw err;
  }
}

/**
 * Delete a snapshot unless another AMI still references it. EC2 itself refuses to
 * delete a snapshot a registered AMI uses (InvalidSnapshot.InUse): that answer is the
 * guard, checked at the moment of deletion, and the snapshot is kept.
 */
async function deleteSnapshotSafely(ec2: Ec2Api, snapshotId: string): Promise<{ outcome: SnapshotOutcome; detail?: string }> {
  try {
    await ec2.deleteSnapshot({ SnapshotId: snapshotId });
    return { outcome: 'deleted' };
  } catch (err) {
    if (errName(err) === 'InvalidSnapshot.NotFound') return { outcome: 'already-gone' };
    if (errName(err) === 'InvalidSnapshot.InUse') {
      await untag(ec2, snapshotId);
      const by = /ami-[0-9a-f]+/.exec((err as Error).message)?.[0];
      return { outcome: 'kept', detail: `still used by ${by ?? 'another AMI'}` };
    }
    throw err;
  }
}

async function untag(ec2: Ec2Api, snapshotId: string): Promise<void> {
  await ec2.deleteTags({ Resources: [snapshotId], Tags: [{ Key: PRUNED_FROM_TAG }] }).catch((err: unknown) => {
    if (errName(err) !== 'InvalidSnapshot.NotFound') throw err;
  });
}

/** Mark the snapshots (tag + journal) so that whatever happens next, a resume can finish. */
async function markPending(ec2: Ec2Api, journal: PruneJournal, entry: JournalEntry): Promise<void> {
  await journal.put(entry);
  if (entry.snapshotIds.length) {
    await ec2.createTags({ Resources: entry.snapshotIds, Tags: [{ Key: PRUNED_FROM_TAG, Value: entry.imageId }] }).catch((err: unknown) => {
      if (errName(err) !== 'InvalidSnapshot.NotFound') throw err;
    });
  }
}

async function finishSnapshots(ec2: Ec2Api, entry: JournalEntry, result: PruneResult, sizes: ReadonlyMap<string, number>, events: EventSink): Promise<void> {
  for (const snapshotId of entry.snapshotIds) {
    events.emit({ type: 'step-started', step: `delete ${snapshotId}` });
    const { outcome, detail } = await deleteSnapshotSafely(ec2, snapshotId);
    result.snapshots.push({ snapshotId, outcome, ...(detail ? { detail } : {}) });
    if (outcome === 'deleted') result.freedGiB += sizes.get(snapshotId) ?? 0;
    events.emit({ type: 'step-finished', step: `delete ${snapshotId}`, outcome: outcome === 'kept' ? 'skipped' : 'ok', detail: detail ?? outcome });
  }
}

export async function applyPrune(
  ec2: Ec2Api,
  plan: PrunePlan,
  deps: { journal: PruneJournal; events: EventSink; sizes: ReadonlyMap<string, number>; now: () => Date },
): Promise<PruneResult> {
  const result: PruneResult = { images: [], snapshots: [], freedGiB: 0 };
  const deletable = new Set(plan.snapshotsToDelete);
  // Oldest first: an interrupted run has removed the least valuable images.
  for (const image of plan.images.filter((i) => i.action === 'prune').reverse()) {
    const step = `deregister ${image.imageId}`;
    deps.events.emit({ type: 'step-started', step, detail: image.name ?? undefined });
    const users = (await imagesInUse(ec2, [image.imageId])).get(image.imageId);
    if (users?.length) {
      result.images.push({ imageId: image.imageId, outcome: 'skipped-in-use', detail: `now used by ${users.join(', ')}` });
      deps.events.emit({ type: 'step-finished', step, outcome: 'skipped', detail: `became in use: ${users.join(', ')}` });
      continue;
    }
    const entry: JournalEntry = { imageId: image.imageId, name: image.name, snapshotIds: image.snapshotIds.filter((s) => deletable.has(s)), stage: 'pending', at: deps.now().toISOString() };
    await markPending(ec2, deps.journal, entry);
    const outcome = await deregister(ec2, image.imageId);
    await deps.journal.put({ ...entry, stage: 'deregistered' });
    result.images.push({ imageId: image.imageId, outcome: outcome === 'deregistered' ? 'pruned' : 'already-gone' });
    deps.events.emit({ type: 'step-finished', step, outcome: 'ok', detail: outcome });
    await finishSnapshots(ec2, entry, result, deps.sizes, deps.events);
    await deps.journal.remove(image.imageId);
  }
  return result;
}

/**
 * Finish an interrupted prune: every journal entry, plus snapshots tagged as pruned
 * whose image is gone (a journal on another machine). An image still registered is
 * deregistered only when this journal holds it and nothing runs it.
 */
export async function resumePrune(
  ec2: Ec2Api,
  deps: { journal: PruneJournal; events: EventSink },
): Promise<PruneResult> {
  const result: PruneResult = { images: [], snapshots: [], freedGiB: 0 };
  const entries = new Map((await deps.journal.entries()).map((e) => [e.imageId, e]));
  const tagged = await collectPages(
    (input: DescribeSnapshotsCommandInput) => ec2.describeSnapshots(input),
    { OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [PRUNED_FROM_TAG] }], MaxResults: 1000 },
    (out) => out.Snapshots,
    'DescribeSnapshots',
  );
  const sizes = new Map(tagged.map((snap) => [snap.SnapshotId ?? '', snap.VolumeSize ?? 0] as const));
  const orphans = new Map<string, string[]>();
  for (const snap of tagged) {
    const from = snap.Tags?.find((t) => t.Key === PRUNED_FROM_TAG)?.Value;
    if (snap.SnapshotId && from && !entries.has(from)) orphans.set(from, [...(orphans.get(from) ?? []), snap.SnapshotId]);
  }
  for (const [imageId, snapshotIds] of orphans) {
    if (await imageExists(ec2, imageId)) {
      result.images.push({ imageId, outcome: 'left-registered', detail: `no journal here for it; its snapshots ${snapshotIds.join(', ')} stay` });
      continue;
    }
    await finishSnapshots(ec2, { imageId, name: null, snapshotIds, stage: 'deregistered', at: '' }, result, sizes, deps.events);
  }
  for (const entry of entries.values()) {
    if (entry.stage === 'pending' && (await imageExists(ec2, entry.imageId))) {
      const users = (await imagesInUse(ec2, [entry.imageId])).get(entry.imageId);
      if (users?.length) {
        for (const s of entry.snapshotIds) await untag(ec2, s);
        await deps.journal.remove(entry.imageId);
        result.images.push({ imageId: entry.imageId, outcome: 'skipped-in-use', detail: `now used by ${users.join(', ')}` });
        continue;
      }
      result.images.push({ imageId: entry.imageId, outcome: (await deregister(ec2, entry.imageId)) === 'deregistered' ? 'pruned' : 'already-gone' });
    } else {
      result.images.push({ imageId: entry.imageId, outcome: 'pruned', detail: 'deregistered by the interrupted run' });
    }
    await deps.journal.put({ ...entry, stage: 'deregistered' });
    await finishSnapshots(ec2, entry, result, sizes, deps.events);
    await deps.journal.remove(entry.imageId);
  }
  return result;
}
