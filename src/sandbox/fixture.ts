import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { describeIssue, parseJsonText } from '../core/json-text.js';
import { cloudformationFile, type SeedCloudFormation } from './seed-cloudformation.js';
import { IMAGE_STATES, INSTANCE_STATES, PING_STATUSES } from './state.js';
import { AGO_RE } from './time.js';

// The seed as written in fixtures/sandbox/: one JSON file per service. Every time is
// relative ("ago": "3d") so a freshly seeded sandbox always looks current; names may
// use {stamp} (the AMI name stamp of the resolved time) and tags may use {name} and
// {sourceKey} (the key of the image's uploaded source object).

const ago = z.string().regex(AGO_RE, 'expected a relative time like 3d, 2h30m, 10m');
const tags = z.record(z.string(), z.string());

const accountFile = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string(),
});

const imageEntry = z.strictObject({
  imageId: z.string(),
  name: z.string(),
  ago,
  ownerId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  ownerAlias: z.string().optional(),
  public: z.boolean().optional(),
  description: z.string().optional(),
  state: z.enum(IMAGE_STATES).optional(),
  architecture: z.string().optional(),
  bootMode: z.string().optional(),
  tags: tags.optional(),
  /**
   * The image's root snapshot. With `volumeSize` it is defined here; with only
   * `snapshotId` the image shares the snapshot another image defines (re-registered from
   * the same import).
   */
  rootSnapshot: z.strictObject({ snapshotId: z.string(), volumeSize: z.number().int().positive().optional(), tags: tags.optional() }),
  /** The uploaded disk image the root snapshot was imported from (put into `bucket`, size only). */
  source: z.strictObject({ bucket: z.string(), key: z.string().min(1), size: z.number().int().positive() }).optional(),
});

const instanceEntry = z.strictObject({
  instanceId: z.string(),
  imageId: z.string(),
  instanceType: z.string(),
  availabilityZone: z.string(),
  state: z.enum(INSTANCE_STATES),
  ago,
  privateIpAddress: z.string().optional(),
  publicIpAddress: z.string().optional(),
  tags,
});

const ec2File = z.strictObject({ images: z.array(imageEntry), instances: z.array(instanceEntry) });

const content = {
  body: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  /** Generated content of this many bytes (deterministic from the object's key): readable, yet small in the state. */
  generated: z
    .number()
    .int()
    .nonnegative()
    .max(16 * 1024 * 1024)
    .optional(),
};
type ContentEntry = { body?: string | undefined; size?: number | undefined; generated?: number | undefined };
const oneContent = (o: ContentEntry) => [o.body, o.size, o.generated].filter((v) => v !== undefined).length === 1;
const contentMessage = { message: 'give exactly one of "body" (text), "generated" (bytes of generated content) or "size" (size only, never read back)' };

const objectEntry = z.strictObject({ key: z.string().min(1), ago, contentType: z.string().optional(), ...content }).refine(oneContent, contentMessage);

const seriesEntry = z.strictObject({
  /** Key prefix with {stamp} = `YYYY-MM-DD-HH-MM` of each point. */
  prefix: z.string().includes('{stamp}'),
  align: z.enum(['hour', 'day', 'friday']),
  every: ago,
  count: z.number().int().positive(),
  /** Points to leave out at the recent end. */
  skip: z.number().int().nonnegative().optional(),
  files: z.array(z.strictObject({ name: z.string().min(1), ...content }).refine(oneContent, contentMessage)).min(1),
});

const s3File = z.strictObject({
  buckets: z.array(
    z.strictObject({
      name: z.string(),
      ago,
      objects: z.array(objectEntry).optional(),
      series: z.array(seriesEntry).optional(),
    }),
  ),
});

/** The simulated host behind an instance (or an ssh host): what it runs and has on disk. */
const hostSeed = z.strictObject({
  /** The revision it runs (absent or null: none, so no revision file). */
  currentRev: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .nullable()
    .optional(),
  /** An OpenClaw host: the bucket its backup and restore units use. */
  backupBucket: z.string().optional(),
  /** /var/lib/clawdinator/workspace exists. */
  workspace: z.boolean().optional(),
  /** Files in /var/lib/clawdinator/secrets. */
  secretFiles: z.number().int().nonnegative().optional(),
});
export type SeedHost = z.infer<typeof hostSeed>;

