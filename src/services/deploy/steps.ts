import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appendHistory, newHistoryId } from '../../aws/history.js';
import { listFleetInstances } from '../../aws/instances.js';
import { pingInstances } from '../../aws/ssm-ping.js';
import { retryTransient } from '../../aws/transient.js';
import type { HostId } from '../../core/deploy-target.js';
import { RefusedError, RemoteError, UsageError } from '../../core/errors.js';
import type { FleetInstance } from '../../core/fleet.js';
import type { HistoryRecord } from '../../core/history.js';
import { FULL_SHA_RE, parseTagPair } from '../../core/patterns.js';
import type { HostEntry } from '../../core/registry.js';
import { evalDrvPaths, nixAvailable, NixEvalError, type EvalOutcome } from '../../nix/nix.js';
import type { HostReportRow } from '../../core/deploy-report.js';
import { executeUpload, planUpload } from '../bootstrap/upload.js';
import type { ServiceDeps } from '../deps.js';
import type { S3Api } from '../../aws/clients.js';

// The steps of the deploy pipeline around the rollout: eval, bootstrap, resolving each
// host to its instance (and SSM), and the history records. Each throws the error a
// deploy must stop with, naming every host concerned at once.

export interface HostInstance {
  host: HostId;
  instanceId: string;
  /** The `clawdinator:rev` tag before this deploy. */
  currentRev: string | null;
}

/** Each host is exactly one instance, running, and SSM reaches it; otherwise refused naming them all. */
export async function resolveInstances(deps: ServiceDeps, hosts: readonly HostId[]): Promise<HostInstance[]> {
  const { ec2, ssm } = await deps.clients();
  const tag = parseTagPair(deps.config.values.instanceTag);
  if (!tag) throw new UsageError(`instanceTag ${deps.config.values.instanceTag} is not key=value`);
  const fleet = await listFleetInstances(ec2, tag);
  const problems: string[] = [];
  const found: { host: HostId; instance: FleetInstance }[] = [];
  for (const host of hosts) {
    const mine = fleet.filter((i) => i.name === host);
    if (mine.length === 0) problems.push(`${host}: no instance tagged ${tag.key}=${tag.value} and Name=${host} in pending|running|stopping|stopped`);
    else if (mine.length > 1)
      problems.push(`${host}: ${mine.length} instances (${mine.map((i) => `${i.instanceId} ${i.state}`).join(', ')}); expected exactly one`);
    else if (mine[0]!.state !== 'running') problems.push(`${host}: instance ${mine[0]!.instanceId} is ${mine[0]!.state}, not running`);
    else found.push({ host, instance: mine[0]! });
  }
  if (problems.length)
    throw new RefusedError(`cannot deploy: ${problems.join('; ')}`, 'fix the instances (claw status shows them) and run again; nothing was sent');
  const pings = await pingInstances(
    ssm,
    found.map((f) => f.instance.instanceId),
  );
  // AWS failed to answer: a remote failure (exit 1), not a guard that said no.
  if ('unavailable' in pings) throw new RemoteError(`cannot check that SSM reaches the hosts: ${pings.unavailable}`, 'nothing was sent; run it again');
  const offline = found.filter((f) => pings.pings.get(f.instance.instanceId) !== 'online');
  if (offline.length) {
    const what = offline.map((f) => `${f.host} (${f.instance.instanceId}: ${pings.pings.get(f.instance.instanceId) ?? 'not-managed'})`).join(', ');
    throw new RefusedError(
      `SSM cannot reach ${what}`,
      'the SSM agent must be online on every target; leave the host out of the target or repair its agent. Nothing was sent',
    );
  }
  return found.map(({ host, instance }) => ({
    host,
    instanceId: instance.instanceId,
    currentRev: instance.rev && FULL_SHA_RE.test(instance.rev) ? instance.rev : null,
  }));
}

