import { describe, expect, it } from 'vitest';
import { runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox spot prices` from the built binary: the seeded prices of
// fixtures/sandbox/spot.json (eu-central-1 only; other regions are not enabled).

const home = tempDir('claw-spot-sbx-');
const claw = (...args: string[]) => runClaw(['--sandbox', 'spot', 'prices', ...args], { env: { HOME: home } });

describe('claw --sandbox spot prices', () => {
  it('the default types as a table, cheapest first, the cheapest AZ of each type marked', async () => {
    const r = await claw();
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AZ\s+InstanceType\s+VCpus\s+MemoryMiB\s+PriceUSD\/hr\s+PriceUSD\/mo$/);
    expect(lines[1]).toMatch(/^eu-central-1b\s+t4g\.small\s+2\s+2048\s+0\.005734\s+4\.19\s+\* cheapest$/);
    expect(lines[2]).toMatch(/^eu-central-1a\s+t4g\.small\s+2\s+2048\s+0\.006100\s+4\.45$/);
    expect(lines).toHaveLength(1 + 15 + 1);
    expect(lines.filter((l) => l.endsWith('* cheapest'))).toHaveLength(5);
    expect(lines.at(-1)).toBe('monthly = hourly × 730');
    // Numbers right-aligned: each ends where its title ends, so the digits line up.
    for (const title of ['VCpus', 'MemoryMiB', 'PriceUSD/hr', 'PriceUSD/mo']) {
      const end = lines[0]!.indexOf(title) + title.length;
      for (const row of lines.slice(1, -1)) expect(row.slice(0, end), `${title} in ${row}`).toMatch(/\d$/);
      for (const row of lines.slice(1, -1)) expect(row[end] ?? ' ', `${title} in ${row}`).toBe(' ');
    }
  });

  it('--json: the documented document; --sort type', async () => {
    const r = await claw('--json', '--sort', 'type', '--instance-types', 'm8g.large', 't4g.small');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { prices: Record<string, unknown>[]; problems: unknown[] };
    expect(doc.problems).toEqual([]);
    expect(doc.prices.map((p) => `${p.instanceType}@${p.availabilityZone}`)).toEqual([
      'm8g.large@eu-central-1b',
      'm8g.large@eu-central-1a',
      'm8g.large@eu-central-1c',
      't4g.small@eu-central-1b',
      't4g.small@eu-central-1a',
      't4g.small@eu-central-1c',
    ]);
    expect(doc.prices[0]).toEqual({
      region: 'eu-central-1',
      availabilityZone: 'eu-central-1b',
      instanceType: 'm8g.large',
      vcpus: 2,
      memoryMiB: 8192,
      pricePerHour: 0.037788,
      pricePerMonth: 27.59,
      timestamp: expect.stringMatching(/Z$/),
      cheapest: true,
    });
  });

  it('--csv with a header row; --history adds min / mean / max', async () => {
    const r = await claw('--csv', '--history', '7d', '--instance-types', 't4g.small', '--sort', 'az');
    expect(r.exitCode).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('Region,AZ,InstanceType,VCpus,MemoryMiB,PriceUSD/hr,PriceUSD/mo,Cheapest,Timestamp,MinUSD/hr,MeanUSD/hr,MaxUSD/hr');
    expect(rows.slice(1).map((l) => l.split(',').slice(1, 3).join(' '))).toEqual([
      'eu-central-1a t4g.small',
      'eu-central-1b t4g.small',
      'eu-central-1c t4g.small',
    ]);
    // eu-central-1a: 0.006283 (3d ago), 0.005978 (1d6h ago), 0.006100 (2h ago).
    const a = rows[1]!.split(',');
    expect([a[5], a[9], a[11]]).toEqual(['0.006100', '0.005978', '0.006283']);
    expect(Number(a[10])).toBeGreaterThan(0.005978);
    expect(Number(a[10])).toBeLessThan(0.006283);

    const table = await claw('--history', '1d', '--instance-types', 't4g.small');
    expect(table.stdout.split('\n')[0]).toMatch(/PriceUSD\/mo\s+Min\/hr\(1d\)\s+Mean\/hr\s+Max\/hr$/);
    const json = JSON.parse((await claw('--json', '--history', '1d', '--instance-types', 't4g.small')).stdout);
    expect(json.history).toEqual({ window: '1d', start: expect.any(String), end: expect.any(String) });
    expect(json.prices[0]).toMatchObject({ availabilityZone: 'eu-central-1b', minPerHour: 0.005619, maxPerHour: 0.005734 });
  });

  it('an unknown type and a region not enabled: a warning each, the other rows shown, exit 0', async () => {
    const r = await runClaw(
      ['--sandbox', 'spot', 'prices', '--instance-types', 't4g.small', 'zz9.huge', '--region', 'eu-central-1', '--region', 'us-east-1', '--json'],
      { env: { HOME: home } },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^warning: eu-central-1: unknown instance type zz9\.huge/m);
    expect(r.stderr).toMatch(/^warning: us-east-1: region not enabled for this account.*OptInRequired/m);
    const doc = JSON.parse(r.stdout);
    expect(doc.prices).toHaveLength(3);
    expect(doc.problems.map((p: { kind: string }) => p.kind).sort()).toEqual(['region-not-enabled', 'unknown-instance-type']);
  });

  it('nothing valid is exit 2', async () => {
    const onlyUnknown = await claw('--instance-types', 'zz9.huge');
    expect(onlyUnknown.exitCode).toBe(2);
    expect(onlyUnknown.stderr).toMatch(/unknown instance type zz9\.huge[\s\S]*error: no spot prices/);
    expect(onlyUnknown.stdout).toBe('');
    const otherRegion = await runClaw(['--sandbox', '--region', 'us-west-2', 'spot', 'prices'], { env: { HOME: home } });
    expect(otherRegion.exitCode).toBe(2);
    expect(otherRegion.stderr).toMatch(/us-west-2: region not enabled/);
  });

  it('bad inputs are exit 2 before any call', async () => {
    for (const args of [
      ['--json', '--csv'],
      ['--sort', 'cost'],
      ['--history', 'week'],
      ['--history', '91d'],
      ['--instance-types', 't4g.small;reboot'],
      ['--instance-types', 'T4G'],
    ]) {
      const r = await claw(...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^error: /m);
      expect(r.stdout).toBe('');
    }
    const region = await runClaw(['--sandbox', 'spot', 'prices', '--region', 'eu-central-1', '--region', 'mars-north-1'], { env: { HOME: home } });
    expect(region.exitCode).toBe(2);
    expect(region.stderr).toMatch(/mars-north-1/);
  });
});