const ssmFile = z.strictObject({
  managedInstances: z.array(
    z.strictObject({
      instanceId: z.string(),
      pingStatus: z.enum(PING_STATUSES),
      ago,
      agentVersion: z.string(),
      isLatestVersion: z.boolean().optional(),
      platformName: z.string(),
      platformVersion: z.string(),
      computerName: z.string(),
      ipAddress: z.string().optional(),
      /**
       * The simulated host behind it (Run Command): the revision it runs now (absent: no
       * revision file) and, for an OpenClaw host, the bucket its backup units use.
       */
      host: hostSeed.optional(),
    }),
  ),
  /** By Name tag: what the simulated host behind a new instance of that name has (its NixOS config's backup lane). */
  profiles: z.record(z.string(), z.strictObject({ backupBucket: z.string().optional() })).optional(),
});

/** Hosts reached over ssh (sandbox `ssh`, in runbooks): a name and the simulated host. */
const sshFile = z.strictObject({ hosts: z.array(z.strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/), host: hostSeed })) });

const spotFile = z.strictObject({
  instanceTypes: z.array(
    z.strictObject({
      instanceType: z.string(),
      vCpus: z.number().int().positive(),
      memoryMiB: z.number().int().positive(),
      architecture: z.string().optional(),
    }),
  ),
  spotPrices: z.array(
    z.strictObject({
      instanceType: z.string(),
      availabilityZone: z.string(),
      productDescription: z.string(),
      points: z.array(z.strictObject({ ago, price: z.string().regex(/^\d+\.\d+$/) })).min(1),
    }),
  ),
});

export type SeedAccount = z.infer<typeof accountFile>;
export type SeedEc2 = z.infer<typeof ec2File>;
export type SeedS3 = z.infer<typeof s3File>;
export type SeedSsm = z.infer<typeof ssmFile>;
export type SeedSpot = z.infer<typeof spotFile>;
export type SeedSsh = z.infer<typeof sshFile>;
export type SeedSeries = z.infer<typeof seriesEntry>;
export type SeedImage = z.infer<typeof imageEntry>;

export interface SeedFixture {
  account: SeedAccount;
  ec2: SeedEc2;
  s3: SeedS3;
  ssm: SeedSsm;
  spot: SeedSpot;
  cloudformation: SeedCloudFormation;
  ssh: SeedSsh;
}

export const SEED_FILES = ['account.json', 'ec2.json', 's3.json', 'ssm.json', 'spot.json', 'cloudformation.json'] as const;
/** Seed files that may be absent (nothing of that kind then). */
export const OPTIONAL_SEED_FILES = ['ssh.json'] as const;

/**
 * The revs the seeded hosts run, `{rev:<name>}` in the seed files: claw passes the
 * commits of the sandbox's own repo (so a rollback finds them there); these otherwise.
 */
export const DEFAULT_SEED_REVS: Readonly<Record<string, string>> = {
  fleet: 'e3b1c5d7f9a24680bd13579ace02468bdf13579a',
  babelfish: '7c2e9a4f1b3d5e6a8c0f2b4d6e8a0c2e4f6a8b0d',
};

function fillRevs(text: string, file: string, revs: Readonly<Record<string, string>>): string {
  return text.replace(/\{rev:([a-z-]+)\}/g, (_, name: string) => {
    const rev = revs[name];
    if (rev === undefined || !/^[0-9a-f]{40}$/.test(rev))
      throw new UsageError(`${file}: {rev:${name}} names no seed rev (known: ${Object.keys(revs).join(', ')})`, 'fix the sandbox seed');
    return rev;
  });
}

async function loadFile<T>(
  dir: string,
  name: string,
  schema: z.ZodType<T>,
  absent?: T,
  revs: Readonly<Record<string, string>> = DEFAULT_SEED_REVS,
): Promise<T> {
  const file = join(dir, name);
  const fix = `fix the sandbox seed in ${dir}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (absent !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw new UsageError(`sandbox seed file ${file} cannot be read: ${(err as Error).message}`, fix);
  }
  const parsed = schema.safeParse(parseJsonText(fillRevs(text, file, revs), file, fix));
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0]!);
    throw new UsageError(`${file}: ${path ? `${path}: ` : ''}${message}`, fix);
  }
  return parsed.data;
}

export async function loadFixture(dir: string, revs: Readonly<Record<string, string>> = DEFAULT_SEED_REVS): Promise<SeedFixture> {
  const [account, ec2, s3, ssm, spot, cloudformation, ssh] = await Promise.all([
    loadFile(dir, 'account.json', accountFile),
    loadFile(dir, 'ec2.json', ec2File, undefined, revs),
    loadFile(dir, 's3.json', s3File),
    loadFile(dir, 'ssm.json', ssmFile, undefined, revs),
    loadFile(dir, 'spot.json', spotFile),
    loadFile(dir, 'cloudformation.json', cloudformationFile),
    loadFile(dir, 'ssh.json', sshFile, { hosts: [] }),
  ]);
  return { account, ec2, s3, ssm, spot, cloudformation, ssh };
}
