import type { Registry } from './registry.js';

// The fleet as it is (EC2) against the fleet as it should be (the registry).

export const ACTIVE_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;

export interface FleetInstance {
  instanceId: string;
  name: string | undefined;
  state: string;
  instanceType: string | undefined;
  availabilityZone: string | undefined;
  imageId: string | undefined;
  launchTime: string | undefined;
  /** The `clawdinator:rev` tag: the git SHA last deployed. */
  rev: string | undefined;
  /** Only while running (EC2 releases it when the instance stops). */
  publicIp?: string | undefined;
  tags: Record<string, string>;
}

/** One instance of a host, as status lists each when a host has several. */
export interface InstanceSummary {
  instanceId: string;
  state: string;
  instanceType: string | null;
  availabilityZone: string | null;
  imageId: string | null;
  launchTime: string | null;
  publicIp: string | null;
  ssmPing: SsmPing;
}

export interface FleetImage {
  imageId: string;
  name: string | undefined;
  creationDate: string;
}

/** An AMI as DescribeImages has it, with its tags and the snapshots behind it. */
export interface TaggedImage extends FleetImage {
  tags: Record<string, string>;
  snapshotIds: string[];
  /** EBS snapshots behind the image, with the volume size each was taken from. */
  snapshots: { snapshotId: string; sizeGiB: number }[];
}

export type SsmPing = 'online' | 'connection-lost' | 'inactive' | 'not-managed' | 'unknown';

export type DriftKind = 'missing-instance' | 'multiple-instances' | 'not-running' | 'instance-type' | 'ami-behind' | 'ami-untracked';

export interface Drift {
  kind: DriftKind;
  message: string;
}

export interface HostStatus {
  host: string;
  instanceId: string | null;
  /** Every active instance named for this host (more than one is drift). */
  instanceIds: string[];
  /** Each of them, newest first (the first is the one the other fields describe). */
  instances: InstanceSummary[];
  publicIp: string | null;
  state: string;
  instanceType: string | null;
  desiredInstanceType: string;
  availabilityZone: string | null;
  imageId: string | null;
  imageIsLatest: boolean | null;
  /** How many tagged AMIs are newer than the one running; null when unknown. */
  imagesBehind: number | null;
  launchTime: string | null;
  rev: string | null;
  ssmPing: SsmPing;
  drift: Drift[];
}

export interface UnregisteredInstance {
  instanceId: string;
  name: string | null;
  state: string;
  instanceType: string | null;
  availabilityZone: string | null;
  imageId: string | null;
  launchTime: string | null;
  publicIp: string | null;
  ssmPing: SsmPing;
}

export interface StatusReport {
  hosts: HostStatus[];
  unregistered: UnregisteredInstance[];
  latestImageId: string | null;
}

export interface FleetSnapshot {
  instances: FleetInstance[];
  /** Tagged AMIs, any order. */
  images: FleetImage[];
  /** Ping per instance id, or 'unavailable' when SSM could not be asked. */
  ssm: Map<string, SsmPing> | 'unavailable';
}

const isActive = (i: FleetInstance) => (ACTIVE_STATES as readonly string[]).includes(i.state);

/** Tagged images newest first (ties broken by id, so the order is total). */
export function sortImagesNewestFirst<T extends FleetImage>(images: readonly T[]): T[] {
  return [...images].sort((a, b) => b.creationDate.localeCompare(a.creationDate) || a.imageId.localeCompare(b.imageId));
}

export function latestImage<T extends FleetImage>(images: readonly T[]): T | undefined {
  return sortImagesNewestFirst(images)[0];
}

function ping(snapshot: FleetSnapshot, instanceId: string): SsmPing {
  if (snapshot.ssm === 'unavailable') return 'unknown';
  return snapshot.ssm.get(instanceId) ?? 'not-managed';
}

const summary = (i: FleetInstance, snapshot: FleetSnapshot): InstanceSummary => ({
  instanceId: i.instanceId,
  state: i.state,
  instanceType: i.instanceType ?? null,
  availabilityZone: i.availabilityZone ?? null,
  imageId: i.imageId ?? null,
  launchTime: i.launchTime ?? null,
  publicIp: i.publicIp ?? null,
  ssmPing: ping(snapshot, i.instanceId),
});

export function buildStatus(registry: Registry, snapshot: FleetSnapshot): StatusReport {
  const ordered = sortImagesNewestFirst(snapshot.images);
  const latest = ordered[0]?.imageId ?? null;
  const active = snapshot.instances.filter(isActive);
  const registered = new Set(registry.hosts.map((h) => h.host));

  const hosts = registry.hosts.map((entry): HostStatus => {
    const mine = active
      .filter((i) => i.name === entry.host)
      .sort((a, b) => (b.launchTime ?? '').localeCompare(a.launchTime ?? '') || a.instanceId.localeCompare(b.instanceId));
    const drift: Drift[] = [];
    const inst = mine[0];
    if (!inst) {
      drift.push({ kind: 'missing-instance', message: `no instance tagged Name=${entry.host}` });
      return {
        host: entry.host,
        instanceId: null,
        instanceIds: [],
        instances: [],
        publicIp: null,
        state: 'missing',
        instanceType: null,
        desiredInstanceType: entry.instanceType,
        availabilityZone: null,
        imageId: null,
        imageIsLatest: null,
        imagesBehind: null,
        launchTime: null,
        rev: null,
        ssmPing: 'unknown',
        drift,
      };
    }
    if (mine.length > 1) {
      drift.push({ kind: 'multiple-instances', message: `${mine.length} instances: ${mine.map((i) => i.instanceId).join(', ')}` });
    }
    if (inst.state !== 'running') drift.push({ kind: 'not-running', message: `instance is ${inst.state}` });
    if (inst.instanceType !== entry.instanceType) {
      drift.push({ kind: 'instance-type', message: `runs ${inst.instanceType ?? '?'}, registry wants ${entry.instanceType}` });
    }
    let imageIsLatest: boolean | null = null;
    let imagesBehind: number | null = null;
    if (latest && inst.imageId) {
      const idx = ordered.findIndex((img) => img.imageId === inst.imageId);
      imageIsLatest = idx === 0;
      if (idx > 0) {
        imagesBehind = idx;
        drift.push({ kind: 'ami-behind', message: `AMI ${inst.imageId} is ${idx} behind latest ${latest}` });
      } else if (idx < 0) {
        drift.push({ kind: 'ami-untracked', message: `AMI ${inst.imageId} is not a tagged clawdinator AMI` });
      } else {
        imagesBehind = 0;
      }
    }
    return {
      host: entry.host,
      instanceId: inst.instanceId,
      instanceIds: mine.map((i) => i.instanceId),
      instances: mine.map((i) => summary(i, snapshot)),
      publicIp: inst.publicIp ?? null,
      state: inst.state,
      instanceType: inst.instanceType ?? null,
      desiredInstanceType: entry.instanceType,
      availabilityZone: inst.availabilityZone ?? null,
      imageId: inst.imageId ?? null,
      imageIsLatest,
      imagesBehind,
      launchTime: inst.launchTime ?? null,
      rev: inst.rev ?? null,
      ssmPing: ping(snapshot, inst.instanceId),
      drift,
    };
  });

  const unregistered = active
    .filter((i) => i.name === undefined || !registered.has(i.name))
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.instanceId.localeCompare(b.instanceId))
    .map((i) => {
      const { instanceId, ...rest } = summary(i, snapshot);
      return { instanceId, name: i.name ?? null, ...rest };
    });

  return { hosts, unregistered, latestImageId: latest };
}
