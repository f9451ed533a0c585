import type { Ec2Api } from '../../aws/clients.js';
import { explainAwsError } from '../../aws/errors.js';
import { instrument } from '../../aws/instrument.js';
import { pricesByRegion, type RegionOutcome } from '../../aws/spot.js';
import { parseDuration } from '../../core/flag-values.js';
import { RemoteError, UsageError } from '../../core/errors.js';
import { REGION_RE } from '../../core/patterns.js';
import { KNOWN_REGIONS } from '../../core/regions.js';
import {
  buildRows,
  MAX_HISTORY_MS,
  parseInstanceTypes,
  parseSortKey,
  sortRows,
  SPOT_PRODUCT,
  toCsv,
  toJson,
  type PricePoint,
  type SpotProblem,
} from '../../core/spot.js';
import { renderSpot } from '../../ui/spot-text.js';
import { sandboxAccount, sdkSettings, type Context } from '../../cli/context.js';

export interface SpotOptions {
  instanceTypes?: string[];
  sort?: string;
  history?: string;
  json?: boolean;
  csv?: boolean;
  /** Every --region given on the command line, in order (see commands/spot/register.ts). */
  regions?: string[];
}

/** The config's spot instance types; the key may not exist yet in this claw, so read it defensively. */
function parseRegions(ctx: Context, given: readonly string[]): string[] {
  const regions = [...new Set(given.length > 0 ? given : [ctx.config.values.region])];
  for (const r of regions) {
    if (!REGION_RE.test(r)) throw new UsageError(`--region ${JSON.stringify(r)}: not an AWS region (like eu-central-1)`);
    if (!ctx.config.values.endpointUrl && !KNOWN_REGIONS.has(r)) {
      throw new UsageError(`--region ${r}: unknown AWS region`, 'use a region like eu-central-1; a region newer than this claw works with --endpoint-url');
    }
  }
  return regions;
}

/** One EC2 client per region: the simulated account (which answers in its own region only) or the SDK. */
async function regionalEc2(ctx: Context, regions: readonly string[]): Promise<{ region: string; ec2: Ec2Api }[]> {
  const log = (region: string) => (c: { service: string; operation: string; durationMs: number; ok: boolean }) =>
    ctx.log.debug(`aws ${region} ${c.service}.${c.operation} ${c.durationMs.toFixed(0)}ms ${c.ok ? 'ok' : 'failed'}`);
  if (ctx.sandbox) {
    const { openSandbox } = await import('../../sandbox/index.js');
    const sandbox = await openSandbox({ ...sandboxAccount(ctx.home), onFaults: ctx.log.warn });
    return regions.map((region) => ({ region, ec2: instrument(sandbox.clientsFor(region), log(region)).ec2 }));
  }
  const { createSdkClients } = await import('../../aws/sdk-clients.js');
  return regions.map((region) => ({ region, ec2: instrument(createSdkClients({ ...sdkSettings(ctx), region, signal: ctx.io.signal }), log(region)).ec2 }));
}

const NOT_ENABLED = new Set(['OptInRequired', 'AuthFailure', 'UnrecognizedClientException', 'InvalidClientTokenId']);
const FATAL = new Set(['AbortError', 'CredentialsProviderError', 'TokenProviderError', 'SandboxUnsupportedError']);

/** A region's failure as one problem line; failures that concern every region (or claw itself) are rethrown. */
function regionProblem(ctx: Context, region: string, error: unknown): SpotProblem {
  const err = error instanceof Error ? error : new Error(String(error));
  if (FATAL.has(err.name)) throw err;
  const first = err.message.split('\n')[0] ?? '';
  if (NOT_ENABLED.has(err.name)) {
    return {
      region,
      instanceType: null,
      kind: 'region-not-enabled',
      message: `${region}: region not enabled for this account, or the credentials are not valid there (${err.name}: ${first})`,
    };
  }
  const known = explainAwsError(err, { ...ctx.target, region });
  if (!known) throw err;
  return { region, instanceType: null, kind: 'region-failed', message: `${region}: ${known.message}` };
}

function collect(ctx: Context, outcomes: readonly RegionOutcome[], asked: readonly string[]) {
  const problems: SpotProblem[] = [];
  const types: { region: string; instanceType: string; vcpus: number; memoryMiB: number }[] = [];
  const points: PricePoint[] = [];
  for (const o of outcomes) {
    if (!o.ok) {
      problems.push(regionProblem(ctx, o.region, o.error));
      continue;
    }
    const { prices } = o;
    for (const t of prices.unknownTypes) {
      problems.push({
        region: o.region,
        instanceType: t,
        kind: 'unknown-instance-type',
        message: `${o.region}: unknown instance type ${t} (DescribeInstanceTypes: InvalidInstanceType)`,
      });
    }
    for (const t of prices.types) types.push({ ...t, region: o.region });
    for (const name of asked) {
      const known = prices.types.some((t) => t.instanceType === name);
      if (known && !prices.points.some((p) => p.instanceType === name)) {
        problems.push({ region: o.region, instanceType: name, kind: 'no-data', message: `${o.region}: no ${SPOT_PRODUCT} spot price for ${name}` });
      }
    }
    points.push(...prices.points);
  }
  return { problems, types, points };
}

/**
 * `claw spot prices`: the current Linux/UNIX spot price per region, AZ and type, with
 * vCPUs and memory. Problems (an unknown type, a region not enabled, no data) are one
 * warning each and the other rows are still shown; with no row at all it fails: exit 2,
 * or 1 when a region failed for another reason (network, throttling).
 */
export async function run(ctx: Context, opts: SpotOptions): Promise<void> {
  if (opts.json && opts.csv) throw new UsageError('--json and --csv exclude each other');
  const sort = parseSortKey(opts.sort);
  const windowMs = opts.history === undefined ? undefined : parseDuration(opts.history, '--history');
  if (windowMs !== undefined && (windowMs <= 0 || windowMs > MAX_HISTORY_MS)) {
    throw new UsageError(`--history ${opts.history}: must be more than 0 and at most 90d`, 'AWS keeps 90 days of spot price history');
  }
  const names = parseInstanceTypes(opts.instanceTypes ?? ctx.config.values.spotInstanceTypes);
  const regions = parseRegions(ctx, opts.regions ?? []);

  const end = ctx.now();
  const start = windowMs === undefined ? end : new Date(end.getTime() - windowMs);
  const outcomes = await pricesByRegion(await regionalEc2(ctx, regions), names, { start, end });
  const { problems, types, points } = collect(ctx, outcomes, names);
  const window = windowMs === undefined ? undefined : { start: start.getTime(), end: end.getTime() };
  const rows = sortRows(buildRows({ types, points, window }), sort);

  for (const p of problems) ctx.log.warn(p.message);
  if (rows.length === 0) {
    const why = problems.length > 0 ? `${problems.length} problem${problems.length > 1 ? 's' : ''} above` : 'nothing matched';
    if (problems.some((p) => p.kind === 'region-failed')) throw new RemoteError(`no spot prices (${why})`);
    throw new UsageError(`no spot prices (${why})`, 'check --instance-types and --region');
  }
  const history = opts.history === undefined ? undefined : { window: opts.history, start: start.toISOString(), end: end.toISOString() };
  ctx.result(opts, toJson(rows, problems, history), () =>
    opts.csv ? toCsv(rows, history !== undefined) : renderSpot(rows, { window: opts.history, paint: ctx.paint }),
  );
}
