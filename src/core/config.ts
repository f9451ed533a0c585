import { z } from 'zod';
import { UsageError } from './errors.js';
import { describeIssue, parseJsonText } from './json-text.js';
import { KNOWN_REGIONS } from './regions.js';
import { AMI_ID_RE, BUCKET_RE, HOSTNAME_RE, INSTANCE_TYPE_RE, REGION_RE, SECRET_NAME_RE, TAG_PAIR_RE } from './patterns.js';

// Defaults are the real clawdinators values (infra/opentofu, scripts/).
export const DEFAULTS = {
  region: 'eu-central-1',
  profile: undefined as string | undefined,
  endpointUrl: undefined as string | undefined,
  instanceTag: 'app=clawdinator',
  amiTag: 'clawdinator=true',
  imagesBucket: 'clawdinator-images-eu1-20260107165216',
  bootstrapBucket: 'clawdinator-images-eu1-20260107165216',
  flakeBase: 'github:openclaw/clawdinators',
  canaryOrder: ['clawdinator-1', 'clawdinator-2'],
  amiKeep: 6,
  /** An explicit AMI for deploys and replaces; wins over the latest tagged one. */
  ami: undefined as string | undefined,
  imageAttribute: 'packages.x86_64-linux.clawdinator-image',
  imageFormat: 'raw' as 'raw' | 'vhd' | 'vmdk',
  bootMode: 'legacy-bios' as 'legacy-bios' | 'uefi',
  architecture: 'x86_64' as 'x86_64' | 'arm64',
  vmimportRole: 'vmimport',
  lifecycleDays: 30,
  /** Secrets (names without .age) every bootstrap bundle must hold besides the host's own token. */
  bootstrapRequiredSecrets: [] as string[],
  /** Instance types `claw spot prices` compares by default. */
  spotInstanceTypes: ['t4g.small', 't4g.medium', 'm8g.large', 'm8g.medium', 'r7g.medium'],
  /** This process's own host id when a bot runs claw: it may not deploy or replace itself. */
  caller: undefined as string | undefined,
  /** The OpenTofu root module for `claw replace`, relative to the repo root. */
  infraDir: 'infra/opentofu/aws',
  tofuBin: 'tofu',
  tofuAmiVar: 'ami_id',
  /** Empty: do not pass the region to tofu. */
  tofuRegionVar: 'aws_region',
  backupBucketPattern: 'openclaw-lab-backup-{stack}-{account}',
  /** Objects transferred at once by the S3 sync engine (backup pull/push/restore). */
  syncConcurrency: 16,
  /** claw doctor warns when the latest tagged AMI is older than this many days. */
  amiMaxAgeDays: 30,
  /** Backup stacks whose freshness claw doctor checks (besides any --stack). */
  doctorStacks: [] as string[],
  /** Tries per AWS request, the first included (the SDK backs off between them); as the aws CLI's AWS_MAX_ATTEMPTS. */
  maxAttempts: 5,
  /** Seconds to wait for a connection to an AWS endpoint (as the aws CLI's --cli-connect-timeout). */
  connectTimeout: 10,
  /** Seconds an AWS request may wait with no answer (no byte) before it is retried (as --cli-read-timeout). */
  requestTimeout: 60,
};

export type ConfigKey = keyof typeof DEFAULTS;
export type ClawConfig = typeof DEFAULTS;
export type Source = 'default' | 'file' | 'env' | 'flag';
export interface ResolvedValue {
  value: unknown;
  source: Source;
  /** The flag, variable or file the value came from. */
  origin: string;
}
export interface ResolvedConfig {
  values: ClawConfig;
  sources: Record<ConfigKey, ResolvedValue>;
}

