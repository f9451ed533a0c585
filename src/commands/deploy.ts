import { tagDeployed } from '../aws/deploy-tags.js';
import { explainAwsError } from '../aws/errors.js';
import { withDeployLock } from '../aws/lock.js';
import { driveRollout, switchHost } from '../aws/rollout-driver.js';
import { PollMeter } from '../aws/run-command.js';
import { retryTransient } from '../aws/transient.js';
import { parseRevInput, resolveDeployTarget, type DeployTarget, type FullSha, type RevInput } from '../core/deploy-target.js';
import { InterruptedError, RefusedError, RemoteError, UsageError } from '../core/errors.js';
import { planRollout, type RolloutEvent, type RolloutPlan, type RolloutState } from '../core/rollout.js';
import { DEFAULT_POLL_BUDGET, type PollBudget } from '../core/rollout-poll.js';
import { asFlakeBase, flakeRef } from '../core/ssm-script.js';
import { requireRepo } from '../nix/repo.js';
import { checkoutRevTree, resolveRev, type ResolvedRev } from '../nix/rev.js';
import { confirmOrRefuse } from '../ui/confirm.js';
import { renderDeployPlan, renderDeployResult, type DeployReport, type HostReportRow } from '../ui/deploy-text.js';
import type { Context } from './context.js';
import { evalHosts, recordHistory, resolveInstances, uploadBootstrap, type HostInstance } from './deploy-steps.js';
import { cleanupS3, deployLockOptions, operatorIdentity } from './lock.js';
import { parsePositiveInt } from '../core/flag-values.js';

// `claw deploy <target>`: validate everything, show the plan, then run exactly it:
// eval -> bootstrap -> lock -> re-check hosts -> canary rollout -> tags + history ->
// release. `claw rollback` runs the same pipeline (`runPipeline`) with an older rev.

export interface DeployOptions {
  rev?: string;
  parallel?: string;
  canary?: string;
  caller?: string;
  eval?: boolean;
  bootstrap?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  pollBudget?: string;
}

/** `--poll-budget initial=MS,max=MS,timeout=MS,calls=N` (any subset) over the default. */
export function parsePollBudget(raw: string | undefined, sandbox = false): PollBudget {
  // The simulated account answers at once and advances per poll: no reason to wait for real.
  const base: PollBudget = sandbox ? { ...DEFAULT_POLL_BUDGET, initialMs: 50, maxIntervalMs: 250, timeoutMs: 20_000 } : DEFAULT_POLL_BUDGET;
  if (raw === undefined) return base;
  const keys = { initial: 'initialMs', max: 'maxIntervalMs', timeout: 'timeoutMs', calls: 'maxCalls' } as const;
  const out: PollBudget = { ...base };
  for (const part of raw.split(',')) {
    const m = /^(initial|max|timeout|calls)=(\d{1,9})$/.exec(part.trim());
    if (!m) throw new UsageError(`--poll-budget ${JSON.stringify(raw)}: expected initial=MS,max=MS,timeout=MS,calls=N`);
    out[keys[m[1] as keyof typeof keys]] = Number(m[2]);
  }
  return out;
}

function parseParallel(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  return parsePositiveInt(raw, '--parallel', 1000, 2);
}

export const targetLabel = (t: DeployTarget) => (t.all ? 'all' : t.hosts.join(','));

export interface PipelineInput {
  verb: 'deploy' | 'rollback';
  target: DeployTarget;
  rev: RevInput | undefined;
  /** Where the rev came from when claw chose it (a rollback's history), for the plan. */
  revWhy?: string;
  plan: RolloutPlan;
  opts: DeployOptions;
}

