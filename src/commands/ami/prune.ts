import { applyPrune, planResume, resumePrune } from '../../aws/prune.js';
import type { PruneResult } from '../../core/prune-journal.js';
import type { PruneJournal, PruneRules } from '../../core/prune-journal.js';
import { pruneJournal } from '../../nix/prune-journal.js';
import { parseAccountId } from '../../core/backup.js';
import { explainAwsError } from '../../aws/errors.js';
import { ClawError, RefusedError, RemoteError, UsageError } from '../../core/errors.js';
import { SNAPSHOT_USD_PER_GB_MONTH, type PrunePlan } from '../../core/retention.js';
import { renderPrunePlan, renderPruneResult, renderResumePlan } from '../../ui/ami-text.js';
import { amiOverride, loadInventory, retentionPlan } from '../../services/ami/inventory.js';
import type { Context } from '../../cli/context.js';

export interface PruneOptions {
  /** Parsed by commander (positiveIntFlag). */
  keep?: number;
  /** Milliseconds, parsed by commander (durationFlag). */
  minAge?: number;
  apply?: boolean;
  yes?: boolean;
  json?: boolean;
  resume?: boolean;
  ami?: string;
}

/** The journal of the account the credentials reach (from STS) and the region: never another account's. */
async function journalFor(ctx: Context): Promise<PruneJournal> {
  const { sts } = await ctx.clients();
  const account = parseAccountId((await sts.getCallerIdentity({})).Account);
  return pruneJournal(ctx.home, { account: ctx.sandbox ? `sandbox-${account}` : account, region: ctx.target.region });
}

const planJson = (mode: 'dry-run' | 'apply', plan: PrunePlan) => ({
  mode,
  keep: plan.keep,
  images: plan.images.map(({ sizeGiB: _size, ...i }) => i),
  snapshotsToDelete: plan.snapshotsToDelete,
  freedGiB: plan.freedGiB,
  monthlySavingsUsd: plan.monthlySavingsUsd,
});

const lockOptions = (ctx: Context, command: string) => ({ command, now: ctx.now(), warn: (line: string) => ctx.log.warn(line) });

export async function run(ctx: Context, opts: PruneOptions): Promise<void> {
  if (opts.resume && (opts.keep !== undefined || opts.minAge !== undefined || opts.ami !== undefined)) {
    throw new UsageError('--resume finishes the interrupted prune as planned; it takes no --keep, --min-age or --ami', 'run claw ami prune --resume alone');
  }
  const keep = opts.keep ?? ctx.config.values.amiKeep;
  const minAgeMs = opts.minAge;
  const override = amiOverride(ctx, opts.ami);
  const journal = await journalFor(ctx);
  // One prune at a time per account and region here: a second one refuses, naming the first.
  const held = opts.apply || opts.resume ? await journal.lock(lockOptions(ctx, opts.resume ? 'ami prune --resume' : 'ami prune --apply')) : undefined;
  try {
    if (opts.resume) return await resume(ctx, journal, opts);
    await prune(ctx, journal, opts, { keep, minAgeMs: minAgeMs ?? null, amiTag: ctx.config.values.amiTag, override: override ?? null });
  } finally {
    await held?.release();
  }
}

async function prune(ctx: Context, journal: PruneJournal, opts: PruneOptions, rules: PruneRules): Promise<void> {
  const pending = (await journal.load())?.entries ?? [];
  const inv = await loadInventory(ctx, opts.ami);
  const plan = retentionPlan(ctx, inv, rules.keep, rules.minAgeMs ?? undefined);
  if (pending.length) {
    const msg = `an interrupted prune left ${pending.length} image(s) unfinished (${pending.map((p) => p.imageId).join(', ')})`;
    if (opts.apply) throw new RefusedError(msg, 'finish it first: claw ami prune --resume');
    ctx.log.warn(`${msg}; finish it with: claw ami prune --resume`);
  }
  if (!opts.json) ctx.print(renderPrunePlan(plan, ctx.paint));
  const toPrune = plan.images.filter((i) => i.action === 'prune').length;
  if (!opts.apply || toPrune === 0) {
    if (opts.json) ctx.print(JSON.stringify(planJson(opts.apply ? 'apply' : 'dry-run', plan), null, 2));
    else if (!opts.apply) ctx.log.info('dry run: nothing changed; run again with --apply to prune');
    return;
  }
  await ctx.confirm(`Deregister ${toPrune} AMIs and delete ${plan.snapshotsToDelete.length} snapshots?`, { yes: opts.yes });
  const sizes = new Map(inv.images.flatMap((i) => i.snapshots.map((s) => [s.snapshotId, s.sizeGiB] as const)));
  let result: PruneResult;
  try {
    result = await applyPrune((await ctx.clients()).ec2, plan, rules, { journal, events: ctx.events, sizes, now: ctx.now });
  } catch (err) {
    throw await stoppedPrune(ctx, journal, err);
  }
  report(ctx, result, opts.json ? planJson('apply', plan) : undefined);
}

/**
 * A prune that stopped part-way (AWS failed) with images journaled says how to finish
 * it: running the same apply again is refused until --resume has.
 */
async function stoppedPrune(ctx: Context, journal: PruneJournal, err: unknown): Promise<unknown> {
  const explained = err instanceof ClawError ? err : explainAwsError(err, ctx.target);
  if (!(explained instanceof RemoteError)) return err;
  const pending = (await journal.load().catch(() => undefined))?.entries ?? [];
  if (pending.length === 0) return err;
  return new RemoteError(
    explained.message,
    `the prune stopped part-way (${pending.map((p) => p.imageId).join(', ')} unfinished); finish it with: claw ami prune --resume`,
    { cause: err },
  );
}

async function resume(ctx: Context, journal: PruneJournal, opts: PruneOptions): Promise<void> {
  const { ec2 } = await ctx.clients();
  const plan = await planResume(ec2, journal);
  if (!plan.journal && plan.orphans.size === 0) {
    ctx.result(
      opts,
      { mode: 'resume', result: { images: [], snapshots: [], freedGiB: 0, monthlySavingsUsd: 0 } },
      () => 'nothing to resume: no interrupted prune',
    );
    return;
  }
  (opts.json ? ctx.log.info : ctx.print)(renderResumePlan(plan, journal.file));
  await ctx.confirm('Finish the interrupted prune?', { yes: opts.yes });
  let result: PruneResult;
  try {
    result = await resumePrune(ec2, plan, { journal, events: ctx.events, now: ctx.now });
  } catch (err) {
    throw await stoppedPrune(ctx, journal, err);
  }
  report(ctx, result, opts.json ? { mode: 'resume' } : undefined);
}

function report(ctx: Context, result: PruneResult, json: object | undefined): void {
  const monthlySavingsUsd = Math.round(result.freedGiB * SNAPSHOT_USD_PER_GB_MONTH * 100) / 100;
  if (json) ctx.print(JSON.stringify({ ...json, result: { ...result, monthlySavingsUsd } }, null, 2));
  else ctx.print(renderPruneResult(result));
}

/**
 * `claw ami build --prune-keep N`: the same prune, planned after the new AMI exists.
 * Its plan and summary go to stderr: stdout stays the build's one result.
 */
export async function pruneAfterBuild(ctx: Context, opts: { keep: number; imageId: string; yes?: boolean }): Promise<void> {
  ctx.log.info(`prune after building ${opts.imageId}: keep the newest ${opts.keep}`);
  const quiet: Context = { ...ctx, print: (text) => ctx.log.info(text) };
  await run(quiet, { keep: opts.keep, apply: true, ...(opts.yes !== undefined ? { yes: opts.yes } : {}) });
}
