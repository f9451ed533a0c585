import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withDeployLock } from '../../aws/lock.js';
import { resolveDeployTarget, type DeployTarget } from '../../core/deploy-target.js';
import { InterruptedError, RefusedError, RemoteError, UsageError } from '../../core/errors.js';
import { describeChange, planReplace, reviewPlan, shellLine, summarizeReview, type PlanReview, type ReplacePlan } from '../../core/replace.js';
import { requireRepo } from '../../nix/repo.js';
import { runTofu as realTofu, tofuEnv, type TofuOptions, type TofuRunner } from '../../nix/tofu.js';
import { amiOverride, loadInventory } from '../../services/ami/inventory.js';
import { serviceDeps, type Context } from '../../cli/context.js';
import { deployLockOptions } from '../../services/deploy/lock-options.js';

// `claw replace <target>`: the control-plane replace flow. The plan is shown first
// (the exact tofu argv), then tofu's own plan is saved, checked (only the targeted
// instances may be destroyed) and, once confirmed, that saved plan is applied as it is.

export interface ReplaceOptions {
  ami?: string;
  yes?: boolean;
  dryRun?: boolean;
  caller?: string;
}

type ReplaceKey = 'infraDir' | 'tofuBin' | 'tofuAmiVar' | 'tofuRegionVar';

const setting = (ctx: Context, key: ReplaceKey): string => ctx.config.values[key];

/**
 * The OpenTofu root module: config infraDir, relative to the repo root. On the sandbox a
 * repo without one (the sample) gets the simulated infrastructure: `simulated` true.
 */
export function infraDirOf(ctx: Context): { dir: string; simulated: boolean } {
  const raw = setting(ctx, 'infraDir');
  const dir = resolve(requireRepo(ctx.repo).root, raw);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    if (ctx.sandbox && ctx.simulatedTofu) return { dir, simulated: true };
    throw new UsageError(
      `infra directory ${dir} does not exist (config key infraDir, ${JSON.stringify(raw)})`,
      'set infraDir in claw.config.json (or CLAW_INFRA_DIR) to the OpenTofu directory that declares aws_instance.clawdinator',
    );
  }
  return { dir, simulated: false };
}

const targetLabel = (t: DeployTarget) => (t.all ? `all (${t.hosts.length} hosts: ${t.hosts.join(', ')})` : t.hosts.join(', '));

export function renderPlan(plan: ReplacePlan, bin: string, why: string, dryRun: boolean, simulated = false): string {
  const { target } = plan;
  const how = target.all ? 'a plain apply: every instance whose AMI differs is replaced' : 'one -replace per host';
  return [
    `replace: ${targetLabel(target)} (${how})`,
    `ami:     ${plan.amiId}, ${why}`,
    `infra:   ${plan.infraDir}${simulated ? ' (not in the sample repo: OpenTofu is simulated against the sandbox account)' : ''}`,
    'claw runs exactly:',
    `  1. ${shellLine(bin, plan.plan)}`,
    `  2. ${shellLine(bin, plan.show)}`,
    `     (claw checks tofu's plan: only ${target.all ? 'registered instances' : 'the targeted instances'} may be destroyed)`,
    `  3. ${shellLine(bin, plan.apply)}`,
    `     (${dryRun ? 'after confirmation' : 'after you confirm'}: applies that saved plan, nothing else)`,
  ].join('\n');
}

function renderReview(r: PlanReview): string {
  if (r.noChanges) return "tofu's plan: no changes";
  return [
    `tofu's plan: ${summarizeReview(r)}`,
    ...r.changes.map((c) => `  ${describeChange(c)}${r.unexpected.includes(c) ? '   <- not in the target' : ''}`),
  ].join('\n');
}

function refuseUnexpected(r: PlanReview, plan: ReplacePlan): void {
  if (r.unexpected.length === 0) return;
  const instances = r.unexpected.some((c) => c.address.startsWith('aws_instance.clawdinator['));
  throw new RefusedError(
    `tofu's plan would also destroy what the target does not name: ${r.unexpected.map((c) => c.address).join(', ')}; nothing was applied`,
    instances
      ? `every instance gets the same AMI variable: replace them together ("claw replace all"), or pass --ami with the AMI the others run`
      : `review it with "tofu plan" in ${plan.infraDir} and apply it yourself if it is intended`,
  );
}

