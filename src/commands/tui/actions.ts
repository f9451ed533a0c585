import { pricesByRegion } from '../../aws/spot.js';
import { InterruptedError, RefusedError } from '../../core/errors.js';
import type { ClawEvent } from '../../core/events.js';
import { buildRows, parseInstanceTypes } from '../../core/spot.js';
import type { DeployReport } from '../../core/deploy-report.js';
import { executeDeploy, throwOutcome } from '../../services/deploy/execute.js';
import { planDeploy as planDeployService } from '../../services/deploy/plan.js';
import { deployRequest } from '../../services/deploy/request.js';
import { renderDeployPlan, renderDeployResult } from '../../ui/deploy-text.js';
import { renderSpot } from '../../ui/spot-text.js';
import { styler } from '../../ui/style.js';
import { serviceDeps, type Context } from '../../cli/context.js';
import { parseBackupTarget, parseStack } from '../../core/backup.js';
import { resolveBackupBucket } from '../../services/backup/bucket.js';
import { planBackupNow, runBackupNow } from '../../services/backup/now.js';
import { describeError } from './data.js';

// The dashboard's actions, run through the same services as the commands: `d` is
// `claw deploy <host>` (the plan the dialog shows, then, if a fresh plan has the same
// fingerprint, exactly that run), `b` is `claw backup now`, `p` is `claw spot prices`
// for the configured region. Nothing may write to the terminal while the dashboard owns
// it, so each action's log and progress events go where the dashboard says.

export interface DashboardDeployPlan {
  /** What the dialog shows: warnings, then the plan exactly as `claw deploy` prints it. */
  text: string;
  /** The plan alone, as `claw deploy` prints it. */
  planText: string;
  sha: string;
  /** The plan's fingerprint: the deploy runs only while a fresh plan has the same. */
  fingerprint: string;
}

/** A deploy's services with the terminal kept out: warnings and progress go where the dashboard says. */
function quietDeps(ctx: Context, o: { warn: (line: string) => void; events?: (e: ClawEvent) => void; signal?: AbortSignal }) {
  const signal = o.signal ? AbortSignal.any([ctx.io.signal, o.signal]) : ctx.io.signal;
  return serviceDeps(ctx, { log: { warn: o.warn, debug: () => {} }, events: { emit: o.events ?? (() => {}) }, signal });
}

/** `claw deploy <host> --rev <rev> --dry-run`: the plan as the dialog shows it. */
export async function planDeploy(ctx: Context, host: string, rev: string | undefined): Promise<DashboardDeployPlan> {
  const warnings: string[] = [];
  const deps = quietDeps(ctx, { warn: (l) => warnings.push(l) });
  const plan = await planDeployService(deps, deployRequest(deps, { target: host, rev }));
  const planText = renderDeployPlan(plan.view);
  return { text: [...warnings.map((w) => `warning: ${w}`), planText].join('\n'), planText, sha: plan.rev, fingerprint: plan.fingerprint };
}

export interface DeployOutcome {
  status: 'succeeded' | 'failed' | 'interrupted';
  message: string;
  result: string[];
  tails: Record<string, string[]>;
}

/**
 * `claw deploy <host> --rev <sha> --yes`, its progress events fed to `emit`. The plan
 * is made again first: if it is not the plan the operator confirmed (its fingerprint
 * differs), nothing is done.
 */
export async function runDeploy(
  ctx: Context,
  o: { host: string; sha: string; fingerprint: string; signal: AbortSignal; emit: (e: ClawEvent) => void },
): Promise<DeployOutcome> {
  let report: DeployReport | undefined;
  const deps = quietDeps(ctx, { warn: (message) => o.emit({ type: 'warning', message }), events: o.emit, signal: o.signal });
  const collect = () => ({
    result: report ? renderDeployResult(report, styler(false)).split('\n') : [],
    tails: Object.fromEntries((report?.hosts ?? []).map((h) => [h.host, h.outputTail])),
  });
  try {
    const plan = await planDeployService(deps, deployRequest(deps, { target: o.host, rev: o.sha }));
    if (plan.fingerprint !== o.fingerprint)
      throw new RefusedError('the plan changed since it was shown (the fleet or the rev moved); nothing was done', 'press d again to see the new plan');
    report = await executeDeploy(deps, plan);
    throwOutcome(report, deps.signal);
    return { status: 'succeeded', message: `deploy of ${o.sha.slice(0, 12)} succeeded on ${o.host}`, ...collect() };
  } catch (err) {
    const interrupted = err instanceof InterruptedError || o.signal.aborted;
    return {
      status: interrupted ? 'interrupted' : 'failed',
      message: interrupted ? 'deploy interrupted; hosts not started were left untouched' : describeError(err, ctx),
      ...collect(),
    };
  }
}

/**
 * `claw backup now <host> --stack S`: the host's backup unit run now through Run
 * Command (not destructive: no prompt, as on the command line); the notice to show.
 */
export async function backupNow(ctx: Context, host: string, stack: string | undefined): Promise<string> {
  const warnings: string[] = [];
  const deps = quietDeps(ctx, { warn: (l) => warnings.push(l) });
  const stackName = stack === undefined ? undefined : parseStack(stack);
  const bucket = await resolveBackupBucket(deps, { stack: stackName });
  const result = await runBackupNow(deps, await planBackupNow(deps, { target: parseBackupTarget(host), stack: stackName, bucket }));
  if (result.isNew && result.snapshot) return `backup of ${host} done: new snapshot ${result.snapshot.stamp} in s3://${result.bucket}/snapshots/`;
  return `backup of ${host} ran, but ${warnings[0] ?? 'no new snapshot appeared'}`;
}

/** `claw spot prices` for the configured region, as the lines it prints. */
export async function spotLines(ctx: Context): Promise<string[]> {
  const region = ctx.config.values.region;
  const names = parseInstanceTypes(ctx.config.values.spotInstanceTypes);
  const end = ctx.now();
  const [outcome] = await pricesByRegion([{ region, ec2: (await ctx.clients()).ec2 }], names, { start: end, end });
  if (!outcome?.ok) throw outcome?.error ?? new Error('no answer for the region');
  const { prices } = outcome;
  const rows = buildRows({ types: prices.types.map((t) => ({ ...t, region })), points: prices.points });
  const problems = prices.unknownTypes.map((t) => `unknown instance type ${t}`);
  return [`spot prices in ${region} (Linux/UNIX, now), cheapest first`, '', ...renderSpot(rows, { paint: styler(false) }).split('\n'), ...problems];
}
