import { DEFAULT_FAILURE_MESSAGE } from './ec2-import.js';
import { newId } from './ids.js';
import type { ImageStateName } from './state.js';
import { liveState, type SandboxWorld } from './world.js';

// SandboxAdmin's side of AMIs, snapshots and VM import: images and snapshots as they
// would be after earlier builds, and the account's conditions an import depends on.

export interface RegisterImageOptions {
  name: string;
  tags?: Record<string, string>;
  snapshotTags?: Record<string, string>;
  /** Register on this existing snapshot (shared with the images already using it) instead of a new one. */
  snapshotId?: string;
  /** Defaults to the sandbox account (an image owned by `self`). */
  ownerId?: string;
  ownerAlias?: string;
  public?: boolean;
  state?: ImageStateName;
  creationDate?: Date;
  volumeSize?: number;
  architecture?: string;
}

export interface CreateSnapshotOptions {
  volumeSize?: number;
  tags?: Record<string, string>;
  startTime?: Date;
  description?: string;
}

export interface FailNextImportOptions {
  /** The task's end state; AWS uses `deleted` for failed imports. Default `deleted`. */
  status?: 'deleted' | 'error';
  /** The task's StatusMessage. Default: a disk validation failure as AWS words it. */
  message?: string;
}

export interface ImageAdmin {
  registerImage(opts: RegisterImageOptions): Promise<{ imageId: string; snapshotId: string }>;
  /** A snapshot of the account that no image uses (say, one an interrupted prune left behind). */
  createSnapshot(opts?: CreateSnapshotOptions): Promise<string>;
  /** The next ImportSnapshot task (one per call, in order) ends in `status` with `message` instead of completing. */
  failNextImport(opts?: FailNextImportOptions): Promise<void>;
  /** Add an IAM role (the sandbox account has `vmimport` from the start). */
  createRole(name: string): Promise<void>;
  /** Remove an IAM role: ImportSnapshot with it fails as on AWS. */
  deleteRole(name: string): Promise<void>;
}

export function createImageAdmin(world: SandboxWorld): ImageAdmin {
  const state = liveState(world);
  return {
    async registerImage(opts) {
      const imageId = newId('ami');
      const created = opts.creationDate ?? world.now();
      const ownerId = opts.ownerId ?? state.accountId;
      let snapshotId = opts.snapshotId;
      let volumeSize = opts.volumeSize ?? 8;
      if (snapshotId !== undefined) {
        const shared = state.snapshots.find((s) => s.snapshotId === snapshotId);
        if (!shared) throw new Error(`sandbox admin: no snapshot ${snapshotId}`);
        volumeSize = opts.volumeSize ?? shared.volumeSize;
        Object.assign(shared.tags, opts.snapshotTags);
      } else {
        snapshotId = newId('snap');
        state.snapshots.push({
          snapshotId,
          ownerId,
          volumeSize,
          startTime: created.toISOString(),
          state: 'completed',
          tags: { ...opts.snapshotTags },
        });
      }
      state.images.push({
        imageId,
        ownerId,
        ...(opts.ownerAlias !== undefined && { ownerAlias: opts.ownerAlias }),
        name: opts.name,
        state: opts.state ?? 'available',
        creationDate: created.toISOString(),
        public: opts.public ?? false,
        architecture: opts.architecture ?? 'x86_64',
        rootDeviceName: '/dev/xvda',
        bootMode: 'legacy-bios',
        virtualizationType: 'hvm',
        enaSupport: true,
        blockDeviceMappings: [{ deviceName: '/dev/xvda', snapshotId, volumeSize, deleteOnTermination: true, volumeType: 'gp3' }],
        tags: { ...opts.tags },
      });
      await world.persist();
      return { imageId, snapshotId };
    },

    async createSnapshot(opts = {}) {
      const snapshotId = newId('snap');
      state.snapshots.push({
        snapshotId,
        ownerId: state.accountId,
        volumeSize: opts.volumeSize ?? 8,
        startTime: (opts.startTime ?? world.now()).toISOString(),
        state: 'completed',
        ...(opts.description !== undefined && { description: opts.description }),
        tags: { ...opts.tags },
      });
      await world.persist();
      return snapshotId;
    },

    async failNextImport(opts = {}) {
      state.importFailures.push({ status: opts.status ?? 'deleted', message: opts.message ?? DEFAULT_FAILURE_MESSAGE });
      await world.persist();
    },

    async createRole(name) {
      if (!state.iamRoles.includes(name)) state.iamRoles.push(name);
      await world.persist();
    },

    async deleteRole(name) {
      state.iamRoles = state.iamRoles.filter((r) => r !== name);
      await world.persist();
    },
  };
}
