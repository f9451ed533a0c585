import type { DescribeSnapshotsCommandInput } from '@aws-sdk/client-ec2';
import type { EventSink } from '../core/events.js';
import type { PrunePlan } from '../core/retention.js';
import { imageExists } from './ami-inventory.js';
import type { Ec2Api } from './clients.js';
import { collectPages } from './paginate.js';
import { describeKeepReasons, keepReasonsNow } from './prune-guard.js';
import {
  PRUNED_FROM_TAG,
  type JournalEntry,
  type PruneJournal,
  type PruneResult,
  type PruneRules,
  type ResumePlan,
  type SnapshotOutcome,
} from '../core/prune-journal.js';

// Executes exactly a shown prune plan, and finishes one that was interrupted. Every guard
// of the plan is re-read right before each DeregisterImage (in apply and in resume); an
// image a guard now holds is kept and reported. "Not found" answers count as already gone.

export interface PruneDeps {
  journal: PruneJournal;
  events: EventSink;
  now: () => Date;
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
      await untag(ec2, [snapshotId]);
      const by = /ami-[0-9a-f]+/.exec((err as Error).message)?.[0];
      return { outcome: 'kept', detail: `still used by ${by ?? 'another AMI'}` };
    }
    throw err;
  }
}

async function untag(ec2: Ec2Api, snapshotIds: readonly string[]): Promise<void> {
  for (const snapshotId of snapshotIds) {
    await ec2.deleteTags({ Resources: [snapshotId], Tags: [{ Key: PRUNED_FROM_TAG }] }).catch((err: unknown) => {
      if (errName(err) !== 'InvalidSnapshot.NotFound') throw err;
    });
  }
}

/** Mark the snapshots (journal stage + tag) so that whatever happens next, a resume can finish. */
async function markPending(ec2: Ec2Api, journal: PruneJournal, entry: JournalEntry): Promise<void> {
  await journal.put({ ...entry, stage: 'pending' });
  if (entry.snapshotIds.length) {
    await ec2.createTags({ Resources: entry.snapshotIds, Tags: [{ Key: PRUNED_FROM_TAG, Value: entry.imageId }] }).catch((err: unknown) => {
      if (errName(err) !== 'InvalidSnapshot.NotFound') throw err;
    });
  }
}

async function finishSnapshots(ec2: Ec2Api, entry: Pick<JournalEntry, 'snapshotIds' | 'sizes'>, result: PruneResult, events: EventSink): Promise<void> {
  for (const snapshotId of entry.snapshotIds) {
    events.emit({ type: 'step-started', step: `delete ${snapshotId}` });
    const { outcome, detail } = await deleteSnapshotSafely(ec2, snapshotId);
    result.snapshots.push({ snapshotId, outcome, ...(detail ? { detail } : {}) });
    if (outcome === 'deleted') result.freedGiB += entry.sizes[snapshotId] ?? 0;
    events.emit({ type: 'step-finished', step: `delete ${snapshotId}`, outcome: outcome === 'kept' ? 'skipped' : 'ok', detail: detail ?? outcome });
  }
}

/**
 * One journaled image to its end: tag its snapshots, re-read every guard, then
 * deregister it and delete its snapshots, or keep it (untagged, out of the journal)
 * when a guard now holds. An entry already deregistered only has its snapshots left.
 */
