import { pricesByRegion } from '../aws/spot.js';
import { InterruptedError, RefusedError } from '../core/errors.js';
import type { ClawEvent } from '../core/events.js';
import { buildRows, parseInstanceTypes } from '../core/spot.js';
import type { DeployReport } from '../ui/deploy-text.js';
import { renderDeployResult } from '../ui/deploy-text.js';
import { renderSpot } from '../ui/spot-text.js';
import { styler } from '../ui/style.js';
import type { Context } from './context.js';
import { now } from './backup-now.js';
import { deploy } from './deploy.js';
import { describeError } from './tui-data.js';

// The dashboard's actions, run through the same services as the commands: `d` is
// `claw deploy <host>` (a dry run for the plan the dialog shows, then the deploy with
// that exact plan), `p` is `claw spot prices` for the configured region. Nothing may
// write to the terminal while the dashboard owns it, so each action gets a context
// whose log, print and progress events are captured.

interface Capture {
  info?: (line: string) => void;
  warn?: (line: string) => void;
  print?: (text: string) => void;
  events?: (e: ClawEvent) => void;
  signal?: AbortSignal;
}

/** The context with its terminal output captured; no prompt (the dashboard asked already). */
function capturedContext(ctx: Context, c: Capture): Context {
  const signal = c.signal ? AbortSignal.any([ctx.io.signal, c.signal]) : ctx.io.signal;
  return {
    ...ctx,
    io: { ...ctx.io, stdinIsTTY: false, signal },
    log: { info: c.info ?? (() => {}), warn: c.warn ?? (() => {}), debug: () => {} },
    events: { emit: c.events ?? (() => {}) },
    print: c.print ?? (() => {}),
    close: async () => {},
  };
}

export interface DeployPlan {
  /** What the dialog shows: warnings, then the plan exactly as `claw deploy` prints it. */
  text: string;
  /** The plan alone: the deploy refuses to run when its own plan differs from it. */
  planText: string;
  sha: string;
}

/** `claw deploy <host> --rev <rev> --dry-run`: the plan, and the full SHA it resolved. */
export async function planDeploy(ctx: Context, host: string, rev: string | undefined): Promise<DeployPlan> {
  const info: string[] = [];
  const warnings: string[] = [];
  let doc: { rev?: string } = {};
  const dctx = capturedContext(ctx, { info: (l) => info.push(l), warn: (l) => warnings.push(l), print: (t) => (doc = JSON.parse(t) as { rev?: string }) });
  await deploy(dctx, host, { ...(rev !== undefined ? { rev } : {}), dryRun: true, json: true });
  const planText = info[0];
  if (planText === undefined || !doc.rev) throw new Error('the deploy dry run returned no plan');
  return { text: [...warnings.map((w) => `warning: ${w}`), planText].join('\n'), planText, sha: doc.rev };
}

export interface DeployOutcome {
  status: 'succeeded' | 'failed' | 'interrupted';
  message: string;
  result: string[];
  tails: Record<string, string[]>;
}

/**
 * `claw deploy <host> --rev <sha> --yes`, its progress events fed to `emit`. The
 * pipeline shows its plan before it changes anything: if that is not the plan the
 * operator confirmed, it is stopped there and nothing is done.
 */
export async function runDeploy(
  ctx: Context,
  o: { host: string; sha: string; planText: string; signal: AbortSignal; emit: (e: ClawEvent) => void },
): Promise<DeployOutcome> {
  let planSeen = false;
  let report: DeployReport | undefined;
  const dctx = capturedContext(ctx, {
    info: (line) => {
      if (planSeen) return o.emit({ type: 'warning', message: line });
      planSeen = true;
      if (line !== o.planText) throw new RefusedError('the plan changed since it was shown (the fleet or the rev moved); nothing was done', 'press d again to see the new plan');
    },
    warn: (line) => o.emit({ type: 'warning', message: line }),
    print: (text) => (report = JSON.parse(text) as DeployReport),
    events: o.emit,
    signal: o.signal,
  });
  const collect = () => ({
    result: report ? renderDeployResult(report, styler(false)).split('\n') : [],
    tails: Object.fromEntries((report?.hosts ?? []).map((h) => [h.host, h.outputTail])),
  });
  try {
    await deploy(dctx, o.host, { rev: o.sha, yes: true, json: true });
    return { status: 'succeeded', message: `deploy of ${o.sha.slice(0, 12)} succeeded on ${o.host}`, ...collect() };
  } catch (err) {
    const interrupted = err instanceof InterruptedError || o.signal.aborted;
    return { status: interrupted ? 'interrupted' : 'failed', message: interrupted ? 'deploy interrupted; hosts not started were left untouched' : describeError(err, ctx), ...collect() };
  }
}

/**
 * `claw backup now <host> --stack S`: the host's backup unit run now through Run
 * Command (not destructive: no prompt, as on the command line); the notice to show.
 */
export async function backupNow(ctx: Context, host: string, stack: string | undefined): Promise<string> {
  let report: { isNew?: boolean; snapshot?: { stamp?: string } | null; bucket?: string } = {};
  const warnings: string[] = [];
  const dctx = capturedContext(ctx, { warn: (l) => warnings.push(l), print: (t) => (report = JSON.parse(t) as typeof report) });
  await now(dctx, host, { ...(stack !== undefined ? { stack } : {}), json: true });
  if (report.isNew && report.snapshot?.stamp) return `backup of ${host} done: new snapshot ${report.snapshot.stamp} in s3://${report.bucket}/snapshots/`;
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
