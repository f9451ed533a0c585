import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildStatus, latestImage, type FleetImage, type FleetInstance, type FleetSnapshot } from '../../src/core/fleet.js';
import type { Registry } from '../../src/core/registry.js';

const reg = (...hosts: [string, string][]): Registry => ({
  file: 'nix/instances.json',
  hosts: hosts.map(([host, instanceType]) => ({ id: host, host, instanceType, bootstrapPrefix: `bootstrap/${host}`, discordTokenSecret: `t-${host}` })),
});
const inst = (id: string, name: string | undefined, over: Partial<FleetInstance> = {}): FleetInstance => ({
  instanceId: id,
  name,
  state: 'running',
  instanceType: 't3.large',
  availabilityZone: 'eu-central-1a',
  imageId: 'ami-new',
  launchTime: '2026-11-01T00:00:00.000Z',
  rev: 'a'.repeat(40),
  tags: {},
  ...over,
});
const images: FleetImage[] = [
  { imageId: 'ami-old', name: 'old', creationDate: '2026-10-01T00:00:00.000Z' },
  { imageId: 'ami-new', name: 'new', creationDate: '2026-11-20T00:00:00.000Z' },
  { imageId: 'ami-mid', name: 'mid', creationDate: '2026-11-01T00:00:00.000Z' },
];
const snap = (instances: FleetInstance[], over: Partial<FleetSnapshot> = {}): FleetSnapshot => ({
  instances,
  images,
  ssm: new Map(instances.map((i) => [i.instanceId, 'online' as const])),
  ...over,
});