async function finishImage(ec2: Ec2Api, entry: JournalEntry, rules: PruneRules, deps: PruneDeps, result: PruneResult, resumed: boolean): Promise<void> {
  const step = `deregister ${entry.imageId}`;
  deps.events.emit({ type: 'step-started', step, detail: entry.name ?? undefined });
  if (entry.stage === 'deregistered') {
    result.images.push({ imageId: entry.imageId, outcome: 'pruned', detail: 'deregistered by the interrupted run' });
    deps.events.emit({ type: 'step-finished', step, outcome: 'ok', detail: 'done before' });
  } else {
    await markPending(ec2, deps.journal, entry);
    const reasons = await keepReasonsNow(ec2, rules, entry.imageId, deps.now());
    if (reasons.length) {
      await untag(ec2, entry.snapshotIds);
      await deps.journal.remove(entry.imageId);
      const detail = describeKeepReasons(reasons, rules);
      result.images.push({ imageId: entry.imageId, outcome: 'kept', detail });
      deps.events.emit({ type: 'step-finished', step, outcome: 'skipped', detail: `kept: ${detail}` });
      return;
    }
    const outcome = await deregister(ec2, entry.imageId);
    await deps.journal.put({ ...entry, stage: 'deregistered' });
    result.images.push({
      imageId: entry.imageId,
      outcome: outcome === 'deregistered' ? 'pruned' : 'already-gone',
      ...(resumed ? { detail: 'finished by --resume' } : {}),
    });
    deps.events.emit({ type: 'step-finished', step, outcome: 'ok', detail: outcome });
  }
  await finishSnapshots(ec2, entry, result, deps.events);
  await deps.journal.remove(entry.imageId);
}

/** Journal the whole plan, then carry it out image by image, oldest first. */
export async function applyPrune(
  ec2: Ec2Api,
  plan: PrunePlan,
  rules: PruneRules,
  deps: PruneDeps & { sizes: ReadonlyMap<string, number> },
): Promise<PruneResult> {
  const result: PruneResult = { images: [], snapshots: [], freedGiB: 0 };
  const deletable = new Set(plan.snapshotsToDelete);
  const at = deps.now().toISOString();
  // Oldest first: an interrupted run has removed the least valuable images.
  const entries = plan.images
    .filter((i) => i.action === 'prune')
    .reverse()
    .map((image): JournalEntry => {
      const snapshotIds = image.snapshotIds.filter((s) => deletable.has(s));
      return {
        imageId: image.imageId,
        name: image.name,
        snapshotIds,
        sizes: Object.fromEntries(snapshotIds.map((s) => [s, deps.sizes.get(s) ?? 0])),
        stage: 'planned',
        at,
      };
    });
  await deps.journal.begin(rules, entries);
  for (const entry of entries) await finishImage(ec2, entry, rules, deps, result, false);
  return result;
}

/** What a resume would do: the journal's unfinished plan, and pruned-tagged snapshots of images no journal here holds. */

export async function planResume(ec2: Ec2Api, journal: PruneJournal): Promise<ResumePlan> {
  const j = await journal.load();
  const journaled = new Set(j?.entries.map((e) => e.imageId));
  const tagged = await collectPages(
    (input: DescribeSnapshotsCommandInput) => ec2.describeSnapshots(input),
    { OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [PRUNED_FROM_TAG] }], MaxResults: 1000 },
    (out) => out.Snapshots,
    'DescribeSnapshots',
  );
  const orphans: ResumePlan['orphans'] = new Map();
  for (const snap of tagged) {
    const from = snap.Tags?.find((t) => t.Key === PRUNED_FROM_TAG)?.Value;
    if (!snap.SnapshotId || !from || journaled.has(from)) continue;
    const o = orphans.get(from) ?? { snapshotIds: [], sizes: {} };
    o.snapshotIds.push(snap.SnapshotId);
    o.sizes[snap.SnapshotId] = snap.VolumeSize ?? 0;
    orphans.set(from, o);
  }
  return { journal: j, orphans };
}

/**
 * Finish an interrupted prune as it was planned: every journal entry (planned ones
 * too), each with its guards re-read first, plus snapshots tagged as pruned whose image
 * is gone (a journal on another machine). A still-registered image no journal here holds
 * is left alone.
 */
export async function resumePrune(ec2: Ec2Api, plan: ResumePlan, deps: PruneDeps): Promise<PruneResult> {
  const result: PruneResult = { images: [], snapshots: [], freedGiB: 0 };
  for (const [imageId, orphan] of plan.orphans) {
    if (await imageExists(ec2, imageId)) {
      result.images.push({ imageId, outcome: 'left-registered', detail: `no journal here for it; its snapshots ${orphan.snapshotIds.join(', ')} stay` });
      continue;
    }
    await finishSnapshots(ec2, orphan, result, deps.events);
  }
  if (plan.journal) for (const entry of plan.journal.entries) await finishImage(ec2, entry, plan.journal.rules, deps, result, true);
  return result;
}
