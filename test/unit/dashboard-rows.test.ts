import { describe, expect, it } from 'vitest';
import { amiLabel, buildFleetRows, filterRows, nextSortKey, revLabel, SORT_KEYS, sortRows, visibleRows, type SortKey } from '../../src/core/dashboard-rows.js';
import { backupData, fleetData, HEAD, NOW } from '../helpers/dashboard-fixture.js';

const data = fleetData();
const rows = buildFleetRows(data.report, { head: HEAD, pings: new Map(Object.entries(data.pings)), imageOrder: data.imageOrder });
const hosts = (rs: { host: string }[]) => rs.map((r) => r.host);

describe('dashboard rows', () => {
  it('lists registered hosts in registry order, then unregistered instances', () => {
    expect(hosts(rows)).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-scratch']);
    expect(rows.map((r) => r.registered)).toEqual([true, true, true, false]);
    expect(rows[3]).toMatchObject({ key: 'i:i-0d1c3e5a7b9f20c46', state: 'stopped', drift: ['unregistered'], ssm: 'online' });
  });

  it('places the AMI against the tagged ones, unregistered instances included', () => {
    expect(rows.map(amiLabel)).toEqual(['latest', 'latest', '1 behind', '2 behind']);
  });

  it('compares the deployed rev with the repo HEAD only when HEAD is known', () => {
    expect(rows.map(revLabel)).toEqual(['e3b1c5d7 =HEAD', 'e3b1c5d7 =HEAD', '7c2e9a4f !=HEAD', '-']);
    const noHead = buildFleetRows(data.report, { head: null });
    expect(noHead.map(revLabel)).toEqual(['e3b1c5d7', 'e3b1c5d7', '7c2e9a4f', '-']);
  });

  it('marks type drift and carries drift kinds and messages', () => {
    const babel = rows[2]!;
    expect(babel).toMatchObject({ typeDrift: true, instanceType: 't3.medium', desiredInstanceType: 't3.large', ssm: 'connection-lost' });
    expect(babel.drift).toEqual(['instance-type', 'ami-behind']);
    expect(babel.driftMessages[0]).toBe('runs t3.medium, registry wants t3.large');
  });

  it('filters on every word, anywhere in the row, case-insensitively', () => {
    expect(hosts(filterRows(rows, 'BABEL'))).toEqual(['clawdinator-babelfish']);
    expect(hosts(filterRows(rows, 'eu-central-1a behind'))).toEqual(['clawdinator-babelfish', 'clawdinator-scratch']);
    expect(hosts(filterRows(rows, 'unregistered'))).toEqual(['clawdinator-scratch']);
    expect(filterRows(rows, 'nothing-like-this')).toEqual([]);
    expect(filterRows(rows, '   ')).toEqual(rows);
  });

  it('sorts by each column with a total order, and cycles through the columns', () => {
    expect(hosts(sortRows(rows, 'drift'))[0]).toBe('clawdinator-babelfish');
    expect(hosts(sortRows(rows, 'state'))).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-scratch']);
    expect(hosts(sortRows(rows, 'ami'))).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-scratch']);
    expect(hosts(sortRows(rows, 'ssm'))[0]).toBe('clawdinator-babelfish');
    for (const k of SORT_KEYS) expect(sortRows([...rows].reverse(), k)).toEqual(sortRows(rows, k));
    let k: SortKey = SORT_KEYS[0];
    const seen = new Set<string>();
    for (let i = 0; i < SORT_KEYS.length; i++) seen.add((k = nextSortKey(k)));
    expect(seen.size).toBe(SORT_KEYS.length);
    expect(k).toBe('host');
  });

  it("lists the backup stack's OpenClaw hosts last, with their backup freshness as drift", () => {
    const at = (agoMs: number | null) => {
      const b = backupData(agoMs);
      return buildFleetRows(data.report, { head: HEAD, backup: { hosts: b.hosts, latestAt: b.latestAt, now: new Date(NOW) } }).at(-1)!;
    };
    expect(at(10 * 60_000)).toMatchObject({
      key: 'b:i-07e1a3c5b9d2f4068',
      host: 'openclaw-lab',
      kind: 'backup',
      drift: [],
      ami: 'unknown',
      backupAt: new Date(NOW - 600_000).toISOString(),
    });
    expect(at(41 * 60_000).drift).toEqual(['backup-stale']);
    expect(at(41 * 60_000).driftMessages[0]).toMatch(/more than two 20-minute backup runs ago$/);
    expect(at(null)).toMatchObject({ drift: ['no-backup'], backupAt: null });
    expect(rows.every((r) => r.kind !== 'backup')).toBe(true);
  });

  it('filters before sorting', () => {
    expect(hosts(visibleRows(rows, 'clawdinator-', 'drift'))).toEqual(['clawdinator-babelfish', 'clawdinator-scratch', 'clawdinator-1', 'clawdinator-2']);
  });
});
