import { readHistory } from '../../aws/history.js';
import type { DeployTarget, RevInput } from '../../core/deploy-target.js';
import { asFullSha } from '../../core/deploy-target.js';
import { RefusedError } from '../../core/errors.js';
import { previousSuccessfulRev } from '../../core/history.js';
import type { ServiceDeps } from '../deps.js';
import { resolveInstances } from './steps.js';

// What `claw rollback <target>` goes back to when no --to is given: the rev each host ran
// before its current one (from the S3 history: what ran before the deploy that put the
// current rev there, else its newest earlier successful deploy; "current" is the
// instance's clawdinator:rev tag). Hosts whose previous revs differ are refused rather
// than rolled back in several passes: one run is one rev, one lock, one canary order.

export async function previousRev(deps: ServiceDeps, target: DeployTarget): Promise<{ rev: RevInput; revWhy: string }> {
  const hosts = await resolveInstances(deps, target.hosts);
  const s3 = (await deps.clients()).s3;
  const { records } = await readHistory(s3, deps.config.values.bootstrapBucket, { now: deps.now() });
  const previous = hosts.map((h) => ({ host: h.host, current: h.currentRev, to: previousSuccessfulRev(records, h.host, h.currentRev) }));
  const none = previous.filter((p) => p.to === undefined);
  if (none.length) {
    throw new RefusedError(
      `nothing to roll back to for ${none.map((p) => `${p.host} (running ${p.current?.slice(0, 12) ?? 'an untagged rev'})`).join(', ')}: no earlier successful deploy in the history`,
      'pass --to SHA to choose the rev, or "claw history <host>" to see what ran before',
    );
  }
  const revs = [...new Set(previous.map((p) => p.to!))];
  if (revs.length > 1) {
    const groups = revs.map(
      (rev) =>
        `${rev.slice(0, 12)}: ${previous
          .filter((p) => p.to === rev)
          .map((p) => p.host)
          .join(',')}`,
    );
    throw new RefusedError(
      `the hosts' previous revs differ (${groups.join('; ')}); one rollback deploys one rev`,
      `roll back each group on its own, e.g. "claw rollback ${previous
        .filter((p) => p.to === revs[0])
        .map((p) => p.host)
        .join(',')}", or pass --to SHA`,
    );
  }
  const currents = [...new Set(previous.map((p) => p.current?.slice(0, 12) ?? 'an untagged rev'))].join(', ');
  const revWhy = `the rev before ${currents}, from the deploy history`;
  return { rev: { kind: 'sha', sha: asFullSha(revs[0]!) }, revWhy };
}