const fields = {
  region: z.string().regex(REGION_RE, 'is not an AWS region (like eu-central-1)'),
  profile: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.@+-]+$/, 'is not a profile name'),
  endpointUrl: z.url({ protocol: /^https?$/, error: 'is not an http(s) URL' }),
  instanceTag: z.string().regex(TAG_PAIR_RE, 'must be key=value'),
  amiTag: z.string().regex(TAG_PAIR_RE, 'must be key=value'),
  imagesBucket: z.string().regex(BUCKET_RE, 'is not an S3 bucket name'),
  bootstrapBucket: z.string().regex(BUCKET_RE, 'is not an S3 bucket name'),
  flakeBase: z.string().regex(/^(github|git\+https|path):[A-Za-z0-9._/:@-]+$/, 'is not a flake reference (like github:owner/repo)'),
  canaryOrder: z.array(z.string().regex(HOSTNAME_RE, 'is not a valid hostname')),
  amiKeep: z.number().int('must be an integer').min(1, 'must be at least 1'),
  ami: z.string().regex(AMI_ID_RE, 'is not an AMI id (ami- and 8 or 17 hex digits)'),
  imageAttribute: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'is not a flake attribute path'),
  imageFormat: z.enum(['raw', 'vhd', 'vmdk']),
  bootMode: z.enum(['legacy-bios', 'uefi']),
  architecture: z.enum(['x86_64', 'arm64']),
  vmimportRole: z.string().regex(/^[A-Za-z0-9+=,.@_-]{1,64}$/, 'is not an IAM role name'),
  bootstrapRequiredSecrets: z.array(z.string().regex(SECRET_NAME_RE, 'is not a secret name (like openai-api-key)')),
  lifecycleDays: z.number().int('must be an integer').min(1, 'must be at least 1').max(3650, 'must be at most 3650'),
  spotInstanceTypes: z.array(z.string().regex(INSTANCE_TYPE_RE, 'is not an EC2 instance type (like t4g.small)')),
  caller: z.string().regex(HOSTNAME_RE, 'is not a host id'),
  infraDir: z.string().regex(/^(?!-)[\w./@+~ -]+$/, 'is not a plain directory path'),
  tofuBin: z.string().regex(/^(?!-)[\w./@+-]+$/, 'is not a command name or path'),
  tofuAmiVar: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'is not a tofu variable name'),
  tofuRegionVar: z.string().regex(/^([A-Za-z_][A-Za-z0-9_-]{0,63})?$/, 'is not a tofu variable name'),
  backupBucketPattern: z.string().regex(/^[a-z0-9.{}-]+$/, 'may hold only a-z 0-9 . - and {stack} {account}'),
  syncConcurrency: z.number().int('must be an integer').min(1, 'must be at least 1').max(256, 'must be at most 256'),
  amiMaxAgeDays: z.number().int('must be an integer').min(1, 'must be at least 1').max(3650, 'must be at most 3650'),
  doctorStacks: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/, 'is not a stack name (lower-case letters, digits, -)')),
  maxAttempts: z.number().int('must be an integer').min(1, 'must be at least 1').max(20, 'must be at most 20'),
  connectTimeout: z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 (seconds)').max(600, 'must be at most 600 (seconds)'),
  requestTimeout: z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 (seconds)').max(3600, 'must be at most 3600 (seconds)'),
} satisfies Record<ConfigKey, z.ZodType>;

const fileSchema = z.strictObject(
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
    [K in ConfigKey]: z.ZodOptional<(typeof fields)[K]>;
  },
);

export const CONFIG_FILE = 'claw.config.json';

