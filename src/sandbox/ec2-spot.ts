import type {
  DescribeInstanceTypesCommandInput,
  DescribeInstanceTypesCommandOutput,
  DescribeSpotPriceHistoryCommandInput,
  DescribeSpotPriceHistoryCommandOutput,
  InstanceTypeInfo,
  SpotPrice,
} from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { checkMaxResults, cursorFrom } from './ec2-common.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { compileFilters, type FilterSpec } from './filters.js';
import { encodeToken, pageAfter } from './paging.js';
import type { InstanceTypeRecord, SpotPriceRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 DescribeInstanceTypes and DescribeSpotPriceHistory over the seeded instance types
// and spot price points (fixtures/sandbox/spot.json), with AWS's rules:
// - DescribeInstanceTypes: an unknown name in InstanceTypes is `InvalidInstanceType`
//   naming every unknown one; MaxResults 5..100; sorted by name.
// - DescribeSpotPriceHistory: with StartTime, the points inside [StartTime, EndTime]
//   plus, per series (type, AZ, product), the last change before StartTime (the price in
//   effect at StartTime); EndTime defaults to now. Newest first. MaxResults 5..1000
//   (default 1000); the last page carries `NextToken: ""`, as AWS's does.

const TYPE_PAGING_MAX = 100;

const typeFilters: FilterSpec<InstanceTypeRecord> = {
  fields: {
    'instance-type': (t) => [t.instanceType],
    'vcpu-info.default-vcpus': (t) => [String(t.vCpus)],
    'memory-info.size-in-mib': (t) => [String(t.memoryMiB)],
    'processor-info.supported-architecture': (t) => (t.architecture ? [t.architecture] : []),
  },
  tags: () => ({}),
};

const spotFilters: FilterSpec<SpotPriceRecord> = {
  fields: {
    'instance-type': (p) => [p.instanceType],
    'product-description': (p) => [p.productDescription],
    'availability-zone': (p) => [p.availabilityZone],
  },
  tags: () => ({}),
};

function toTypeInfo(t: InstanceTypeRecord): InstanceTypeInfo {
  return {
    InstanceType: t.instanceType as InstanceTypeInfo['InstanceType'],
    CurrentGeneration: true,
    SupportedUsageClasses: ['on-demand', 'spot'],
    VCpuInfo: { DefaultVCpus: t.vCpus },
    MemoryInfo: { SizeInMiB: t.memoryMiB },
    ...(t.architecture !== undefined && { ProcessorInfo: { SupportedArchitectures: [t.architecture as 'arm64'] } }),
  };
}

function toSpotPrice(p: SpotPriceRecord): SpotPrice {
  return {
    AvailabilityZone: p.availabilityZone,
    InstanceType: p.instanceType as SpotPrice['InstanceType'],
    ProductDescription: p.productDescription as SpotPrice['ProductDescription'],
    SpotPrice: p.spotPrice,
    Timestamp: new Date(p.timestamp),
  };
}

const seriesKey = (p: SpotPriceRecord) => `${p.instanceType}|${p.availabilityZone}|${p.productDescription}`;
/** Sorts newest first, then by AZ, type and product: the paging cursor. */
const cursorKey = (p: SpotPriceRecord) =>
  `${String(9e15 - Date.parse(p.timestamp)).padStart(16, '0')}|${p.availabilityZone}|${p.instanceType}|${p.productDescription}`;

function timeParam(value: Date | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw awsError('InvalidParameterValue', `Invalid value for parameter ${name}`);
  return ms;
}

/** The points a request sees: inside the window, plus each series' price in effect at its start. */
function inWindow(points: readonly SpotPriceRecord[], start: number | undefined, end: number): SpotPriceRecord[] {
  const out: SpotPriceRecord[] = [];
  const before = new Map<string, SpotPriceRecord>();
  for (const p of points) {
    const t = Date.parse(p.timestamp);
    if (t > end) continue;
    if (start === undefined || t >= start) {
      out.push(p);
      continue;
    }
    const prev = before.get(seriesKey(p));
    if (!prev || Date.parse(prev.timestamp) < t) before.set(seriesKey(p), p);
  }
  return [...out, ...before.values()];
}

export function spotOps(world: SandboxWorld): Pick<Ec2Api, 'describeInstanceTypes' | 'describeSpotPriceHistory'> {
  return {
    async describeInstanceTypes(input: DescribeInstanceTypesCommandInput = {}): Promise<DescribeInstanceTypesCommandOutput> {
      const op = 'EC2 DescribeInstanceTypes';
      rejectUnsupported(op, input, ['InstanceTypes', 'Filters', 'MaxResults', 'NextToken']);
      const max = input.MaxResults;
      if (max !== undefined && (!Number.isInteger(max) || max < 5 || max > TYPE_PAGING_MAX)) {
        throw awsError('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 5 and ${TYPE_PAGING_MAX}.`);
      }
      const { fp, after } = cursorFrom(op, input, input.NextToken);
      const known = world.state.instanceTypes;
      const names: readonly string[] = input.InstanceTypes ?? [];
      const unknown = [...new Set(names.filter((n) => !known.some((t) => t.instanceType === n)))];
      if (unknown.length > 0) {
        throw awsError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
      }
      const matches = compileFilters(op, input.Filters, typeFilters);
      const sorted = known
        .filter((t) => (names.length === 0 || names.includes(t.instanceType)) && matches(t))
        .sort((a, b) => (a.instanceType < b.instanceType ? -1 : a.instanceType > b.instanceType ? 1 : 0));
      const { page, next } = pageAfter(sorted, (t) => t.instanceType, after, max);
      return {
        $metadata: okMetadata(),
        InstanceTypes: page.map(toTypeInfo),
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },

    async describeSpotPriceHistory(input: DescribeSpotPriceHistoryCommandInput = {}): Promise<DescribeSpotPriceHistoryCommandOutput> {
      const op = 'EC2 DescribeSpotPriceHistory';
      rejectUnsupported(op, input, ['AvailabilityZone', 'InstanceTypes', 'ProductDescriptions', 'StartTime', 'EndTime', 'Filters', 'MaxResults', 'NextToken']);
      const max = checkMaxResults(input.MaxResults) ?? 1000;
      const start = timeParam(input.StartTime, 'StartTime');
      const end = timeParam(input.EndTime, 'EndTime') ?? world.now().getTime();
      if (start !== undefined && start > end) {
        throw awsError('InvalidParameterValue', 'The start time must be before the end time.');
      }
      const { fp, after } = cursorFrom(op, input, input.NextToken);
      const types: readonly string[] = input.InstanceTypes ?? [];
      const products = input.ProductDescriptions ?? [];
      const matches = compileFilters(op, input.Filters, spotFilters);
      const selected = world.state.spotPrices.filter(
        (p) =>
          (types.length === 0 || types.includes(p.instanceType)) &&
          (products.length === 0 || products.includes(p.productDescription)) &&
          (input.AvailabilityZone === undefined || p.availabilityZone === input.AvailabilityZone) &&
          matches(p),
      );
      const sorted = inWindow(selected, start, end).sort((a, b) => (cursorKey(a) < cursorKey(b) ? -1 : cursorKey(a) > cursorKey(b) ? 1 : 0));
      const { page, next } = pageAfter(sorted, cursorKey, after, max);
      return {
        $metadata: okMetadata(),
        SpotPriceHistory: page.map(toSpotPrice),
        NextToken: next !== undefined ? encodeToken(op, fp, next) : '',
      };
    },
  };
}
