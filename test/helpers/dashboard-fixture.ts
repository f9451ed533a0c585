import type { BackupData, RefreshResult, FleetData } from '../../src/core/dashboard-types.js';
import { buildStatus, type FleetInstance } from '../../src/core/fleet.js';
import type { HistoryRecord } from '../../src/core/history.js';
import { parseRegistry } from '../../src/core/registry.js';
import { planRetention } from '../../src/core/retention.js';

// A small fleet for the dashboard's tests, built through the same pure functions as
// the real refresh (registry -> buildStatus, planRetention), at a fixed clock.

export const NOW = Date.parse('2026-11-23T12:00:00.000Z');
export const HEAD = 'e3b1c5d7f9a24680bd13579ace02468bdf13579a';
export const OLD = '7c2e9a4f1b3d5e6a8c0f2b4d6e8a0c2e4f6a8b0d';
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const H = 3_600_000;
const D = 24 * H;

export const registry = (hosts: string[]) =>
  parseRegistry(
    JSON.stringify(
      Object.fromEntries(
        hosts.map((h) => [h, { host: h, instanceType: 't3.large', bootstrapPrefix: `bootstrap/${h}`, discordTokenSecret: `clawdinator-discord-token-${h}` }]),
      ),
    ),
    'nix/instances.json',
  );

const images = [
  { imageId: 'ami-0e4b7d2c9a1f35b60', name: 'clawdinator-nixos-20261121080000', creationDate: ago(2 * D) },
  { imageId: 'ami-0a91c3e5f7b2d4086', name: 'clawdinator-nixos-20261114080000', creationDate: ago(9 * D) },
  { imageId: 'ami-07d2f4a6c8e0b1357', name: 'clawdinator-nixos-20261107080000', creationDate: ago(16 * D) },
];

const instance = (id: string, name: string, { tags, ...o }: Partial<FleetInstance> = {}): FleetInstance => ({
  instanceId: id,
  name,
  state: 'running',
  instanceType: 't3.large',
  availabilityZone: 'eu-central-1a',
  imageId: images[0]!.imageId,
  launchTime: ago(2 * D),
  rev: HEAD,
  ...o,
  tags: { app: 'clawdinator', Name: name, 'clawdinator:rev': o.rev ?? HEAD, ...tags },
});

export const INSTANCES: FleetInstance[] = [
  instance('i-0a3f5c9e2b7d41c08', 'clawdinator-1', { tags: { 'clawdinator:deployed-at': ago(3 * H) } }),
  instance('i-0b6e8d1f4a2c73e59', 'clawdinator-2', { availabilityZone: 'eu-central-1b' }),
  instance('i-0c9a2b4d6e8f10a37', 'clawdinator-babelfish', { instanceType: 't3.medium', imageId: images[1]!.imageId, rev: OLD }),
  instance('i-0d1c3e5a7b9f20c46', 'clawdinator-scratch', { state: 'stopped', imageId: images[2]!.imageId, rev: OLD }),
];

export function fleetData(instances: FleetInstance[] = INSTANCES, hosts = ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish']): FleetData {
  const pings = new Map(instances.map((i) => [i.instanceId, i.name === 'clawdinator-babelfish' ? ('connection-lost' as const) : ('online' as const)]));
  const report = buildStatus(registry(hosts), { instances, images, ssm: pings });
  return {
    report,
    pings: Object.fromEntries(pings),
    imageOrder: images.map((i) => i.imageId),
    instances: Object.fromEntries(instances.map((i) => [i.instanceId, { tags: i.tags, launchTime: i.launchTime ?? null }])),
    warnings: [],
  };
}

export const HISTORY: HistoryRecord[] = [
  {
    id: 'a1b2c3d4e5f60718',
    host: 'clawdinator-1',
    instanceId: 'i-0a3f5c9e2b7d41c08',
    rev: HEAD,
    previousRev: OLD,
    startedAt: ago(3 * H + 60_000),
    finishedAt: ago(3 * H),
    who: 'alice@laptop',
    result: 'success',
    detail: 'deploy clawdinator-1: success',
  },
];

export const retention = () =>
  planRetention({
    images: images.map((i) => ({ ...i, snapshots: [{ snapshotId: `snap-${i.imageId.slice(4)}`, sizeGiB: 8 }], preserved: false })),
    inUse: new Map([
      [images[0]!.imageId, ['clawdinator-1']],
      [images[1]!.imageId, ['clawdinator-babelfish']],
    ]),
    keep: 1,
    minAgeMs: undefined,
    latestImageId: images[0]!.imageId,
    now: new Date(NOW),
  });

/** The OpenClaw host of stack lab, its bucket's latest/ last changed `latestAgoMs` ago (null: empty). */
export function backupData(latestAgoMs: number | null = 10 * 60_000): BackupData {
  const host = instance('i-07e1a3c5b9d2f4068', 'openclaw-lab', {
    instanceType: 't4g.medium',
    availabilityZone: 'eu-central-1c',
    imageId: 'ami-0d8f2b4c6e1a3957b',
    rev: undefined,
    tags: { app: 'openclaw', stack: 'lab' },
  });
  delete host.tags['clawdinator:rev'];
  return { stack: 'lab', bucket: 'openclaw-lab-backup-lab-123456789012', hosts: [host], latestAt: latestAgoMs === null ? null : ago(latestAgoMs) };
}

export function goodRefresh(fleet: FleetData = fleetData(), backup?: BackupData): RefreshResult {
  return {
    ...(backup ? { backup: { ok: true as const, value: backup } } : {}),
    fleet: { ok: true, value: fleet },
    retention: { ok: true, value: retention() },
    lock: { ok: true, value: { kind: 'free' } },
    history: { ok: true, value: HISTORY },
    head: { ok: true, value: { rev: HEAD, note: 'HEAD' } },
    account: { ok: true, value: '123456789012' },
  };
}

export function failedRefresh(error: string): RefreshResult {
  const bad = { ok: false as const, error };
  return { fleet: bad, retention: bad, lock: bad, history: bad, head: bad };
}
