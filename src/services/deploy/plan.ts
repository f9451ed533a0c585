import { createHash } from 'node:crypto';
import type { DeployPlanView } from '../../core/deploy-report.js';
import type { DeployTarget, FullSha, RevInput } from '../../core/deploy-target.js';
import { RefusedError } from '../../core/errors.js';
import type { PollBudget } from '../../core/rollout-poll.js';
import type { RolloutPlan } from '../../core/rollout.js';
import { asFlakeBase, flakeRef, type FlakeBase } from '../../core/ssm-script.js';
import { requireRepo } from '../../nix/repo.js';
import { resolveRev, type ResolvedRev } from '../../nix/rev.js';
import type { ServiceDeps } from '../deps.js';
import { resolveInstances, type HostInstance } from './steps.js';

// The plan of a deploy or rollback, made before anything is asked or changed: the rev
// resolved (and checked on the remote), each host's instance and current rev, the canary
// order. Its fingerprint names exactly what executeDeploy will do, so a plan shown
// earlier (the dashboard's dialog) can be checked against a fresh one before running.

export interface DeployRequest {
  verb: 'deploy' | 'rollback';
  target: DeployTarget;
  rev: RevInput | undefined;
  /** Where the rev came from when claw chose it (a rollback's history), for the plan. */
  revWhy?: string | undefined;
  plan: RolloutPlan;
  eval: boolean;
  bootstrap: boolean;
  budget: PollBudget;
}

export interface DeployPlan {
  request: DeployRequest;
  rev: FullSha;
  resolved: ResolvedRev;
  flakeBase: FlakeBase;
  hosts: HostInstance[];
  /** `all` or the hosts, for the lock and the history. */
  label: string;
  /** What the plan shows (ui/deploy-text renders it). */
  view: DeployPlanView;
  /** A stable hash of everything the run will do: equal fingerprints, the same run. */
  fingerprint: string;
}

export const targetLabel = (t: DeployTarget) => (t.all ? 'all' : t.hosts.join(','));

export async function planDeploy(deps: ServiceDeps, req: DeployRequest): Promise<DeployPlan> {
  const flakeBase = asFlakeBase(deps.config.values.flakeBase);
  const repo = requireRepo(deps.repo).root;
  const resolved = await resolveRev(repo, req.rev, { signal: deps.signal, log: (l) => deps.log.debug(l), flag: req.verb === 'rollback' ? '--to' : '--rev' });
  if (!resolved.remote.checked) {
    // Only the simulated account may deploy a rev nobody can fetch: nothing real runs it.
    if (!deps.sandbox)
      throw new RefusedError(
        `cannot check that ${resolved.sha} is on the remote: ${resolved.remote.why}`,
        'deploy from the clawdinators git checkout (--repo DIR)',
      );
    deps.log.warn(`${resolved.remote.why}: not checking that ${resolved.sha} is on the remote (sandbox)`);
  }
  const rev = resolved.sha;
  const hosts = await resolveInstances(deps, req.target.hosts);
  const bucket = deps.config.values.bootstrapBucket;
  const view: DeployPlanView = {
    verb: req.verb,
    targetLabel: req.target.all ? `all (${req.target.hosts.join(', ')})` : req.target.hosts.join(', '),
    rev,
    revNote: `${req.revWhy ?? (resolved.asked === rev ? 'as given' : resolved.asked)}, ${resolved.remote.checked ? `on ${resolved.remote.name} ${resolved.remote.ref}` : `not checked: ${resolved.remote.why}`}`,
    flakeExample: flakeRef({ host: req.plan.batches[0]![0]!, rev, flakeBase }),
    eval: req.eval,
    bootstrap: req.bootstrap,
    bucket,
    plan: req.plan,
    hosts,
  };
  const essence = { verb: req.verb, rev, flakeBase, bucket, eval: req.eval, bootstrap: req.bootstrap, plan: req.plan, hosts };
  const fingerprint = createHash('sha256').update(JSON.stringify(essence)).digest('hex').slice(0, 16);
  return { request: req, rev, resolved, flakeBase, hosts, label: targetLabel(req.target), view, fingerprint };
}
