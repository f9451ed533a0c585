import { z } from 'zod';
import { stackRecord } from './state-cloudformation.js';
import { commandRecord, hostRecord } from './state-ssm.js';

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
  /** Released while the instance is stopped, as EC2 does: only answered for a running one. */
  publicIpAddress: z.string().optional(),
  tags,
});
export type InstanceRecord = z.infer<typeof instanceRecord>;

export const blockDeviceRecord = z.strictObject({
  deviceName: z.string(),
  snapshotId: z.string(),
  volumeSize: z.number().int().positive(),
  deleteOnTermination: z.boolean(),
  /** Absent in states written before RegisterImage was simulated: gp3. */
  volumeType: z.string().optional(),
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
  /** Absent in older states: hvm with ENA, like every image claw builds. */
  virtualizationType: z.string().optional(),
  enaSupport: z.boolean().optional(),
  blockDeviceMappings: z.array(blockDeviceRecord),
  tags,
});
export type ImageRecord = z.infer<typeof imageRecord>;

export const SNAPSHOT_STATES = ['pending', 'completed', 'error'] as const;

export const snapshotRecord = z.strictObject({
  snapshotId: z.string(),
  ownerId: z.string(),
  volumeSize: z.number().int().positive(),
  startTime: isoTime,
  state: z.enum(SNAPSHOT_STATES).default('completed'),
  description: z.string().optional(),
  tags,
});
export type SnapshotRecord = z.infer<typeof snapshotRecord>;

/** An image that was deregistered: a second DeregisterImage says Unavailable, not NotFound. */
export const deregisteredImageRecord = z.strictObject({ imageId: z.string(), at: isoTime });

export const IMPORT_FORMATS = ['RAW', 'VHD', 'VMDK'] as const;
/** AWS passes through `deleting` on the way to `deleted`; the sandbox goes straight there. */
export const IMPORT_STATUSES = ['active', 'completed', 'deleted', 'error'] as const;
export type ImportStatusName = (typeof IMPORT_STATUSES)[number];

export const importFailure = z.strictObject({
  status: z.enum(['deleted', 'error']),
  message: z.string(),
});
export type ImportFailure = z.infer<typeof importFailure>;

export const importTaskRecord = z.strictObject({
  importTaskId: z.string(),
  clientToken: z.string().optional(),
  description: z.string().optional(),
  diskDescription: z.string().optional(),
  format: z.enum(IMPORT_FORMATS),
  s3Bucket: z.string(),
  s3Key: z.string(),
  roleName: z.string(),
  /** How many DescribeImportSnapshotTasks calls have seen it: its progress. */
  step: z.number().int().nonnegative(),
  status: z.enum(IMPORT_STATUSES),
  progress: z.string().optional(),
  statusMessage: z.string().optional(),
  diskImageSize: z.number().nonnegative(),
  snapshotId: z.string().optional(),
  /** Decided when the task starts (a missing object, an injected failure). */
  failure: importFailure.optional(),
  createdAt: isoTime,
  tags,
});
export type ImportTaskRecord = z.infer<typeof importTaskRecord>;

export const objectRecord = z.strictObject({
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  etag: z.string(),
  lastModified: isoTime,
  /** The content, when the object has a real body (putObject, small seed files). */
  bodyBase64: z.string().optional(),
  /** Generated content instead of a body: `size` bytes of the seed's stream from `offset` (s3-content.ts). */
  generated: z.strictObject({ seed: z.string(), offset: z.number().int().nonnegative().optional() }).optional(),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type ObjectRecord = z.infer<typeof objectRecord>;

/** The lifecycle rule shapes the sandbox models (see s3-lifecycle.ts). */
export const lifecycleRuleRecord = z.strictObject({
  id: z.string(),
  status: z.enum(['Enabled', 'Disabled']),
  /** The Filter's prefix; null for an empty `Filter: {}`. */
  prefix: z.string().nullable(),
  expirationDays: z.number().int().positive().optional(),
  noncurrentDays: z.number().int().positive().optional(),
  abortIncompleteDays: z.number().int().positive().optional(),
});
export type LifecycleRuleRecord = z.infer<typeof lifecycleRuleRecord>;

/** A part of a multipart upload in progress (UploadPartCopy), with its content like an object's. */
export const uploadPartRecord = z.strictObject({
  partNumber: z.number().int().min(1).max(10_000),
  etag: z.string(),
  size: z.number().int().nonnegative(),
  lastModified: isoTime,
  bodyBase64: z.string().optional(),
  generated: objectRecord.shape.generated,
});
export type UploadPartRecord = z.infer<typeof uploadPartRecord>;

/** CreateMultipartUpload until Complete or Abort. */
export const multipartUploadRecord = z.strictObject({
  uploadId: z.string(),
  bucket: z.string(),
  key: z.string(),
  initiated: isoTime,
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  parts: z.array(uploadPartRecord),
});
export type MultipartUploadRecord = z.infer<typeof multipartUploadRecord>;

export const bucketRecord = z.strictObject({
  name: z.string(),
  region: z.string(),
  creationDate: isoTime,
  objects: z.array(objectRecord),
  /** Keys whose deletion fails (AccessDenied etc.), set by tests through SandboxAdmin. */
  deleteErrors: z.record(z.string(), z.strictObject({ code: z.string(), message: z.string() })).optional(),
  /** Absent: the bucket has no lifecycle configuration. */
  lifecycleRules: z.array(lifecycleRuleRecord).optional(),
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
  // The fields below arrived with the AMI lane; defaults keep older state files readable.
  deregisteredImages: z.array(deregisteredImageRecord).default([]),
  importTasks: z.array(importTaskRecord).default([]),
  /** What the next ImportSnapshot tasks will do instead of completing (SandboxAdmin.failNextImport). */
  importFailures: z.array(importFailure).default([]),
  /** IAM roles of the account, as far as VM import cares (ImportSnapshot's RoleName). */
  iamRoles: z.array(z.string()).default(['vmimport']),
  buckets: z.array(bucketRecord),
  /** Multipart uploads started and not yet completed or aborted (server-side copies). */
  multipartUploads: z.array(multipartUploadRecord).default([]),
  managedInstances: z.array(managedInstanceRecord),
  // Run Command (the deploy lane); defaults keep older state files readable.
  /** The simulated host behind each managed instance (created on first use when absent). */
  hosts: z.array(hostRecord).default([]),
  /** What a host's NixOS config gives the simulated host behind a new instance, by its Name tag (an OpenClaw host's backup bucket). */
  hostProfiles: z.record(z.string(), z.strictObject({ backupBucket: z.string().optional() })).default({}),
  /** Hosts outside the account, reached over ssh (a runbook's old host); each is a simulated host like those behind SSM. */
  sshHosts: z.array(z.strictObject({ name: z.string(), host: hostRecord })).default([]),
  /** Commands sent with SendCommand, with their invocations. */
  ssmCommands: z.array(commandRecord).default([]),
  spotPrices: z.array(spotPriceRecord),
  instanceTypes: z.array(instanceTypeRecord),
  /** CloudFormation stacks (claw doctor stacks); the default keeps older state files readable. */
  stacks: z.array(stackRecord).default([]),
});
export type SandboxState = z.infer<typeof sandboxState>;
