import { BUCKET_RE } from '../core/patterns.js';
import { createHostAdmin, type HostAdmin } from './admin-hosts.js';
import { createImageAdmin, type ImageAdmin } from './admin-images.js';
import { etagOf, newId, syntheticEtag } from './ids.js';
import { generatedEtag } from './s3-content.js';
import type { InstanceStateName, InstanceTypeRecord, ManagedInstanceRecord, ObjectRecord, PingStatusName, SandboxState, SpotPriceRecord } from './state.js';
import { liveState, type SandboxWorld } from './world.js';

// Operations on the simulated account that claw itself never calls (the account's
// side of the world): used by tests and by `claw sandbox` to set up scenarios. Every
// mutation is persisted before the promise resolves.

export interface RunInstanceOptions {
  imageId: string;
  instanceType: string;
  availabilityZone?: string;
  state?: InstanceStateName;
  launchTime?: Date;
  tags?: Record<string, string>;
  privateIpAddress?: string;
  publicIpAddress?: string;
}

export interface RegisterManagedInstanceOptions {
  instanceId: string;
  pingStatus: PingStatusName;
  lastPingDateTime?: Date;
  computerName?: string;
  platformName?: string;
  platformVersion?: string;
  agentVersion?: string;
  ipAddress?: string;
}

/** A body; `{size}` alone: size only (never read back); `{size, seed}`: generated content (s3-content.ts). */
export type SeedBody = string | Uint8Array | { size: number; seed?: string };

export interface SandboxAdmin extends ImageAdmin, HostAdmin {
  /** A deep copy of the whole state, for assertions. */
  state(): SandboxState;
  runInstance(opts: RunInstanceOptions): Promise<string>;
  setInstanceState(instanceId: string, state: InstanceStateName): Promise<void>;
  /** Change an instance's type in place (as a stop, modify, start would). */
  setInstanceType(instanceId: string, instanceType: string): Promise<void>;
  /** Add or replace tags on an instance, image or snapshot. */
  tagResource(resourceId: string, tags: Record<string, string>): Promise<void>;
  createBucket(name: string, opts?: { region?: string; creationDate?: Date }): Promise<void>;
  /** Put an object with a chosen LastModified (putObject on the client stamps "now"). */
  putObject(bucket: string, key: string, body: SeedBody, opts?: { lastModified?: Date }): Promise<void>;
  /** Make DeleteObjects report an error for this key instead of deleting it. */
  failDeletes(bucket: string, key: string, code?: string, message?: string): Promise<void>;
  registerManagedInstance(opts: RegisterManagedInstanceOptions): Promise<void>;
  setPingStatus(instanceId: string, pingStatus: PingStatusName, lastPingDateTime?: Date): Promise<void>;
  spotPrices(): SpotPriceRecord[];
  instanceTypes(): InstanceTypeRecord[];
}

export function createAdmin(world: SandboxWorld): SandboxAdmin {
  const state = liveState(world);
  const bucket = (name: string) => {
    const b = state.buckets.find((x) => x.name === name);
    if (!b) throw new Error(`sandbox admin: no bucket ${name}`);
    return b;
  };
  const instance = (id: string) => {
    const i = state.instances.find((x) => x.instanceId === id);
    if (!i) throw new Error(`sandbox admin: no instance ${id}`);
    return i;
  };

  return {
    ...createImageAdmin(world),
    ...createHostAdmin(world),
    state: () => structuredClone(world.state),

    async runInstance(opts) {
      const instanceId = newId('i');
      state.instances.push({
        instanceId,
        reservationId: newId('r'),
        imageId: opts.imageId,
        instanceType: opts.instanceType,
        state: opts.state ?? 'running',
        availabilityZone: opts.availabilityZone ?? `${state.region}a`,
        launchTime: (opts.launchTime ?? world.now()).toISOString(),
        ...(opts.privateIpAddress !== undefined && { privateIpAddress: opts.privateIpAddress }),
        ...(opts.publicIpAddress !== undefined && { publicIpAddress: opts.publicIpAddress }),
        tags: { ...opts.tags },
      });
      await world.persist();
      return instanceId;
    },

    async setInstanceState(instanceId, next) {
      instance(instanceId).state = next;
      await world.persist();
    },

    async setInstanceType(instanceId, instanceType) {
      instance(instanceId).instanceType = instanceType;
      await world.persist();
    },

    async tagResource(resourceId, tags) {
      const target =
        state.instances.find((i) => i.instanceId === resourceId) ??
        state.images.find((i) => i.imageId === resourceId) ??
        state.snapshots.find((s) => s.snapshotId === resourceId);
      if (!target) throw new Error(`sandbox admin: no instance, image or snapshot ${resourceId}`);
      Object.assign(target.tags, tags);
      await world.persist();
    },

    async createBucket(name, opts = {}) {
      if (!BUCKET_RE.test(name)) throw new Error(`sandbox admin: invalid bucket name ${name}`);
      if (state.buckets.some((b) => b.name === name)) throw new Error(`sandbox admin: bucket ${name} exists`);
      state.buckets.push({
        name,
        region: opts.region ?? state.region,
        creationDate: (opts.creationDate ?? world.now()).toISOString(),
        objects: [],
      });
      await world.persist();
    },

    async putObject(bucketName, key, body, opts = {}) {
      const b = bucket(bucketName);
      const lastModified = (opts.lastModified ?? world.now()).toISOString();
      const record: ObjectRecord =
        typeof body === 'object' && !(body instanceof Uint8Array)
          ? body.seed !== undefined
            ? { key, size: body.size, etag: generatedEtag(body.seed, 0, body.size), lastModified, generated: { seed: body.seed } }
            : { key, size: body.size, etag: syntheticEtag(key, body.size), lastModified }
          : (() => {
              const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
              return { key, size: bytes.length, etag: etagOf(bytes), lastModified, bodyBase64: Buffer.from(bytes).toString('base64') };
            })();
      b.objects = [...b.objects.filter((o) => o.key !== key), record];
      await world.persist();
    },

    async failDeletes(bucketName, key, code = 'AccessDenied', message = 'Access Denied') {
      const b = bucket(bucketName);
      b.deleteErrors = { ...b.deleteErrors, [key]: { code, message } };
      await world.persist();
    },

    async registerManagedInstance(opts) {
      const record: ManagedInstanceRecord = {
        instanceId: opts.instanceId,
        pingStatus: opts.pingStatus,
        lastPingDateTime: (opts.lastPingDateTime ?? world.now()).toISOString(),
        agentVersion: opts.agentVersion ?? '3.3.1142.0',
        isLatestVersion: true,
        platformType: 'Linux',
        platformName: opts.platformName ?? 'NixOS',
        platformVersion: opts.platformVersion ?? '25.11',
        computerName: opts.computerName ?? opts.instanceId,
        ...(opts.ipAddress !== undefined && { ipAddress: opts.ipAddress }),
      };
      state.managedInstances = [...state.managedInstances.filter((m) => m.instanceId !== opts.instanceId), record];
      await world.persist();
    },

    async setPingStatus(instanceId, pingStatus, lastPingDateTime) {
      const m = state.managedInstances.find((x) => x.instanceId === instanceId);
      if (!m) throw new Error(`sandbox admin: ${instanceId} is not a managed instance`);
      m.pingStatus = pingStatus;
      if (lastPingDateTime) m.lastPingDateTime = lastPingDateTime.toISOString();
      await world.persist();
    },

    spotPrices: () => structuredClone(state.spotPrices),
    instanceTypes: () => structuredClone(state.instanceTypes),
  };
}
