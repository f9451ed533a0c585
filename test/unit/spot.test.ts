import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildRows,
  markCheapest,
  monthly,
  parseInstanceTypes,
  parseSortKey,
  sortRows,
  toCsv,
  toJson,
  windowStats,
  type PricePoint,
  type SpotRow,
} from '../../src/core/spot.js';
import { UsageError } from '../../src/core/errors.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-10T00:00:00Z');
const at = (hoursAgo: number) => new Date(T0 - hoursAgo * H).toISOString();
const pt = (az: string, type: string, price: number, hoursAgo = 1, region = 'eu-central-1'): PricePoint => ({
  region,
  availabilityZone: az,
  instanceType: type,
  price,
  timestamp: at(hoursAgo),
});
const types = [
  { region: 'eu-central-1', instanceType: 't4g.small', vcpus: 2, memoryMiB: 2048 },
  { region: 'eu-central-1', instanceType: 'm8g.large', vcpus: 2, memoryMiB: 8192 },
];

describe('spot rows', () => {
  it('monthly is hourly × 730 in cents', () => {
    expect(monthly(0.005734)).toBe(4.19);
    expect(monthly(0.0378)).toBe(27.59);
    expect(monthly(0)).toBe(0);
  });

  it('one row per AZ and type, the newest point is the price, cheapest first, cheapest AZ per type marked', () => {
    const rows = buildRows({
      types,
      points: [
        pt('eu-central-1a', 't4g.small', 0.007, 30),
        pt('eu-central-1a', 't4g.small', 0.0061, 2),
        pt('eu-central-1b', 't4g.small', 0.0057),
        pt('eu-central-1a', 'm8g.large', 0.04),
        pt('eu-central-1b', 'm8g.large', 0.0378),
        pt('eu-central-1a', 'x9.unknown', 0.001),
      ],
    });
    expect(rows.map((r) => [r.availabilityZone, r.instanceType, r.pricePerHour, r.pricePerMonth, r.cheapest])).toEqual([
      ['eu-central-1b', 't4g.small', 0.0057, 4.16, true],
      ['eu-central-1a', 't4g.small', 0.0061, 4.45, false],
      ['eu-central-1b', 'm8g.large', 0.0378, 27.59, true],
      ['eu-central-1a', 'm8g.large', 0.04, 29.2, false],
    ]);
    expect(rows[1]).toMatchObject({ vcpus: 2, memoryMiB: 2048, timestamp: at(2) });
    expect(rows[0]!.history).toBeUndefined();
  });

  it('sorts by az and by type; ties of the cheapest price are all marked', () => {
    const rows = buildRows({
      types,
      points: [pt('eu-central-1c', 't4g.small', 0.005), pt('eu-central-1a', 't4g.small', 0.005), pt('eu-central-1b', 'm8g.large', 0.01)],
    });
    expect(rows.filter((r) => r.cheapest)).toHaveLength(3);
    expect(sortRows(rows, 'az').map((r) => r.availabilityZone)).toEqual(['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
    expect(sortRows(rows, 'type').map((r) => `${r.instanceType}@${r.availabilityZone}`)).toEqual([
      'm8g.large@eu-central-1b',
      't4g.small@eu-central-1a',
      't4g.small@eu-central-1c',
    ]);
  });

  it('marks the cheapest AZ of a type across regions', () => {
    const rows = buildRows({
      types: [...types, { region: 'eu-west-1', instanceType: 't4g.small', vcpus: 2, memoryMiB: 2048 }],
      points: [pt('eu-central-1a', 't4g.small', 0.006), pt('eu-west-1a', 't4g.small', 0.004, 1, 'eu-west-1')],
    });
    expect(rows.map((r) => [r.region, r.cheapest])).toEqual([
      ['eu-west-1', true],
      ['eu-central-1', false],
    ]);
  });
});

describe('window stats', () => {
  it('the price in effect at the start counts from the start, later changes from their time (time-weighted mean)', () => {
    const series = [pt('a', 't', 0.3, 72), pt('a', 't', 0.1, 30), pt('a', 't', 0.2, 2)];
    // Window of 24h: 0.1 for 22h, 0.2 for 2h.
    expect(windowStats(series, T0 - 24 * H, T0)).toEqual({ min: 0.1, mean: Number(((0.1 * 22 + 0.2 * 2) / 24).toFixed(6)), max: 0.2 });
    // Window of 7d: all three.
    expect(windowStats(series, T0 - 168 * H, T0)).toMatchObject({ min: 0.1, max: 0.3 });
    // Only an old point: it held the whole window.
    expect(windowStats([pt('a', 't', 0.5, 500)], T0 - 24 * H, T0)).toEqual({ min: 0.5, mean: 0.5, max: 0.5 });
    expect(windowStats([], T0 - H, T0)).toBeUndefined();
  });

  it('property: min <= mean <= max, and both bounds are prices of the series', () => {
    const arb = fc.array(fc.record({ h: fc.integer({ min: 0, max: 400 }), p: fc.integer({ min: 1, max: 1_000_000 }) }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 300 }), (raw, windowH) => {
        const series = raw.map((r) => pt('a', 't', r.p / 1e6, r.h)).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
        const s = windowStats(series, T0 - windowH * H, T0)!;
        expect(s.min).toBeLessThanOrEqual(s.mean + 1e-9);
        expect(s.mean).toBeLessThanOrEqual(s.max + 1e-9);
        expect(series.map((p) => p.price)).toContain(s.min);
        expect(series.map((p) => p.price)).toContain(s.max);
      }),
    );
  });
});