/** `nix eval` of every host's toplevel drvPath; all failures reported together. */
export async function evalHosts(deps: ServiceDeps, dir: string, hosts: readonly HostId[]): Promise<void> {
  deps.events.emit({ type: 'step-started', step: 'nix eval', detail: `${hosts.length} hosts` });
  const nixOpts = { signal: deps.signal, log: (l: string) => deps.log.debug(l) };
  // The sandbox works on a machine without nix: the eval is then only a look for each host's config.
  const simulate = deps.sandbox && !(await nixAvailable(nixOpts));
  if (simulate) deps.log.warn('sandbox: nix is not installed here, so the eval is simulated: each host must have nix/hosts/<host>.nix at the rev');
  const outcomes = simulate ? simulatedEval(dir, hosts) : await evalDrvPaths(dir, hosts, nixOpts);
  const failed = outcomes.flatMap((o) => ('error' in o ? [o] : []));
  deps.events.emit({ type: 'step-finished', step: 'nix eval', outcome: failed.length ? 'failed' : 'ok' });
  if (failed.length) {
    const detail = failed.map((f) => `${f.host}: ${f.error.nixMessage.split('\n').slice(0, 3).join(' / ')}`).join('\n  ');
    throw new RemoteError(
      `nix eval failed for ${failed.map((f) => f.host).join(', ')}; nothing was touched:\n  ${detail}`,
      'fix the host configuration and run again (or claw deploy --no-eval to skip the check)',
    );
  }
}

/** The sandbox's stand-in for nix eval: a host whose config file is missing fails as nix would say. */
function simulatedEval(dir: string, hosts: readonly HostId[]): EvalOutcome[] {
  return hosts.map((host) => {
    const file = join(dir, 'nix', 'hosts', `${host}.nix`);
    if (existsSync(file)) return { host, drvPath: `/nix/store/${'0'.repeat(32)}-nixos-system-${host}.drv` };
    const message = `error: path '${file}' does not exist`;
    return { host, error: new NixEvalError(host, message) };
  });
}

/** Build, check and upload the hosts' bootstrap bundles (unchanged ones skipped). */
export async function uploadBootstrap(deps: ServiceDeps, entries: readonly HostEntry[]): Promise<string[]> {
  const plan = await planUpload(deps, entries, false);
  const refused = plan.plans.filter((p) => p.action === 'refused');
  if (refused.length) {
    throw new RefusedError(
      `bootstrap bundles refused for ${refused.map((p) => `${p.host} (${p.violations.map((v) => v.message).join('; ')})`).join(', ')}; nothing was deployed`,
      'fix the files named (claw bootstrap upload --dry-run shows them), or deploy with --no-bootstrap',
    );
  }
  return executeUpload(deps, plan.s3, plan);
}

/** One history record per host (success, failed, skipped); returns the keys. Warns, never throws. */
export async function recordHistory(
  deps: ServiceDeps,
  s3: S3Api,
  rows: readonly HostReportRow[],
  o: { rev: string; who: string; prev: Map<string, string | null>; at: Date; label: string },
): Promise<string[]> {
  const keys: string[] = [];
  for (const r of rows) {
    const result = r.status === 'succeeded' ? 'success' : r.status;
    const record: HistoryRecord = {
      id: newHistoryId(),
      host: r.host,
      instanceId: r.instanceId,
      rev: o.rev,
      previousRev: o.prev.get(r.host) ?? null,
      startedAt: r.startedAt ?? o.at.toISOString(),
      finishedAt: r.finishedAt ?? o.at.toISOString(),
      who: o.who,
      result,
      detail: r.reason ?? `${o.label}: ${result}`,
    };
    try {
      // Safe to repeat: the key carries the record's id and the write is create-only.
      keys.push(await retryTransient(() => appendHistory(s3, deps.config.values.bootstrapBucket, record)));
    } catch (err) {
      deps.log.warn(`could not write the history record of ${r.host}: ${(err as Error).message}`);
    }
  }
  return keys;
}
