import type {
  DescribeInstanceTypesCommandInput,
  DescribeInstanceTypesCommandOutput,
  DescribeSpotPriceHistoryCommandInput,
  DescribeSpotPriceHistoryCommandOutput,
  InstanceTypeInfo,
  SpotPrice,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { SPOT_PRODUCT, type InstanceTypeSpec, type PricePoint } from '../core/spot.js';
import type { Ec2Api } from './clients.js';
import { collectPages } from './paginate.js';

// Spot prices of one region: DescribeInstanceTypes (vCPUs, MiB; unknown names are
// reported, not fatal) and DescribeSpotPriceHistory for Linux/UNIX from StartTime to
// now, every page. Several regions run concurrently, each with its own client.

export interface RegionQuery {
  region: string;
  ec2: Ec2Api;
}

export interface RegionPrices {
  region: string;
  types: InstanceTypeSpec[];
  /** Asked for, but the region's DescribeInstanceTypes does not know them. */
  unknownTypes: string[];
  points: PricePoint[];
}

export type RegionOutcome = { region: string; ok: true; prices: RegionPrices } | { region: string; ok: false; error: unknown };

const UNKNOWN_LIST_RE = /do not exist: \[([^\]]*)\]/;

function toSpec(t: InstanceTypeInfo): InstanceTypeSpec | undefined {
  const vcpus = t.VCpuInfo?.DefaultVCpus;
  const memoryMiB = t.MemoryInfo?.SizeInMiB;
  if (!t.InstanceType || vcpus === undefined || memoryMiB === undefined) return undefined;
  return { instanceType: t.InstanceType, vcpus, memoryMiB };
}

async function describeTypesOnce(ec2: Ec2Api, names: readonly string[]): Promise<InstanceTypeSpec[]> {
  const infos = await collectPages(
    (i: DescribeInstanceTypesCommandInput) => ec2.describeInstanceTypes(i),
    { InstanceTypes: names as _InstanceType[] },
    (o: DescribeInstanceTypesCommandOutput) => o.InstanceTypes,
    'EC2 DescribeInstanceTypes',
  );
  return infos.flatMap((t) => toSpec(t) ?? []);
}

const isInvalidType = (err: unknown) => err instanceof Error && err.name === 'InvalidInstanceType';

/**
 * The specs of `names`; the names the region does not know come back as `unknown`.
 * AWS fails the whole call on one unknown name and lists them all in its message: drop
 * those and ask again; if the message cannot be read, ask for each name on its own.
 */
export async function describeTypes(ec2: Ec2Api, names: readonly string[]): Promise<{ types: InstanceTypeSpec[]; unknown: string[] }> {
  try {
    return { types: await describeTypesOnce(ec2, names), unknown: [] };
  } catch (err) {
    if (!isInvalidType(err)) throw err;
    const listed =
      UNKNOWN_LIST_RE.exec((err as Error).message)?.[1]
        ?.split(',')
        .map((s) => s.trim()) ?? [];
    const unknown = names.filter((n) => listed.includes(n));
    const rest = names.filter((n) => !unknown.includes(n));
    if (unknown.length > 0) {
      return rest.length === 0 ? { types: [], unknown } : { types: (await describeTypes(ec2, rest)).types, unknown };
    }
    const each = await Promise.all(
      names.map(async (n) => {
        try {
          return { n, specs: await describeTypesOnce(ec2, [n]) };
        } catch (e) {
          if (isInvalidType(e)) return { n, specs: null };
          throw e;
        }
      }),
    );
    return { types: each.flatMap((e) => e.specs ?? []), unknown: each.filter((e) => e.specs === null).map((e) => e.n) };
  }
}

function toPoint(region: string, p: SpotPrice): PricePoint | undefined {
  const price = Number(p.SpotPrice);
  if (!p.AvailabilityZone || !p.InstanceType || !p.Timestamp || !Number.isFinite(price)) return undefined;
  return { region, availabilityZone: p.AvailabilityZone, instanceType: p.InstanceType, price, timestamp: p.Timestamp.toISOString() };
}

/** Every Linux/UNIX price change of `types` from `start` to `end`, plus the one in effect at `start`. */
export async function spotHistory(ec2: Ec2Api, region: string, types: readonly string[], start: Date, end: Date): Promise<PricePoint[]> {
  if (types.length === 0) return [];
  const raw = await collectPages(
    (i: DescribeSpotPriceHistoryCommandInput) => ec2.describeSpotPriceHistory(i),
    { InstanceTypes: types as _InstanceType[], ProductDescriptions: [SPOT_PRODUCT], StartTime: start, EndTime: end, MaxResults: 1000 },
    (o: DescribeSpotPriceHistoryCommandOutput) => o.SpotPriceHistory,
    'EC2 DescribeSpotPriceHistory',
  );
  return raw.flatMap((p) => toPoint(region, p) ?? []);
}

export async function regionPrices(q: RegionQuery, names: readonly string[], window: { start: Date; end: Date }): Promise<RegionPrices> {
  const { types, unknown } = await describeTypes(q.ec2, names);
  const points = await spotHistory(
    q.ec2,
    q.region,
    types.map((t) => t.instanceType),
    window.start,
    window.end,
  );
  return { region: q.region, types, unknownTypes: unknown, points };
}

/** All regions at once; one region's failure is its own outcome, not the others'. */
export async function pricesByRegion(queries: readonly RegionQuery[], names: readonly string[], window: { start: Date; end: Date }): Promise<RegionOutcome[]> {
  return Promise.all(
    queries.map(async (q): Promise<RegionOutcome> => {
      try {
        return { region: q.region, ok: true, prices: await regionPrices(q, names, window) };
      } catch (error) {
        return { region: q.region, ok: false, error };
      }
    }),
  );
}
