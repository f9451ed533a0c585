import { imageExists, readAmiInventory, retentionOf } from './ami-inventory.js';
import type { Ec2Api } from './clients.js';
import type { PruneRules } from '../core/prune-journal.js';

// The guards of a prune plan, read again from EC2 right before a destructive call:
// newest-N, in use, preserved, min-age and latest are decided by the same pure rules as
// the plan, on what EC2 answers now. Any failed lookup throws (and nothing is deleted).

/**
 * Why `imageId` must be kept now: the plan's reasons (`recent`, `in-use:<who>`,
 * `preserved`, `min-age`, `latest`) or `untagged`; [] when its prune still stands
 * (including when the image is already gone).
 */
export async function keepReasonsNow(ec2: Ec2Api, rules: PruneRules, imageId: string, now: Date): Promise<string[]> {
  const inv = await readAmiInventory(ec2, { amiTag: rules.amiTag, override: rules.override ?? undefined });
  if (!inv.images.some((i) => i.imageId === imageId)) return (await imageExists(ec2, imageId)) ? ['untagged'] : [];
  const plan = retentionOf(inv, { keep: rules.keep, minAgeMs: rules.minAgeMs ?? undefined, now });
  return plan.images.find((i) => i.imageId === imageId)?.reasons ?? [];
}

/** A guard reason as a person reads it: "now preserved", "now in use by clawdinator-1". */
export function describeKeepReasons(reasons: readonly string[], rules: Pick<PruneRules, 'keep'>): string {
  const words = reasons.map((r) => {
    if (r.startsWith('in-use:')) return `in use by ${r.slice('in-use:'.length)}`;
    if (r === 'recent') return `among the newest ${rules.keep}`;
    if (r === 'min-age') return 'younger than --min-age';
    if (r === 'latest') return 'the latest AMI';
    if (r === 'untagged') return 'no longer carries the AMI tag';
    return r;
  });
  return `now ${words.join(', ')}`;
}
