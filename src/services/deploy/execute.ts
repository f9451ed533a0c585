import { tagDeployed } from '../../aws/deploy-tags.js';
import { explainAwsError } from '../../aws/errors.js';
import { withDeployLock } from '../../aws/lock.js';
import { driveRollout, switchHost } from '../../aws/rollout-driver.js';
import { PollMeter } from '../../aws/run-command.js';
import { retryTransient } from '../../aws/transient.js';
import type { DeployReport, HostReportRow } from '../../core/deploy-report.js';
import { InterruptedError, RemoteError } from '../../core/errors.js';
import type { RolloutEvent, RolloutState } from '../../core/rollout.js';
import { requireRepo } from '../../nix/repo.js';
import { checkoutRevTree } from '../../nix/rev.js';
import type { ServiceDeps } from '../deps.js';
import { deployLockOptions, operatorIdentity } from './lock-options.js';
import type { DeployPlan } from './plan.js';
import { evalHosts, recordHistory, resolveInstances, uploadBootstrap, type HostInstance } from './steps.js';

// Runs exactly a deploy plan: eval -> bootstrap -> lock -> re-check hosts -> canary
// rollout -> tags + history -> release. Progress goes to deps.events; the report says
// how it ended (the caller decides the exit code). `claw rollback` runs the same.

export async function executeDeploy(deps: ServiceDeps, plan: DeployPlan): Promise<DeployReport> {
  const { request: req, rev } = plan;
  if (req.eval) {
    const repo = requireRepo(deps.repo).root;
    const tree = plan.resolved.remote.checked ? await checkoutRevTree(repo, rev, { signal: deps.signal }) : { dir: repo, dispose: async () => {} };
    try {
      await evalHosts(deps, tree.dir, req.target.hosts);
    } finally {
      await tree.dispose();
    }
  }
  const registry = deps.registry();
  const uploaded = req.bootstrap
    ? await uploadBootstrap(
        deps,
        registry.hosts.filter((h) => req.target.hosts.includes(h.host as never)),
      )
    : [];
  const { s3, options } = await deployLockOptions(deps, { target: plan.label, rev });
  return withDeployLock(s3, options, async (lock) => {
    const fresh = await resolveInstances(deps, req.target.hosts);
    return rollout(deps, plan, fresh, lock.signal, uploaded);
  });
}

async function rollout(deps: ServiceDeps, plan: DeployPlan, hosts: HostInstance[], signal: AbortSignal, uploaded: string[]): Promise<DeployReport> {
  const { verb } = plan.request;
  const { ssm, ec2 } = await deps.clients();
  const byHost = new Map(hosts.map((h) => [h.host as string, h]));
  const onEvent = (e: RolloutEvent, state: RolloutState) => {
    if (e.type === 'interrupted') return;
    const h = state.hosts.find((x) => x.host === e.host)!;
    const step = `${verb} ${e.host}`;
    if (e.type === 'host-started') deps.events.emit({ type: 'step-started', step, detail: `${h.role}, ${byHost.get(e.host)?.instanceId}` });
    else if (e.type === 'host-phase') deps.events.emit({ type: 'step-started', step, detail: `${e.phase}${e.line ? `: ${e.line}` : ''}` });
    else deps.events.emit({ type: 'step-finished', step, outcome: h.status === 'succeeded' ? 'ok' : 'failed', detail: h.failure?.reason });
  };
  const result = await driveRollout(
    plan.request.plan,
    (host, report, hostSignal) =>
      switchHost({
        ssm,
        host,
        instanceId: byHost.get(host)!.instanceId,
        rev: plan.rev,
        flakeBase: plan.flakeBase,
        meter: new PollMeter(plan.request.budget),
        report,
        signal: hostSignal,
      }),
    { signal, onEvent, describeError: (err) => explainAwsError(err, deps.target)?.message ?? (err as Error).message },
  );
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const rows: HostReportRow[] = result.hosts.map((h) => ({
    host: h.host,
    instanceId: byHost.get(h.host)?.instanceId ?? null,
    role: h.role,
    status: h.status,
    reason: h.reason,
    outputTail: h.outputTail,
    timedOut: h.timedOut,
    startedAt: iso(h.startedAt),
    finishedAt: iso(h.finishedAt),
  }));
  const at = deps.now();
  const done = rows.filter((r) => r.status === 'succeeded').map((r) => r.instanceId!);
  try {
    // Tags are idempotent: a transient failure is tried again rather than leaving the hosts untagged.
    await retryTransient(() => tagDeployed(ec2, done, plan.rev, at));
  } catch (err) {
    deps.log.warn(`could not tag ${done.join(', ')} with clawdinator:rev: ${(err as Error).message}`);
  }
  const prev = new Map(hosts.map((h) => [h.host as string, h.currentRev]));
  await recordHistory(deps, await deps.cleanupS3(), rows, { rev: plan.rev, who: operatorIdentity(deps), prev, at, label: `${verb} ${plan.label}` });
  return { verb, mode: 'deploy', target: plan.label, rev: plan.rev, outcome: result.outcome, firstFailure: result.firstFailure, uploaded, hosts: rows };
}

/** The exit-code error of a finished deploy or rollback (none when it succeeded). */
export function throwOutcome(report: DeployReport, signal: AbortSignal): void {
  if (report.outcome === 'interrupted' || signal.aborted) throw new InterruptedError(`${report.verb} interrupted; hosts not started were left untouched`);
  if (report.outcome === 'failed') {
    const failed = report.hosts.find((h) => h.host === report.firstFailure);
    throw new RemoteError(
      `${report.verb} failed at ${report.firstFailure}: ${failed?.reason ?? 'unknown'}`,
      'the hosts after it were not touched; "claw history" has the records',
    );
  }
}