describe('properties of rows', () => {
  const arbPoints = fc.array(
    fc.record({
      az: fc.constantFrom('eu-central-1a', 'eu-central-1b', 'eu-central-1c'),
      type: fc.constantFrom('t4g.small', 'm8g.large'),
      p: fc.integer({ min: 1, max: 100_000 }),
      h: fc.integer({ min: 0, max: 100 }),
    }),
    { maxLength: 40 },
  );
  it('cheapest first; exactly the minimum-priced rows of each type are marked; one row per AZ and type', () => {
    fc.assert(
      fc.property(arbPoints, (raw) => {
        const rows = buildRows({ types, points: raw.map((r) => pt(r.az, r.type, r.p / 1e6, r.h)) });
        for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.pricePerHour).toBeLessThanOrEqual(rows[i]!.pricePerHour);
        expect(new Set(rows.map((r) => `${r.availabilityZone}|${r.instanceType}`)).size).toBe(rows.length);
        for (const r of rows) {
          const min = Math.min(...rows.filter((o) => o.instanceType === r.instanceType).map((o) => o.pricePerHour));
          expect(r.cheapest).toBe(r.pricePerHour === min);
        }
        const again = markCheapest(sortRows(rows, 'type'));
        expect(sortRows(again, 'price')).toEqual(rows);
      }),
    );
  });
});

describe('shapes and inputs', () => {
  const row: SpotRow = {
    region: 'eu-central-1',
    availabilityZone: 'eu-central-1b',
    instanceType: 't4g.small',
    vcpus: 2,
    memoryMiB: 2048,
    pricePerHour: 0.005734,
    pricePerMonth: 4.19,
    timestamp: at(2),
    cheapest: true,
    history: { min: 0.0056, mean: 0.00565, max: 0.0057 },
  };
  it('JSON has the documented fields, history fields only with a window', () => {
    expect(toJson([row], []).prices[0]).toEqual({
      region: 'eu-central-1',
      availabilityZone: 'eu-central-1b',
      instanceType: 't4g.small',
      vcpus: 2,
      memoryMiB: 2048,
      pricePerHour: 0.005734,
      pricePerMonth: 4.19,
      timestamp: at(2),
      cheapest: true,
    });
    const doc = toJson([row], [], { window: '7d', start: at(168), end: at(0) });
    expect(doc.prices[0]).toMatchObject({ minPerHour: 0.0056, meanPerHour: 0.00565, maxPerHour: 0.0057 });
    expect(doc.history).toEqual({ window: '7d', start: at(168), end: at(0) });
  });
  it('CSV has a header row and fixed decimals', () => {
    expect(toCsv([row], false).split('\n')).toEqual([
      'Region,AZ,InstanceType,VCpus,MemoryMiB,PriceUSD/hr,PriceUSD/mo,Cheapest,Timestamp',
      `eu-central-1,eu-central-1b,t4g.small,2,2048,0.005734,4.19,yes,${at(2)}`,
    ]);
    expect(toCsv([row], true).split('\n')[1]).toMatch(/,0\.005600,0\.005650,0\.005700$/);
  });
  it('sort keys and instance type names are validated strictly', () => {
    expect(parseSortKey(undefined)).toBe('price');
    expect(parseSortKey('az')).toBe('az');
    expect(() => parseSortKey('cost')).toThrow(UsageError);
    expect(parseInstanceTypes(['t4g.small,m8g.large', 't4g.small'])).toEqual(['t4g.small', 'm8g.large']);
    for (const bad of ['t4g', 'T4G.small', 't4g.small;reboot', '$(id).x', 't4g small', '']) expect(() => parseInstanceTypes([bad])).toThrow(UsageError);
  });
});
