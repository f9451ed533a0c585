import type { FullSha } from '../core/deploy-target.js';
import { INSTANCE_ID_RE } from '../core/patterns.js';
import type { Ec2Api } from './clients.js';
import { REV_TAG } from './instances.js';

// After a host's switch is verified, its instance says what it runs: `clawdinator:rev`
// (read back by `claw status` and as a rollback's "current rev") and when it got it.

export { REV_TAG };
export const DEPLOYED_AT_TAG = 'clawdinator:deployed-at';

/** Tag the instances (one CreateTags call for all of them) with the rev and the time. */
export async function tagDeployed(ec2: Ec2Api, instanceIds: readonly string[], rev: FullSha, at: Date): Promise<void> {
  if (instanceIds.length === 0) return;
  const bad = instanceIds.filter((id) => !INSTANCE_ID_RE.test(id));
  if (bad.length) throw new Error(`tagDeployed: not instance ids: ${bad.join(', ')}`);
  await ec2.createTags({
    Resources: [...instanceIds],
    Tags: [
      { Key: REV_TAG, Value: rev },
      { Key: DEPLOYED_AT_TAG, Value: at.toISOString() },
    ],
  });
}