/** Validated input -> the whole deploy. Throws the exit-code error of the outcome. */
export async function runPipeline(ctx: Context, p: PipelineInput): Promise<void> {
  const { target, opts } = p;
  const flakeBase = asFlakeBase(ctx.config.values.flakeBase);
  const budget = parsePollBudget(opts.pollBudget, ctx.sandbox);
  const repo = requireRepo(ctx.repo).root;
  const resolved = await resolveRev(repo, p.rev, { signal: ctx.io.signal, log: (l) => ctx.log.debug(l), flag: p.verb === 'rollback' ? '--to' : '--rev' });
  checkRemote(ctx, resolved);
  const rev = resolved.sha;
  const hosts = await resolveInstances(ctx, target.hosts);
  const label = targetLabel(target);
  const planText = renderDeployPlan({
    verb: p.verb, targetLabel: target.all ? `all (${target.hosts.join(', ')})` : target.hosts.join(', '), rev,
    revNote: `${p.revWhy ?? (resolved.asked === rev ? 'as given' : resolved.asked)}, ${resolved.remote.checked ? `on ${resolved.remote.name} ${resolved.remote.ref}` : `not checked: ${resolved.remote.why}`}`,
    flakeExample: flakeRef({ host: p.plan.batches[0]![0]!, rev, flakeBase }), eval: opts.eval !== false, bootstrap: opts.bootstrap !== false,
    bucket: ctx.config.values.bootstrapBucket, plan: p.plan, hosts,
  });
  if (opts.json) ctx.log.info(planText);
  else ctx.print(planText);
  if (opts.dryRun) {
    if (opts.json) ctx.print(JSON.stringify({ verb: p.verb, mode: 'dry-run', target: label, rev, canaries: p.plan.canaries, batches: p.plan.batches, hosts }, null, 2));
    else ctx.print('dry run: nothing was changed (no eval, upload, lock or SSM command)');
    return;
  }
  try {
    await confirmOrRefuse(`${p.verb === 'deploy' ? 'Deploy' : 'Roll back'} ${label} to ${rev}?`, { stderr: ctx.io.stderr, stdinIsTTY: ctx.io.stdinIsTTY, signal: ctx.io.signal }, opts.yes);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new InterruptedError('interrupted at the prompt; nothing was changed');
    throw err;
  }
  if (opts.eval !== false) {
    const tree = resolved.remote.checked ? await checkoutRevTree(repo, rev, { signal: ctx.io.signal }) : { dir: repo, dispose: async () => {} };
    try {
      await evalHosts(ctx, tree.dir, target.hosts);
    } finally {
      await tree.dispose();
    }
  }
  const registry = ctx.registry();
  const uploaded = opts.bootstrap !== false ? await uploadBootstrap(ctx, registry.hosts.filter((h) => target.hosts.includes(h.host as never))) : [];
  const { s3, options } = await deployLockOptions(ctx, { target: label, rev });
  const report = await withDeployLock(s3, options, async (lock) => {
    const fresh = await resolveInstances(ctx, target.hosts);
    return rollout(ctx, { verb: p.verb, plan: p.plan, hosts: fresh, rev, flakeBase, budget, label, signal: lock.signal, uploaded });
  });
  ctx.print(opts.json ? JSON.stringify(report, null, 2) : renderDeployResult(report, ctx.paint));
  if (report.outcome === 'interrupted' || ctx.io.signal.aborted) throw new InterruptedError(`${p.verb} interrupted; hosts not started were left untouched`);
  if (report.outcome === 'failed') {
    const failed = report.hosts.find((h) => h.host === report.firstFailure);
    throw new RemoteError(`${p.verb} failed at ${report.firstFailure}: ${failed?.reason ?? 'unknown'}`, 'the hosts after it were not touched; "claw history" has the records');
  }
}

function checkRemote(ctx: Context, r: ResolvedRev): void {
  if (r.remote.checked) return;
  // Only the simulated account may deploy a rev nobody can fetch: nothing real runs it.
  if (!ctx.sandbox) throw new RefusedError(`cannot check that ${r.sha} is on the remote: ${r.remote.why}`, 'deploy from the clawdinators git checkout (--repo DIR)');
  ctx.log.warn(`${r.remote.why}: not checking that ${r.sha} is on the remote (sandbox)`);
}