describe('buildStatus', () => {
  it('joins instances to the registry by Name and reports no drift when all is as it should be', () => {
    const r = buildStatus(reg(['h1', 't3.large']), snap([inst('i-1', 'h1')]));
    expect(r.latestImageId).toBe('ami-new');
    expect(r.hosts).toEqual([
      {
        host: 'h1',
        instanceId: 'i-1',
        instanceIds: ['i-1'],
        state: 'running',
        instanceType: 't3.large',
        desiredInstanceType: 't3.large',
        availabilityZone: 'eu-central-1a',
        imageId: 'ami-new',
        imageIsLatest: true,
        imagesBehind: 0,
        launchTime: '2026-11-01T00:00:00.000Z',
        rev: 'a'.repeat(40),
        ssmPing: 'online',
        drift: [],
        publicIp: null,
        instances: [
          {
            instanceId: 'i-1',
            state: 'running',
            instanceType: 't3.large',
            availabilityZone: 'eu-central-1a',
            imageId: 'ami-new',
            launchTime: '2026-11-01T00:00:00.000Z',
            publicIp: null,
            ssmPing: 'online',
          },
        ],
      },
    ]);
    expect(r.unregistered).toEqual([]);
  });

  it('calls out a missing instance', () => {
    const r = buildStatus(reg(['h1', 't3.large']), snap([inst('i-9', 'h1', { state: 'terminated' })]));
    expect(r.hosts[0]).toMatchObject({ state: 'missing', instanceId: null, drift: [{ kind: 'missing-instance' }] });
  });

  it('calls out several instances for one host, showing the newest', () => {
    const r = buildStatus(
      reg(['h1', 't3.large']),
      snap([inst('i-a', 'h1', { launchTime: '2026-10-01T00:00:00.000Z' }), inst('i-b', 'h1', { launchTime: '2026-11-02T00:00:00.000Z' })]),
    );
    expect(r.hosts[0]!.instanceId).toBe('i-b');
    expect(r.hosts[0]!.instanceIds).toEqual(['i-b', 'i-a']);
    expect(r.hosts[0]!.instances.map((i) => [i.instanceId, i.launchTime])).toEqual([
      ['i-b', '2026-11-02T00:00:00.000Z'],
      ['i-a', '2026-10-01T00:00:00.000Z'],
    ]);
    expect(r.hosts[0]!.drift).toEqual([{ kind: 'multiple-instances', message: '2 instances: i-b, i-a' }]);
  });

  it('calls out a differing instance type, a stopped instance, and how far behind the AMI is', () => {
    const r = buildStatus(reg(['h1', 't3.medium']), snap([inst('i-1', 'h1', { imageId: 'ami-old', state: 'stopped' })]));
    expect(r.hosts[0]!.imageIsLatest).toBe(false);
    expect(r.hosts[0]!.imagesBehind).toBe(2);
    expect(r.hosts[0]!.drift.map((d) => d.kind)).toEqual(['not-running', 'instance-type', 'ami-behind']);
    expect(r.hosts[0]!.drift[1]!.message).toBe('runs t3.large, registry wants t3.medium');
    expect(r.hosts[0]!.drift[2]!.message).toBe('AMI ami-old is 2 behind latest ami-new');
  });

  it('flags an AMI that is not tagged, and makes no AMI claim when no tagged AMI exists', () => {
    const untracked = buildStatus(reg(['h1', 't3.large']), snap([inst('i-1', 'h1', { imageId: 'ami-foreign' })]));
    expect(untracked.hosts[0]).toMatchObject({ imageIsLatest: false, imagesBehind: null, drift: [{ kind: 'ami-untracked' }] });
    const none = buildStatus(reg(['h1', 't3.large']), snap([inst('i-1', 'h1')], { images: [] }));
    expect(none.latestImageId).toBeNull();
    expect(none.hosts[0]).toMatchObject({ imageIsLatest: null, drift: [] });
  });

  it('lists tagged instances missing from the registry as unregistered', () => {
    const r = buildStatus(reg(['h1', 't3.large']), snap([inst('i-1', 'h1'), inst('i-2', 'scratch', { state: 'stopped' }), inst('i-3', undefined)]));
    expect(r.unregistered.map((u) => [u.name, u.instanceId])).toEqual([
      [null, 'i-3'],
      ['scratch', 'i-2'],
    ]);
  });

  it('reports the SSM ping as unknown when SSM could not be asked, and not-managed when absent', () => {
    expect(buildStatus(reg(['h1', 't3.large']), snap([inst('i-1', 'h1')], { ssm: 'unavailable' })).hosts[0]!.ssmPing).toBe('unknown');
    expect(buildStatus(reg(['h1', 't3.large']), snap([inst('i-1', 'h1')], { ssm: new Map() })).hosts[0]!.ssmPing).toBe('not-managed');
  });

  it('latestImage is the newest creation date', () => {
    expect(latestImage(images)?.imageId).toBe('ami-new');
    expect(latestImage([])).toBeUndefined();
  });

  it('accounts for every active instance exactly once, in registry order', () => {
    const name = fc.constantFrom('h1', 'h2', 'h3', 'x', undefined);
    const state = fc.constantFrom('pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated');
    const instances = fc.uniqueArray(fc.record({ id: fc.stringMatching(/^i-[0-9a-f]{8}$/), name, state }), { selector: (i) => i.id, maxLength: 12 });
    fc.assert(
      fc.property(instances, (list) => {
        const registry = reg(['h2', 't3.large'], ['h1', 't3.large'], ['h3', 't3.large']);
        const r = buildStatus(registry, snap(list.map((i) => inst(i.id, i.name, { state: i.state }))));
        expect(r.hosts.map((h) => h.host)).toEqual(['h2', 'h1', 'h3']);
        const active = list
          .filter((i) => ['pending', 'running', 'stopping', 'stopped'].includes(i.state))
          .map((i) => i.id)
          .sort();
        const shown = [...r.hosts.flatMap((h) => h.instanceIds), ...r.unregistered.map((u) => u.instanceId)].sort();
        expect(shown).toEqual(active);
        for (const h of r.hosts) expect(h.drift.some((d) => d.kind === 'missing-instance')).toBe(h.instanceIds.length === 0);
      }),
    );
  });
});
