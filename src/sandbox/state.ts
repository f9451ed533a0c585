import { z } from 'zod';

// The persisted shape of the simulated account (`<home>/sandbox/state.json`). Times are
// absolute ISO strings here; the fixture's relative times are resolved once, at seeding.

export const STATE_VERSION = 1;

const isoTime = z.iso.datetime();
const tags = z.record(z.string(), z.string());

export const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
export type InstanceStateName = (typeof INSTANCE_STATES)[number];

/** EC2's numeric state codes (the low byte of `State.Code`). */
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const IMAGE_STATES = ['pending', 'available', 'failed'] as const;
export type ImageStateName = (typeof IMAGE_STATES)[number];

export const PING_STATUSES = ['Online', 'ConnectionLost', 'Inactive'] as const;
export type PingStatusName = (typeof PING_STATUSES)[number];

export const instanceRecord = z.strictObject({
  instanceId: z.string(),
  reservationId: z.string(),
  imageId: z.string(),
  instanceType: z.string(),
  state: z.enum(INSTANCE_STATES),
  availabilityZone: z.string(),
  launchTime: isoTime,
  privateIpAddress: z.string().optional(),
  tags,
});
export type InstanceRecord = z.infer<typeof instanceRecord>;

export const blockDeviceRecord = z.strictObject({
  deviceName: z.string(),
  snapshotId: z.string(),
  volumeSize: z.number().int().positive(),
  deleteOnTermination: z.boolean(),
});

export const imageRecord = z.strictObject({
  imageId: z.string(),
  ownerId: z.string(),
  ownerAlias: z.string().optional(),
  name: z.string(),
  description: z.string().optional(),
  state: z.enum(IMAGE_STATES),
  creationDate: isoTime,
  public: z.boolean(),
  architecture: z.string(),
  rootDeviceName: z.string(),
  bootMode: z.string().optional(),
  blockDeviceMappings: z.array(blockDeviceRecord),
  tags,
});
export type ImageRecord = z.infer<typeof imageRecord>;

export const snapshotRecord = z.strictObject({
  snapshotId: z.string(),
  ownerId: z.string(),
  volumeSize: z.number().int().positive(),
  startTime: isoTime,
  description: z.string().optional(),
  tags,
});
export type SnapshotRecord = z.infer<typeof snapshotRecord>;

export const objectRecord = z.strictObject({
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  etag: z.string(),
  lastModified: isoTime,
  /** The content, when the object has a real body (putObject, small seed files). */
  bodyBase64: z.string().optional(),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type ObjectRecord = z.infer<typeof objectRecord>;

export const bucketRecord = z.strictObject({
  name: z.string(),
  region: z.string(),
  creationDate: isoTime,
  objects: z.array(objectRecord),
  /** Keys whose deletion fails (AccessDenied etc.), set by tests through SandboxAdmin. */
  deleteErrors: z.record(z.string(), z.strictObject({ code: z.string(), message: z.string() })).optional(),
});
export type BucketRecord = z.infer<typeof bucketRecord>;

export const managedInstanceRecord = z.strictObject({
  instanceId: z.string(),
  pingStatus: z.enum(PING_STATUSES),
  lastPingDateTime: isoTime,
  agentVersion: z.string(),
  isLatestVersion: z.boolean(),
  platformType: z.string(),
  platformName: z.string(),
  platformVersion: z.string(),
  computerName: z.string(),
  ipAddress: z.string().optional(),
});
export type ManagedInstanceRecord = z.infer<typeof managedInstanceRecord>;

export const spotPriceRecord = z.strictObject({
  instanceType: z.string(),
  availabilityZone: z.string(),
  productDescription: z.string(),
  spotPrice: z.string().regex(/^\d+\.\d+$/),
  timestamp: isoTime,
});
export type SpotPriceRecord = z.infer<typeof spotPriceRecord>;

export const instanceTypeRecord = z.strictObject({
  instanceType: z.string(),
  vCpus: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  architecture: z.string().optional(),
});
export type InstanceTypeRecord = z.infer<typeof instanceTypeRecord>;

export const sandboxState = z.strictObject({
  version: z.literal(STATE_VERSION),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string(),
  seededAt: isoTime,
  instances: z.array(instanceRecord),
  images: z.array(imageRecord),
  snapshots: z.array(snapshotRecord),
  buckets: z.array(bucketRecord),
  managedInstances: z.array(managedInstanceRecord),
  spotPrices: z.array(spotPriceRecord),
  instanceTypes: z.array(instanceTypeRecord),
});
export type SandboxState = z.infer<typeof sandboxState>;
