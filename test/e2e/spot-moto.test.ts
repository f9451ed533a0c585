import { describe, expect, inject, it } from 'vitest';
import { runClaw } from '../helpers/claw.js';

// `claw spot prices` from the built binary against moto. moto answers a constant price
// (0.00001, stamped 2006) for every type and AZ in every region: the rows, their shape
// and the multi-region query still show; real prices are covered on the sandbox.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED spot-moto e2e: ${inject('motoSkipReason')}`);

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL: endpoint ?? '', AWS_REGION: 'eu-central-1' };

suite('claw spot prices against moto', () => {
  it('one row per AZ and type, with vCPUs and memory from DescribeInstanceTypes', async () => {
    const r = await runClaw(['spot', 'prices', '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { prices: Record<string, unknown>[] };
    expect(doc.prices).toHaveLength(15);
    expect(doc.prices.find((p) => p.instanceType === 'r7g.medium')).toMatchObject({
      vcpus: 1,
      memoryMiB: 8192,
      pricePerHour: 0.00001,
      pricePerMonth: 0.01,
      timestamp: '2006-01-02T15:04:05.000Z',
    });
    // Constant prices: every AZ ties for the cheapest.
    expect(doc.prices.every((p) => p.cheapest === true)).toBe(true);
  });

  it('several regions at once, sorted by AZ; an unknown type warns', async () => {
    const r = await runClaw(
      ['spot', 'prices', '--region', 'eu-central-1', '--region', 'eu-west-1', '--instance-types', 't4g.small,zz9.huge', '--sort', 'az', '--csv'],
      { env },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: eu-central-1: unknown instance type zz9\.huge/);
    expect(r.stderr).toMatch(/warning: eu-west-1: unknown instance type zz9\.huge/);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(new Set(rows.map((c) => c[0]))).toEqual(new Set(['eu-central-1', 'eu-west-1']));
    const azs = rows.map((c) => c[1]!);
    expect(azs).toEqual([...azs].sort());
    expect(rows.every((c) => c[2] === 't4g.small' && c[5] === '0.000010')).toBe(true);
  });

  it('--history over moto: the constant price held the whole window', async () => {
    const r = await runClaw(['spot', 'prices', '--instance-types', 'm8g.large', '--history', '7d', '--json'], { env });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.prices[0]).toMatchObject({ minPerHour: 0.00001, meanPerHour: 0.00001, maxPerHour: 0.00001 });
  });
});
