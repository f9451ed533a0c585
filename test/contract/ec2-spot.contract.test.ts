import type { _InstanceType, SpotPrice } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { collectPages, expectAwsError, forEachBackend, motoEndpoint, openMotoBackend, openSandboxBackend } from './backends.js';

// DescribeInstanceTypes and DescribeSpotPriceHistory on both backends. moto answers a
// constant price for every type and AZ (0.00001, stamped 2006-01-02T15:04:05Z, product
// "Linux/UNIX (Amazon VPC)") and ignores StartTime, EndTime, ProductDescriptions and
// MaxResults: those quirks are pinned below, and the real semantics (the price in effect
// at StartTime, the window, newest first, paging) are covered on the sandbox.

const TYPES = ['t4g.small', 'm8g.large'] as const;
const key = (p: SpotPrice) => `${p.InstanceType}@${p.AvailabilityZone}`;

forEachBackend('EC2 describeInstanceTypes / describeSpotPriceHistory', (backend) => {
  it('instance types: vCPUs and MiB, only the ones asked for', async () => {
    const out = await backend().clients.ec2.describeInstanceTypes({ InstanceTypes: [...TYPES] });
    const specs = (out.InstanceTypes ?? []).map((t) => [t.InstanceType, t.VCpuInfo?.DefaultVCpus, t.MemoryInfo?.SizeInMiB]).sort();
    expect(specs).toEqual([
      ['m8g.large', 2, 8192],
      ['t4g.small', 2, 2048],
    ]);
  });

  it('an unknown instance type fails the whole call with InvalidInstanceType naming it', async () => {
    const err = await expectAwsError(
      backend().clients.ec2.describeInstanceTypes({ InstanceTypes: ['t4g.small', 'zz9.huge'] as _InstanceType[] }),
      'InvalidInstanceType',
      400,
    );
    expect(err.message).toBe('The following supplied instance types do not exist: [zz9.huge]');
  });

  it('spot prices at StartTime = now: each asked type in each AZ, with the SDK shape', async () => {
    const now = new Date();
    const out = await backend().clients.ec2.describeSpotPriceHistory({
      InstanceTypes: [...TYPES],
      ProductDescriptions: ['Linux/UNIX'],
      StartTime: now,
      EndTime: now,
    });
    const list = out.SpotPriceHistory ?? [];
    expect([...new Set(list.map(key))].sort()).toEqual(TYPES.flatMap((t) => ['a', 'b', 'c'].map((z) => `${t}@eu-central-1${z}`)).sort());
    for (const p of list) {
      expect(p.SpotPrice).toMatch(/^\d+\.\d+$/);
      expect(p.Timestamp).toBeInstanceOf(Date);
      expect(p.Timestamp!.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(p.ProductDescription).toMatch(/^Linux\/UNIX/);
    }
    expect(out.NextToken || undefined).toBeUndefined();
  });

  it('instance-type and availability-zone filters', async () => {
    const out = await backend().clients.ec2.describeSpotPriceHistory({
      Filters: [
        { Name: 'instance-type', Values: ['m8g.large'] },
        { Name: 'availability-zone', Values: ['eu-central-1b'] },
      ],
      StartTime: new Date(),
    });
    expect([...new Set((out.SpotPriceHistory ?? []).map(key))]).toEqual(['m8g.large@eu-central-1b']);
  });
});

const moto = motoEndpoint();
describe.skipIf(moto.endpoint === null)('moto quirks (spot)', () => {
  it('a constant price from 2006, whatever the window, product or page size', async () => {
    const b = openMotoBackend(moto.endpoint!);
    try {
      const out = await b.clients.ec2.describeSpotPriceHistory({
        InstanceTypes: [...TYPES],
        ProductDescriptions: ['Windows'],
        StartTime: new Date(),
        MaxResults: 5,
      });
      const list = out.SpotPriceHistory ?? [];
      expect(list).toHaveLength(6); // MaxResults and ProductDescriptions ignored
      expect(new Set(list.map((p) => `${p.SpotPrice} ${p.Timestamp!.toISOString()} ${p.ProductDescription}`))).toEqual(
        new Set(['0.00001 2006-01-02T15:04:05.000Z Linux/UNIX (Amazon VPC)']),
      );
      expect(out.NextToken).toBeUndefined();
    } finally {
      await b.close();
    }
  });
});

describe('spot price history on the sandbox (AWS semantics)', () => {
  it('StartTime gives the price in effect then, plus every later change up to EndTime; newest first', async () => {
    const b = await openSandboxBackend();
    try {
      const seeded = b.sandbox!.admin.spotPrices().filter((p) => p.instanceType === 't4g.small' && p.availabilityZone === 'eu-central-1a');
      const times = seeded.map((p) => Date.parse(p.timestamp)).sort((x, y) => x - y); // 3d, 1d6h, 2h ago
      const ask = (StartTime: Date, EndTime?: Date) =>
        b.clients.ec2.describeSpotPriceHistory({
          InstanceTypes: ['t4g.small'],
          AvailabilityZone: 'eu-central-1a',
          ProductDescriptions: ['Linux/UNIX'],
          StartTime,
          ...(EndTime && { EndTime }),
        });
      const now = await ask(new Date());
      expect((now.SpotPriceHistory ?? []).map((p) => p.Timestamp!.getTime())).toEqual([times[2]]);
      const day = await ask(new Date(Date.now() - 86_400_000));
      expect((day.SpotPriceHistory ?? []).map((p) => p.Timestamp!.getTime())).toEqual([times[2], times[1]]);
      const old = await ask(new Date(times[0]! - 1000), new Date(times[1]! + 1000));
      expect((old.SpotPriceHistory ?? []).map((p) => p.Timestamp!.getTime())).toEqual([times[1], times[0]]);
      expect(now.NextToken).toBe('');
      const other = await b.clients.ec2.describeSpotPriceHistory({ InstanceTypes: ['t4g.small'], ProductDescriptions: ['Windows'], StartTime: new Date() });
      expect(other.SpotPriceHistory).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('MaxResults pages (5..1000) with a token bound to the request; the last page has NextToken ""', async () => {
    const b = await openSandboxBackend();
    try {
      const input = { InstanceTypes: ['t4g.small' as const, 'm8g.large' as const], StartTime: new Date(Date.now() - 7 * 86_400_000), MaxResults: 5 };
      const pages = await collectPages(async (token) => {
        const out = await b.clients.ec2.describeSpotPriceHistory({ ...input, NextToken: token });
        return { items: out.SpotPriceHistory ?? [], next: out.NextToken };
      });
      const all = pages.flat();
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 3]);
      const stamps = all.map((p) => p.Timestamp!.getTime());
      expect(stamps).toEqual([...stamps].sort((x, y) => y - x));
      expect(new Set(all.map((p) => `${key(p)} ${p.Timestamp!.toISOString()}`)).size).toBe(18);
      await expectAwsError(b.clients.ec2.describeSpotPriceHistory({ ...input, MaxResults: 4 }), 'InvalidParameterValue', 400);
      const first = await b.clients.ec2.describeSpotPriceHistory(input);
      await expectAwsError(
        b.clients.ec2.describeSpotPriceHistory({ ...input, InstanceTypes: ['t4g.small'], NextToken: first.NextToken }),
        'InvalidPaginationToken',
        400,
      );
    } finally {
      await b.close();
    }
  });

  it('DescribeInstanceTypes names every unknown type; other regions answer OptInRequired', async () => {
    const b = await openSandboxBackend();
    try {
      const err = await expectAwsError(
        b.clients.ec2.describeInstanceTypes({ InstanceTypes: ['zz9.huge', 't4g.small', 'qq1.tiny'] as _InstanceType[] }),
        'InvalidInstanceType',
        400,
      );
      expect(err.message).toBe('The following supplied instance types do not exist: [zz9.huge, qq1.tiny]');
      const pages = await collectPages(async (token) => {
        const out = await b.clients.ec2.describeInstanceTypes({ MaxResults: 5, NextToken: token });
        return { items: out.InstanceTypes ?? [], next: out.NextToken };
      });
      expect(pages.flat().map((t) => t.InstanceType)).toEqual([
        'm8g.large',
        'm8g.medium',
        'r7g.medium',
        't3.large',
        't3.medium',
        't3.small',
        't4g.medium',
        't4g.small',
      ]);
      expect(b.sandbox!.clientsFor('eu-central-1').ec2).toBe(b.clients.ec2);
      const far = b.sandbox!.clientsFor('us-east-1').ec2;
      const denied = await far
        .describeSpotPriceHistory({ StartTime: new Date() })
        .catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
      expect({ name: (denied as Error).name, status: (denied as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode }).toEqual({
        name: 'OptInRequired',
        status: 401,
      });
      expect((denied as Error).message).toMatch(/us-east-1/);
    } finally {
      await b.close();
    }
  });
});