export async function replace(ctx: Context, rawTarget: string | undefined, opts: ReplaceOptions): Promise<void> {
  // Names first (shell metacharacters, unknown hosts, a bot replacing itself), then the AMI flag: nothing runs before.
  const target = resolveDeployTarget({ target: rawTarget, caller: opts.caller ?? ctx.config.values.caller, registry: ctx.registry() });
  amiOverride(ctx, opts.ami);
  const infra = infraDirOf(ctx);
  const infraDir = infra.dir;
  const bin = setting(ctx, 'tofuBin');
  const inv = await loadInventory(ctx, opts.ami);
  if (!inv.latest) {
    throw new UsageError(
      `no AMI tagged ${ctx.config.values.amiTag} in ${ctx.target.region}, and no --ami`,
      'build one with "claw ami build", or pass --ami ID',
    );
  }
  const ami = inv.latest;
  const workDir = opts.dryRun ? undefined : await mkdtemp(join(tmpdir(), 'claw-replace-'));
  try {
    const plan = planReplace({
      target,
      amiId: ami.imageId,
      infraDir,
      planFile: join(workDir ?? join(tmpdir(), 'claw-replace-XXXXXX'), 'replace.tfplan'),
      amiVar: setting(ctx, 'tofuAmiVar'),
      regionVar: setting(ctx, 'tofuRegionVar'),
      region: ctx.config.values.region,
    });
    ctx.print(renderPlan(plan, bin, ami.why, Boolean(opts.dryRun), infra.simulated));
    if (opts.dryRun) {
      ctx.print('dry run: nothing was run (the plan file is a new temporary directory on a real run)');
      return;
    }
    const question = `Replace ${targetLabel(target)} (instances are destroyed and recreated from ${ami.imageId})?`;
    // Without a terminal and without --yes: refuse before anything runs.
    if (!opts.yes && !ctx.io.stdinIsTTY) await ctx.confirm(question, { yes: false });
    await execute(ctx, plan, bin, opts, infra.simulated);
  } finally {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
}

async function execute(ctx: Context, plan: ReplacePlan, bin: string, opts: ReplaceOptions, simulate: boolean): Promise<void> {
  const simulated = simulate && ctx.simulatedTofu ? await ctx.simulatedTofu() : undefined;
  const runTofu: TofuRunner = simulated ?? realTofu;
  const { env, dropped } = tofuEnv(ctx.io.env, { sandbox: ctx.sandbox });
  const echo = (line: string) => ctx.log.info(`tofu: ${line}`);
  const base: TofuOptions = { bin, env, log: (l) => ctx.log.debug(l), onLine: echo };

  const { s3, options } = await deployLockOptions(serviceDeps(ctx), {
    target: `replace ${plan.target.all ? 'all' : plan.target.hosts.join(',')}`,
    rev: plan.amiId,
  });
  options.events = { emit: (e) => (e.type === 'warning' ? ctx.log.warn(e.message) : undefined) };
  const review = await withDeployLock(s3, options, async (lock) => {
    const cliArgs = dropped.filter((k) => k.startsWith('TF_CLI_ARGS'));
    if (cliArgs.length) ctx.log.warn(`not passing ${cliArgs.join(', ')} to tofu: claw runs only the arguments it showed`);
    if (ctx.sandbox && !simulated)
      ctx.log.warn('sandbox: tofu runs without AWS credentials, so it cannot reach a real account; the sandbox instances do not change');
    ctx.log.info(`running: ${shellLine(bin, plan.plan)}`);
    await runTofu(plan.plan, { ...base, signal: lock.signal });
    const shown = await runTofu(plan.show, { ...base, signal: lock.signal, onLine: (l, s) => (s === 'stderr' ? echo(l) : undefined) });
    const review = reviewPlan(parseJson(shown.stdout), plan);
    ctx.print(renderReview(review));
    refuseUnexpected(review, plan);
    if (review.noChanges) return review;
    await ctx.confirm(`Apply this plan (${summarizeReview(review)})?`, { yes: opts.yes });
    if (lock.signal.aborted) throw new InterruptedError('interrupted before the apply; nothing was applied');
    // No abort signal here: exec.ts would SIGTERM tofu and SIGKILL it 2 s later, and a
    // tofu killed mid-apply can leave an instance its state does not know (and its state
    // lock held). tofu runs in its own process group, so a terminal Ctrl-C reaches only
    // claw: claw says so and waits for the apply to end.
    const onAbort = () =>
      ctx.log.warn(
        'waiting for tofu apply to finish: stopping it mid-apply could leave instances its state does not know (a second Ctrl-C leaves claw at once; tofu carries on without it)',
      );
    ctx.io.signal.addEventListener('abort', onAbort, { once: true });
    ctx.log.info(`running: ${shellLine(bin, plan.apply)}`);
    try {
      await runTofu(plan.apply, base);
    } finally {
      ctx.io.signal.removeEventListener('abort', onAbort);
    }
    return review;
  });
  if (review.noChanges) {
    ctx.print(`nothing to apply: tofu's plan has no changes for ${targetLabel(plan.target)} with ${plan.amiId}`);
    return;
  }
  ctx.print(`replaced ${targetLabel(plan.target)} with ${plan.amiId} (${summarizeReview(review)}); "claw status" shows when the new instances are up`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RemoteError('`tofu show -json` did not print JSON; nothing was applied', 'check the tofu version (claw needs OpenTofu 1.6 or newer)');
  }
}
