import { describe, expect, it } from 'vitest';
import type { Ec2Api } from '../../src/aws/clients.js';
import { describeTypes, pricesByRegion } from '../../src/aws/spot.js';

// src/aws/spot.ts over small fakes: the paths AWS answers rarely (an unreadable
// InvalidInstanceType message, a type without spot data) and the concurrency of regions.

const ok = { $metadata: {} };
const invalid = (message: string) => Object.assign(new Error(message), { name: 'InvalidInstanceType' });
const KNOWN: Record<string, [number, number]> = { 't4g.small': [2, 2048], 'm8g.large': [2, 8192] };

function fakeEc2(o: { message?: (unknown: string[]) => string; delayMs?: number; calls?: string[] } = {}): Ec2Api {
  const delay = () => new Promise((r) => setTimeout(r, o.delayMs ?? 0));
  const api: Partial<Ec2Api> = {
    describeInstanceTypes: async (i) => {
      await delay();
      o.calls?.push(`types:${(i.InstanceTypes ?? []).join(',')}`);
      const unknown = (i.InstanceTypes ?? []).filter((t) => !KNOWN[t]);
      if (unknown.length > 0) throw invalid(o.message ? o.message(unknown) : `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
      return {
        ...ok,
        InstanceTypes: (i.InstanceTypes ?? []).map((t) => ({
          InstanceType: t,
          VCpuInfo: { DefaultVCpus: KNOWN[t]![0] },
          MemoryInfo: { SizeInMiB: KNOWN[t]![1] },
        })),
      };
    },
    describeSpotPriceHistory: async () => {
      await delay();
      // t4g.small has prices, m8g.large none (a type with no spot offering there).
      return {
        ...ok,
        SpotPriceHistory: [
          { AvailabilityZone: 'eu-central-1a', InstanceType: 't4g.small', ProductDescription: 'Linux/UNIX', SpotPrice: '0.005', Timestamp: new Date() },
        ],
        NextToken: '',
      };
    },
  };
  return api as Ec2Api;
}

describe('describeTypes', () => {
  it('drops the names AWS lists as unknown and asks again', async () => {
    const calls: string[] = [];
    const out = await describeTypes(fakeEc2({ calls }), ['t4g.small', 'zz1.big', 'm8g.large']);
    expect(out.unknown).toEqual(['zz1.big']);
    expect(out.types.map((t) => t.instanceType)).toEqual(['t4g.small', 'm8g.large']);
    expect(calls).toEqual(['types:t4g.small,zz1.big,m8g.large', 'types:t4g.small,m8g.large']);
  });
  it('asks per name when the error message cannot be read', async () => {
    const out = await describeTypes(fakeEc2({ message: () => 'nope' }), ['t4g.small', 'zz1.big']);
    expect(out).toEqual({ types: [{ instanceType: 't4g.small', vcpus: 2, memoryMiB: 2048 }], unknown: ['zz1.big'] });
  });
  it('other errors are not swallowed', async () => {
    const ec2 = { describeInstanceTypes: () => Promise.reject(Object.assign(new Error('x'), { name: 'Throttling' })) } as unknown as Ec2Api;
    await expect(describeTypes(ec2, ['t4g.small'])).rejects.toThrow('x');
  });
});

describe('pricesByRegion', () => {
  it('queries regions concurrently; a failing region is its own outcome', async () => {
    const broken = { describeInstanceTypes: () => Promise.reject(Object.assign(new Error('no'), { name: 'OptInRequired' })) } as unknown as Ec2Api;
    const now = new Date();
    const started = performance.now();
    const out = await pricesByRegion(
      [
        { region: 'eu-central-1', ec2: fakeEc2({ delayMs: 150 }) },
        { region: 'eu-west-1', ec2: fakeEc2({ delayMs: 150 }) },
        { region: 'us-east-1', ec2: fakeEc2({ delayMs: 150 }) },
        { region: 'af-south-1', ec2: broken },
      ],
      ['t4g.small', 'm8g.large'],
      { start: now, end: now },
    );
    // Two sequential calls of 150 ms per region: ~300 ms in parallel, ~900 ms in series.
    expect(performance.now() - started).toBeLessThan(700);
    expect(out.map((o) => [o.region, o.ok])).toEqual([
      ['eu-central-1', true],
      ['eu-west-1', true],
      ['us-east-1', true],
      ['af-south-1', false],
    ]);
    const first = out[0]!;
    if (!first.ok) throw new Error('unreachable');
    expect(first.prices.points).toEqual([expect.objectContaining({ region: 'eu-central-1', instanceType: 't4g.small', price: 0.005 })]);
    expect(first.prices.types.map((t) => t.instanceType)).toEqual(['t4g.small', 'm8g.large']);
  });
});
