import type { AwsClients } from '../../aws/clients.js';
import { imagesInUse, resolveLatest } from '../../aws/ami-inventory.js';
import { explainAwsError } from '../../aws/errors.js';
import { readHistory } from '../../aws/history.js';
import { listTaggedImages } from '../../aws/images.js';
import type { TaggedImage } from '../../core/fleet.js';
import { listFleetInstances } from '../../aws/instances.js';
import { readLock } from '../../aws/lock.js';
import { pingInstances } from '../../aws/ssm-ping.js';
import type { Outcome } from '../../core/dashboard-refresh.js';
import { listPrefix, type BackupBucket } from '../../aws/backup.js';
import { LATEST_PREFIX, OPENCLAW_TAG, summarizeLatest } from '../../core/backup.js';
import type { BackupData, FleetData, HeadData, RefreshResult } from '../../core/dashboard-types.js';
import { ClawError } from '../../core/errors.js';
import { buildStatus, sortImagesNewestFirst, type FleetInstance, type SsmPing } from '../../core/fleet.js';
import { LOCK_KEY } from '../../core/lock.js';
import { parseTagPair } from '../../core/patterns.js';
import type { PrunePlan } from '../../core/retention.js';
import { headRev } from '../../nix/git.js';
import { isCheckoutRoot } from '../../nix/rev.js';
import { amiOverride, retentionPlan } from '../../services/ami/inventory.js';
import { resolveBackupBucket } from '../../services/backup/bucket.js';
import type { Context } from '../../cli/context.js';

// One refresh of the dashboard: every AWS read in one batch (instances, tagged AMIs,
// deploy lock, recent history and the account at once; then SSM ping and the AMIs in
// use), each section with its own outcome, so one failure never blanks the others.
// Nothing here throws: errors become one line each for the banner.

export const HISTORY_LIMIT = 8;
/** OpenClaw hosts carry app=openclaw (and stack=NAME), not the fleet's tag. */

/** One line for the banner: claw's own message, the AWS explanation, or the error's first line. */
export function describeError(err: unknown, ctx: Pick<Context, 'target'>): string {
  if (err instanceof ClawError) return err.message;
  const known = explainAwsError(err, ctx.target);
  if (known) return known.message;
  const e = err instanceof Error ? err : new Error(String(err));
  return `${e.name}: ${e.message.split('\n')[0]}`;
}

async function settle<T>(p: Promise<T>, ctx: Pick<Context, 'target'>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, error: describeError(err, ctx) };
  }
}

interface FleetRead {
  instances: FleetInstance[];
  /** The backup stack's OpenClaw hosts (none without a stack). */
  backupHosts: FleetInstance[];
  images: TaggedImage[];
  pings: Map<string, SsmPing> | 'unavailable';
  pingProblem: string | null;
  inUse: Map<string, string[]>;
}

async function readFleetAndAmis(ctx: Context, clients: AwsClients, stack: string | undefined): Promise<FleetRead> {
  const instanceTag = parseTagPair(ctx.config.values.instanceTag)!;
  const amiTag = parseTagPair(ctx.config.values.amiTag)!;
  const [instances, images, openclaw] = await Promise.all([
    listFleetInstances(clients.ec2, instanceTag),
    listTaggedImages(clients.ec2, amiTag),
    stack === undefined ? Promise.resolve([]) : listFleetInstances(clients.ec2, OPENCLAW_TAG),
  ]);
  const backupHosts = openclaw.filter((i) => i.tags.stack === stack);
  const ids = [...instances, ...backupHosts].map((i) => i.instanceId);
  const [ping, inUse] = await Promise.all([
    ids.length ? pingInstances(clients.ssm, ids) : Promise.resolve({ pings: new Map<string, SsmPing>() }),
    imagesInUse(
      clients.ec2,
      images.map((i) => i.imageId),
    ),
  ]);
  return {
    instances,
    backupHosts,
    images,
    inUse,
    pings: 'pings' in ping ? ping.pings : 'unavailable',
    pingProblem: 'unavailable' in ping ? ping.unavailable : null,
  };
}

function fleetData(ctx: Context, r: FleetRead): FleetData {
  const report = buildStatus(ctx.registry(), { instances: r.instances, images: r.images, ssm: r.pings });
  const instances: FleetData['instances'] = {};
  for (const i of r.instances) instances[i.instanceId] = { tags: i.tags, launchTime: i.launchTime ?? null };
  return {
    report,
    pings: r.pings === 'unavailable' ? {} : Object.fromEntries(r.pings),
    imageOrder: sortImagesNewestFirst(r.images).map((i) => i.imageId),
    instances,
    warnings: r.pingProblem ? [`ssm ping unknown: ${r.pingProblem}`] : [],
  };
}