interface RolloutInput {
  verb: 'deploy' | 'rollback'; plan: RolloutPlan; hosts: HostInstance[]; rev: FullSha; flakeBase: ReturnType<typeof asFlakeBase>;
  budget: PollBudget; label: string; signal: AbortSignal; uploaded: string[];
}

async function rollout(ctx: Context, i: RolloutInput): Promise<DeployReport> {
  const { ssm, ec2 } = await ctx.clients();
  const byHost = new Map(i.hosts.map((h) => [h.host as string, h]));
  const onEvent = (e: RolloutEvent, state: RolloutState) => {
    if (e.type === 'interrupted') return;
    const h = state.hosts.find((x) => x.host === e.host)!;
    const step = `${i.verb} ${e.host}`;
    if (e.type === 'host-started') ctx.events.emit({ type: 'step-started', step, detail: `${h.role}, ${byHost.get(e.host)?.instanceId}` });
    else if (e.type === 'host-phase') ctx.events.emit({ type: 'step-started', step, detail: `${e.phase}${e.line ? `: ${e.line}` : ''}` });
    else ctx.events.emit({ type: 'step-finished', step, outcome: h.status === 'succeeded' ? 'ok' : 'failed', detail: h.failure?.reason });
  };
  const result = await driveRollout(i.plan, (host, report, signal) =>
    switchHost({ ssm, host, instanceId: byHost.get(host)!.instanceId, rev: i.rev, flakeBase: i.flakeBase, meter: new PollMeter(i.budget), report, signal }),
    { signal: i.signal, onEvent, describeError: (err) => explainAwsError(err, ctx.target)?.message ?? (err as Error).message });
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const rows: HostReportRow[] = result.hosts.map((h) => ({
    host: h.host, instanceId: byHost.get(h.host)?.instanceId ?? null, role: h.role, status: h.status, reason: h.reason,
    outputTail: h.outputTail, timedOut: h.timedOut, startedAt: iso(h.startedAt), finishedAt: iso(h.finishedAt),
  }));
  const at = ctx.now();
  const done = rows.filter((r) => r.status === 'succeeded').map((r) => r.instanceId!);
  try {
    // Tags are idempotent: a transient failure is tried again rather than leaving the hosts untagged.
    await retryTransient(() => tagDeployed(ec2, done, i.rev, at));
  } catch (err) {
    ctx.log.warn(`could not tag ${done.join(', ')} with clawdinator:rev: ${(err as Error).message}`);
  }
  const prev = new Map(i.hosts.map((h) => [h.host as string, h.currentRev]));
  await recordHistory(ctx, await cleanupS3(ctx), rows, { rev: i.rev, who: operatorIdentity(ctx), prev, at, label: `${i.verb} ${i.label}` });
  return { verb: i.verb, mode: 'deploy', target: i.label, rev: i.rev, outcome: result.outcome, firstFailure: result.firstFailure, uploaded: i.uploaded, hosts: rows };
}

/** `claw deploy <target> [--rev ...]`: every input checked before anything is asked or sent. */
export async function deploy(ctx: Context, rawTarget: string | undefined, opts: DeployOptions): Promise<void> {
  const target = resolveDeployTarget({ target: rawTarget, caller: opts.caller ?? ctx.config.values.caller, registry: ctx.registry() });
  const rev = opts.rev === undefined ? undefined : parseRevInput(opts.rev);
  const plan = planRollout({ hosts: target.hosts, canaryOrder: ctx.config.values.canaryOrder, canary: opts.canary?.split(',').map((s) => s.trim()), parallel: parseParallel(opts.parallel) });
  parsePollBudget(opts.pollBudget);
  await runPipeline(ctx, { verb: 'deploy', target, rev, plan, opts });
}
