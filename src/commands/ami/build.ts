import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PollOptions, Sleep } from '../../aws/ami-import.js';
import { executeBuild, inspectBuild, type AmiBuildResult, type AmiBuildTarget, type LocalImage } from '../../aws/ami-build.js';
import { describePlan, planBuild, type BuildPlan, type ImageFormat } from '../../core/ami-build.js';
import { UsageError } from '../../core/errors.js';
import { parseTagPair } from '../../core/patterns.js';
import { findHost } from '../../core/registry.js';
import { headRev, isClean } from '../../nix/git.js';
import {
  buildImage,
  builtImageOutput,
  checkImageFile,
  findImageFile,
  imageAttrPath,
  imageInstallable,
  sha256File,
  sha256OfFile,
  type ImageBuildOptions,
  type ImageFile,
} from '../../nix/image.js';
import { requireRepo } from '../../nix/repo.js';
import type { Context } from '../../cli/context.js';

export interface AmiBuildOptions {
  host?: string;
  image?: string;
  format?: string;
  pruneKeep?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** `claw ami prune --keep N --apply --yes`, run after a successful build; src/cli.ts wires it. */
export type PruneAfterBuild = (ctx: Context, opts: { keep: number; imageId: string }) => Promise<void>;

export interface AmiBuildHooks {
  pruneAfterBuild?: PruneAfterBuild;
  /** Tests: nix options (chroot store, sandbox paths), a fast sleep, poll timings. */
  nix?: ImageBuildOptions;
  sleep?: Sleep;
  poll?: Partial<PollOptions>;
}

const FORMATS = ['raw', 'vhd', 'vmdk'] as const;

function parseFormat(ctx: Context, flag: string | undefined): ImageFormat | undefined {
  if (flag !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flag)) throw new UsageError(`--format ${flag}: expected raw, vhd or vmdk`);
    return flag as ImageFormat;
  }
  // A configured format restricts the search; the default one does not (detected from the file).
  return ctx.config.sources.imageFormat.source === 'default' ? undefined : ctx.config.values.imageFormat;
}

function target(ctx: Context): AmiBuildTarget {
  const v = ctx.config.values;
  const amiTag = parseTagPair(v.amiTag);
  if (!amiTag) throw new UsageError(`amiTag ${v.amiTag} must be key=value`);
  return { bucket: v.imagesBucket, vmimportRole: v.vmimportRole, amiTag, bootMode: v.bootMode, architecture: v.architecture };
}

/** git HEAD of the checkout (`-dirty` with uncommitted changes, as nix's dirtyRev) and flake.lock's hash. */
async function provenance(ctx: Context, root: string): Promise<Pick<LocalImage, 'gitSha' | 'flakeLockSha256'>> {
  // Only a checkout root counts: a repo nested in another checkout is not that checkout's HEAD.
  const rev = existsSync(join(root, '.git')) ? await headRev(root, { signal: ctx.io.signal }) : undefined;
  const gitSha = rev && !(await isClean(root, { signal: ctx.io.signal })) ? `${rev}-dirty` : rev;
  if (gitSha?.endsWith('-dirty')) ctx.events.emit({ type: 'warning', message: `the checkout has uncommitted changes: tagging git-sha ${gitSha}` });
  return { gitSha, flakeLockSha256: await sha256OfFile(join(root, 'flake.lock')) };
}

type Located = { file: ImageFile; built: boolean } | { installable: string };

/** The image file: --image as given, or nix's output (built unless this is a dry run). */
async function locateImage(ctx: Context, opts: AmiBuildOptions, format: ImageFormat | undefined, hooks: AmiBuildHooks): Promise<Located> {
  if (opts.image !== undefined) return { file: await checkImageFile(resolve(ctx.io.cwd, opts.image), format), built: false };
  const repo = requireRepo(ctx.repo);
  if (opts.host !== undefined) findHost(ctx.registry(), opts.host);
  const attr = imageAttrPath({ host: opts.host, imageAttribute: ctx.config.values.imageAttribute });
  const nixOpts: ImageBuildOptions = { signal: ctx.io.signal, log: (l) => ctx.log.debug(l), ...hooks.nix };
  // The sandbox simulates the build (no nix daemon needed) unless a test hands real nix options.
  const simulated = ctx.sandbox && ctx.simulatedNix && !hooks.nix ? await ctx.simulatedNix() : undefined;
  if (opts.dryRun) {
    const out = simulated ? await simulated.built(repo.root, attr) : await builtImageOutput(repo.root, attr, nixOpts);
    return out === undefined ? { installable: imageInstallable(repo.root, attr) } : { file: await findImageFile(out, format), built: false };
  }
  const installable = imageInstallable(repo.root, attr);
  ctx.events.emit({ type: 'step-started', step: 'build', detail: `nix build ${installable}` });
  try {
    const onLine = (line: string) => ctx.log.info(`build: ${line}`);
    const out = simulated ? await simulated.build(repo.root, attr, onLine) : await buildImage(repo.root, attr, { ...nixOpts, onLine });
    const file = await findImageFile(out, format);
    ctx.events.emit({ type: 'step-finished', step: 'build', outcome: 'ok', detail: file.path });
    return { file, built: true };
  } catch (err) {
    ctx.events.emit({ type: 'step-finished', step: 'build', outcome: 'failed' });
    throw err;
  }
}