async function retention(ctx: Context, clients: AwsClients, r: FleetRead): Promise<PrunePlan> {
  const latest = await resolveLatest(clients.ec2, r.images, amiOverride(ctx, undefined));
  return retentionPlan(ctx, { images: r.images, inUse: r.inUse, latest }, ctx.config.values.amiKeep, undefined);
}

/**
 * HEAD of the clawdinators checkout, read on every refresh (the operator commits while
 * the dashboard is open); a folder that is not its own checkout has none, which is
 * asked once (`checkout` is that answer, shared between refreshes).
 */
export async function readHead(ctx: Context, checkout?: { root?: Promise<boolean> }): Promise<HeadData> {
  const root = ctx.repo?.root;
  if (!root) return { rev: null, note: 'no repo' };
  const opts = { signal: ctx.io.signal };
  const isRoot = checkout ? (checkout.root ??= isCheckoutRoot(root, opts)) : isCheckoutRoot(root, opts);
  if (!(await isRoot)) return { rev: null, note: 'not a git checkout' };
  const rev = await headRev(root, opts);
  return rev ? { rev, note: 'HEAD' } : { rev: null, note: 'no commit yet' };
}

/** The newest LastModified under the bucket's latest/ (what the host's timer syncs every 20 minutes). */
async function latestChange(clients: AwsClients, bucket: BackupBucket): Promise<string | null> {
  return summarizeLatest(await listPrefix(clients.s3, bucket, LATEST_PREFIX)).newest;
}

export type DashboardReader = (o: { account: boolean }) => Promise<RefreshResult>;

/**
 * The refresh of one dashboard. With a backup stack it also lists the stack's OpenClaw
 * hosts (tags app=openclaw, stack=NAME) and when their bucket's latest/ last changed;
 * the bucket name is resolved once (STS, when the pattern needs the account).
 */
export function dashboardReader(ctx: Context, o: { stack?: string | undefined } = {}): DashboardReader {
  let bucket: Promise<BackupBucket> | undefined;
  const checkout: { root?: Promise<boolean> } = {};
  const backupBucket = () => {
    bucket ??= resolveBackupBucket(ctx, { stack: o.stack });
    return bucket.catch((err: unknown) => {
      bucket = undefined; // asked again on the next refresh
      throw err;
    });
  };
  return async ({ account }) => {
    // Each refresh is a new sandbox run: faults set or cleared meanwhile apply from now on.
    const faults = ctx.sandboxRun ? await ctx.sandboxRun().catch(() => null) : undefined;
    const clients = ctx.clients();
    const bootstrap = ctx.config.values.bootstrapBucket;
    const fleetRead = clients.then((c) => readFleetAndAmis(ctx, c, o.stack));
    const backup = async (): Promise<BackupData> => {
      const [c, r, b] = await Promise.all([clients, fleetRead, backupBucket()]);
      return { stack: o.stack!, bucket: b.name, hosts: r.backupHosts, latestAt: await latestChange(c, b) };
    };
    const [fleet, ret, lock, history, head, acct, bk] = await Promise.all([
      settle(
        fleetRead.then((r) => fleetData(ctx, r)),
        ctx,
      ),
      settle(
        Promise.all([clients, fleetRead]).then(([c, r]) => retention(ctx, c, r)),
        ctx,
      ),
      settle(
        clients.then((c) => readLock(c.s3, { bucket: bootstrap, key: LOCK_KEY })),
        ctx,
      ),
      settle(
        clients.then((c) => readHistory(c.s3, bootstrap, { limit: HISTORY_LIMIT, now: ctx.now() })).then((p) => p.records),
        ctx,
      ),
      settle(readHead(ctx, checkout), ctx),
      account
        ? settle(
            clients.then((c) => c.sts.getCallerIdentity({})).then((id) => id.Account ?? '?'),
            ctx,
          )
        : Promise.resolve(undefined),
      o.stack === undefined ? Promise.resolve(undefined) : settle(backup(), ctx),
    ]);
    return { fleet, retention: ret, lock, history, head, account: acct, backup: bk, ...(faults !== undefined && { faults }) };
  };
}