/** Environment variables per key, highest priority first. */
export const ENV_NAMES: Record<ConfigKey, string[]> = {
  region: ['CLAW_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
  profile: ['CLAW_PROFILE', 'AWS_PROFILE'],
  endpointUrl: ['CLAW_ENDPOINT_URL', 'AWS_ENDPOINT_URL'],
  instanceTag: ['CLAW_INSTANCE_TAG'],
  amiTag: ['CLAW_AMI_TAG'],
  imagesBucket: ['CLAW_IMAGES_BUCKET'],
  bootstrapBucket: ['CLAW_BOOTSTRAP_BUCKET'],
  flakeBase: ['CLAW_FLAKE_BASE'],
  canaryOrder: ['CLAW_CANARY_ORDER'],
  amiKeep: ['CLAW_AMI_KEEP'],
  ami: ['CLAW_AMI'],
  imageAttribute: ['CLAW_IMAGE_ATTRIBUTE'],
  imageFormat: ['CLAW_IMAGE_FORMAT'],
  bootMode: ['CLAW_BOOT_MODE'],
  architecture: ['CLAW_ARCHITECTURE'],
  vmimportRole: ['CLAW_VMIMPORT_ROLE'],
  lifecycleDays: ['CLAW_LIFECYCLE_DAYS'],
  bootstrapRequiredSecrets: ['CLAW_BOOTSTRAP_REQUIRED_SECRETS'],
  spotInstanceTypes: ['CLAW_SPOT_INSTANCE_TYPES'],
  caller: ['CLAW_CALLER'],
  infraDir: ['CLAW_INFRA_DIR'],
  tofuBin: ['CLAW_TOFU_BIN'],
  tofuAmiVar: ['CLAW_TOFU_AMI_VAR'],
  tofuRegionVar: ['CLAW_TOFU_REGION_VAR'],
  backupBucketPattern: ['CLAW_BACKUP_BUCKET_PATTERN'],
  syncConcurrency: ['CLAW_SYNC_CONCURRENCY'],
  amiMaxAgeDays: ['CLAW_AMI_MAX_AGE_DAYS'],
  doctorStacks: ['CLAW_DOCTOR_STACKS'],
  maxAttempts: ['CLAW_MAX_ATTEMPTS', 'AWS_MAX_ATTEMPTS'],
  connectTimeout: ['CLAW_CONNECT_TIMEOUT'],
  requestTimeout: ['CLAW_REQUEST_TIMEOUT'],
};

/** Flags that set a config key. */
export const FLAG_NAMES: Partial<Record<ConfigKey, string>> = {
  region: '--region',
  profile: '--profile',
  endpointUrl: '--endpoint-url',
};

export interface ConfigInputs {
  flags: Partial<Record<ConfigKey, string>>;
  env: Record<string, string | undefined>;
  /** The file's text and its display path, when it exists. */
  file?: { text: string; path: string };
}

const NUMERIC_KEYS = new Set<ConfigKey>(['amiKeep', 'lifecycleDays', 'syncConcurrency', 'amiMaxAgeDays', 'maxAttempts', 'connectTimeout', 'requestTimeout']);

function fromEnvString(key: ConfigKey, raw: string): unknown {
  if (key === 'canaryOrder' || key === 'bootstrapRequiredSecrets' || key === 'spotInstanceTypes' || key === 'doctorStacks')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (NUMERIC_KEYS.has(key)) return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  return raw;
}

function check(key: ConfigKey, value: unknown, origin: string): unknown {
  const r = fields[key].safeParse(value);
  if (r.success) return r.data;
  const { message } = describeIssue(r.error.issues[0]!);
  const example = DEFAULTS[key] === undefined ? '' : `, e.g. ${Array.isArray(DEFAULTS[key]) ? DEFAULTS[key].join(',') : String(DEFAULTS[key])} (the default)`;
  throw new UsageError(
    `${origin}: ${key} ${message} (got ${JSON.stringify(value)})`,
    `fix ${origin.replace(/^(environment|flag) /, '')}${example}; see "claw config" and the README's configuration reference`,
  );
}

function describeOrigin(v: ResolvedValue): string {
  return v.source === 'flag' ? `flag ${v.origin}` : v.source === 'env' ? `environment ${v.origin}` : v.origin;
}

/** flags > environment > file > defaults; every value validated where it came from. */
export function resolveConfig(inputs: ConfigInputs): ResolvedConfig {
  const values = { ...DEFAULTS } as Record<ConfigKey, unknown>;
  const sources = {} as Record<ConfigKey, ResolvedValue>;
  for (const key of Object.keys(DEFAULTS) as ConfigKey[]) {
    sources[key] = { value: DEFAULTS[key], source: 'default', origin: 'default' };
  }
  if (inputs.file) {
    const { text, path } = inputs.file;
    const raw = parseJsonText(text, path, `fix ${path}; see the README's configuration reference`);
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const { path: at, message } = describeIssue(parsed.error.issues[0]!);
      throw new UsageError(`${path}: ${at ? `${at} ` : ''}${message}`, `known keys: ${Object.keys(DEFAULTS).join(', ')}`);
    }
    for (const [k, v] of Object.entries(parsed.data)) {
      if (v === undefined) continue;
      values[k as ConfigKey] = v;
      sources[k as ConfigKey] = { value: v, source: 'file', origin: path };
    }
  }
  for (const key of Object.keys(DEFAULTS) as ConfigKey[]) {
    const name = ENV_NAMES[key].find((n) => inputs.env[n] !== undefined && inputs.env[n] !== '');
    if (name) {
      const v = check(key, fromEnvString(key, inputs.env[name]!), `environment ${name}`);
      values[key] = v;
      sources[key] = { value: v, source: 'env', origin: name };
    }
    const flag = inputs.flags[key];
    if (flag !== undefined) {
      const v = check(key, flag, `flag ${FLAG_NAMES[key] ?? key}`);
      values[key] = v;
      sources[key] = { value: v, source: 'flag', origin: FLAG_NAMES[key] ?? key };
    }
  }
  const region = values.region as string;
  if (!values.endpointUrl && !KNOWN_REGIONS.has(region)) {
    throw new UsageError(
      `${describeOrigin(sources.region)}: unknown AWS region "${region}"`,
      'use a region like eu-central-1; a region newer than this claw works with --endpoint-url',
    );
  }
  return { values: values as ClawConfig, sources };
}