function validate(ctx: Context, opts: AmiBuildOptions, hooks: AmiBuildHooks): number | undefined {
  if (opts.host !== undefined && opts.image !== undefined)
    throw new UsageError('--host and --image exclude each other', "--host builds that host's image; --image uploads a file you built");
  const keep = opts.pruneKeep;
  if (keep !== undefined && !hooks.pruneAfterBuild) throw new UsageError('--prune-keep is not available in this build of claw');
  if (keep !== undefined && opts.dryRun) throw new UsageError('--prune-keep does nothing with --dry-run', 'see the prune plan with: claw ami prune --keep N');
  return keep;
}

export async function run(ctx: Context, opts: AmiBuildOptions, hooks: AmiBuildHooks = {}): Promise<void> {
  const keep = validate(ctx, opts, hooks);
  const format = parseFormat(ctx, opts.format);
  const tgt = target(ctx);
  const located = await locateImage(ctx, opts, format, hooks);
  if (!('file' in located)) {
    const lines = [`build: nix build ${located.installable} (not built yet)`, 'then upload, import, register and tag: the plan depends on the image hash'];
    ctx.result(opts, { mode: 'dry-run', build: 'needed', installable: located.installable }, () => lines.join('\n'));
    return;
  }
  const { file } = located;

  ctx.events.emit({ type: 'step-started', step: 'hash', detail: file.path });
  const sha256 = await sha256File(
    file.path,
    (done) => ctx.events.emit({ type: 'progress', step: 'hash', done, total: file.size, unit: 'bytes' }),
    ctx.io.signal,
  );
  ctx.events.emit({ type: 'step-finished', step: 'hash', outcome: 'ok', detail: sha256 });
  const fromRepo = opts.image === undefined && ctx.repo !== undefined;
  if (!fromRepo) ctx.events.emit({ type: 'warning', message: '--image: the commit it was built from is unknown, so no git-sha or flake-lock tags' });
  const image: LocalImage = { ...file, sha256, ...(fromRepo ? await provenance(ctx, ctx.repo!.root) : {}) };

  const clients = await ctx.clients();
  const deps = {
    ec2: clients.ec2,
    s3: clients.s3,
    events: ctx.events,
    now: () => ctx.now(),
    signal: ctx.io.signal,
    sleep: hooks.sleep,
    // The sandbox's import tasks advance per poll: no reason to wait for real there.
    poll: hooks.poll ?? (ctx.sandbox ? { initialMs: 20, maxMs: 100 } : undefined),
    afterBuild: keep === undefined ? undefined : (imageId: string) => hooks.pruneAfterBuild!(ctx, { keep, imageId }),
  };
  const state = await inspectBuild(deps, tgt, image);
  const plan = planBuild(state);
  const lines = describePlan(plan, tgt.bucket);
  if (opts.dryRun) {
    ctx.result(opts, dryRunJson(plan, lines), () => [`image: ${file.path} (${file.format}, sha256 ${sha256})`, ...lines].join('\n'));
    return;
  }
  for (const summary of lines) ctx.events.emit({ type: 'planned', summary });
  const result = await executeBuild(deps, tgt, image, plan, state);
  ctx.result(opts, result, () => summary(result, tgt.bucket));
}

function dryRunJson(plan: BuildPlan, lines: string[]) {
  const { staleTasks, ...rest } = plan;
  return { mode: 'dry-run', ...rest, staleTaskIds: staleTasks.map((t) => t.taskId), steps: lines };
}

function summary(r: AmiBuildResult, bucket: string): string {
  const labels = { object: 'upload', importTask: 'import', image: 'registered image' };
  const reused = (Object.keys(labels) as (keyof typeof labels)[]).filter((k) => r.reused[k]).map((k) => labels[k]);
  return [
    `${r.imageId}  ${r.name}`,
    `  snapshot ${r.snapshotId}${r.importTaskId ? ` (import ${r.importTaskId})` : ''}`,
    `  source   s3://${bucket}/${r.sourceS3Key}`,
    `  sha256   ${r.sha256}`,
    ...(reused.length > 0 ? [`  reused from an earlier run: ${reused.join(', ')}`] : []),
  ].join('\n');
}
