import { AGE_SECRETS_PREFIX, bucketExists, getBundle, putBundle, readS3Secrets, remoteBundle } from '../aws/bootstrap.js';
import type { S3Api } from '../aws/clients.js';
import {
  AGEKEY_FILE, BUNDLE_KINDS, bundleKey, checkDownloaded, checkSecretsEntries, checkSeedsEntries, parseTarget,
  planCounts, planHost, selectSecrets, validateRules, type BundleKind, type BundleRules, type HostPlan, type Violation,
} from '../core/bootstrap.js';
import { RefusedError, UsageError } from '../core/errors.js';
import type { HostEntry, Registry } from '../core/registry.js';
import { buildBundle, readBundle, readRepoAgekey, readRepoSecrets, readRepoSeeds, secretsTarFiles, sha256Hex, AGEKEY_PATH, type Bundle, type SecretSet } from '../nix/bundle.js';
import { requireRepo } from '../nix/repo.js';
import { refusalSummary, renderUploadPlan, renderVerify, uploadSummary, verifySummary, type VerifiedHost } from '../ui/bootstrap-text.js';
import type { Context } from './context.js';

export interface UploadOptions {
  dryRun?: boolean;
  fromS3?: boolean;
  /** Upload every bundle again, whatever S3 holds. */
  force?: boolean;
  json?: boolean;
}

/** The `--json` document of `claw bootstrap upload`. */
export interface UploadReport {
  mode: 'dry-run' | 'upload';
  bucket: string;
  secretsFrom: string;
  agekeyFrom: string;
  hosts: (HostPlan & { files: string[]; uploaded: string[] })[];
  counts: ReturnType<typeof planCounts>;
}

/**
 * The configured secret rules. bootstrapRequiredSecrets (string[], default []) is read
 * when the configuration has it, so this works before and after the key exists.
 */
export function bundleRules(ctx: Context): BundleRules {
  const rules = { requiredSecrets: ctx.config.values.bootstrapRequiredSecrets };
  validateRules(rules);
  return rules;
}

/** The bootstrap bucket, which must exist: a missing one is bad configuration (exit 2). */
async function openBucket(ctx: Context, nothing: string): Promise<{ s3: S3Api; bucket: string }> {
  const bucket = ctx.config.values.bootstrapBucket;
  const s3 = (await ctx.clients()).s3;
  if (!(await bucketExists(s3, bucket))) {
    const source = ctx.config.sources.bootstrapBucket;
    const from = source.source === 'default' ? 'the default' : `from ${source.origin}`;
    throw new UsageError(`bootstrap bucket ${bucket} does not exist (config key bootstrapBucket, ${from}); ${nothing}`, 'set bootstrapBucket in claw.config.json or CLAW_BOOTSTRAP_BUCKET; "claw config" shows the value in use');
  }
  return { s3, bucket };
}

async function loadSecrets(ctx: Context, s3: S3Api, bucket: string, hosts: readonly HostEntry[], registry: Registry, fromS3: boolean): Promise<SecretSet> {
  const root = requireRepo(ctx.repo).root;
  if (!fromS3) return readRepoSecrets(root);
  // Read only what some target host's bundle takes: never another fleet's tokens for nothing.
  const wanted = (name: string) => hosts.some((h) => selectSecrets(h, registry, [name]).include.length > 0);
  const got = await readS3Secrets(s3, bucket, wanted, AGEKEY_FILE);
  if (got.names.length === 0) throw new UsageError(`s3://${bucket}/${AGE_SECRETS_PREFIX} holds no secrets`, 'upload the *.age files there, or build from the repo (without --from-s3)');
  const agekey = got.agekey ?? (await readRepoAgekey(root));
  const agekeyOrigin = got.agekey ? `s3://${bucket}/${AGE_SECRETS_PREFIX}${AGEKEY_FILE}` : AGEKEY_PATH;
  return { files: got.files, agekey, origin: `s3://${bucket}/${AGE_SECRETS_PREFIX}`, agekeyOrigin };
}

export interface UploadPlan {
  bucket: string;
  secrets: SecretSet;
  plans: (HostPlan & { files: string[] })[];
  bodies: Map<string, Bundle>;
}

/** Build every target's bundles, check them as `verify` would, and compare them with what S3 really holds. */
export async function planUpload(ctx: Context, hosts: readonly HostEntry[], fromS3: boolean, force = false): Promise<UploadPlan & { s3: S3Api }> {
  const registry = ctx.registry();
  const rules = bundleRules(ctx);
  const { s3, bucket } = await openBucket(ctx, 'nothing uploaded');
  const secrets = await loadSecrets(ctx, s3, bucket, hosts, registry, fromS3);
  const seeds = await buildBundle(await readRepoSeeds(requireRepo(ctx.repo).root));
  const seedViolations = checkSeedsEntries(registry, seeds.entries);
  const bodies = new Map<string, Bundle>();
  const plans = await Promise.all(hosts.map(async (host) => {
    const include = selectSecrets(host, registry, [...secrets.files.keys()]).include;
    const built = await buildBundle(secretsTarFiles(secrets, include));
    const violations = [...checkSecretsEntries(host, registry, rules, built.entries), ...seedViolations];
    const local = { secrets: built, 'repo-seeds': seeds };
    const [rs, rr] = await Promise.all(BUNDLE_KINDS.map((k) => remoteBundle(s3, bucket, bundleKey(host, k))));
    for (const k of BUNDLE_KINDS) bodies.set(bundleKey(host, k), local[k]);
    const plan = planHost(host, local, { secrets: rs!, 'repo-seeds': rr! }, violations, force);
    return { ...plan, files: built.entries.filter((e) => e.type === 'file').map((e) => e.path) };
  }));
  return { s3, bucket, secrets, plans, bodies };
}

/** Put exactly the planned bundles; returns the keys written. */
export async function executeUpload(ctx: Context, s3: S3Api, plan: UploadPlan): Promise<string[]> {
  const written: string[] = [];
  for (const host of plan.plans) {
    for (const b of host.bundles) {
      if (b.action !== 'create' && b.action !== 'update') continue;
      const bundle = plan.bodies.get(b.key)!;
      ctx.events.emit({ type: 'step-started', step: `upload ${b.key}`, detail: `${bundle.size} bytes` });
      await putBundle(s3, plan.bucket, b.key, bundle.body, bundle.sha256);
      ctx.events.emit({ type: 'step-finished', step: `upload ${b.key}`, outcome: 'ok' });
      written.push(b.key);
    }
  }
  return written;
}

function refuse(plans: readonly HostPlan[], dryRun: boolean): void {
  const refused = plans.filter((p) => p.action === 'refused');
  if (refused.length === 0) return;
  throw new RefusedError(refusalSummary(refused, dryRun), 'fix the files named above (names only are shown, never content) and run again');
}

/** `claw bootstrap upload <target>`: the plan, then the uploads it lists (none with --dry-run). */
export async function upload(ctx: Context, target: string, opts: UploadOptions): Promise<void> {
  const hosts = parseTarget(target, ctx.registry());
  const plan = await planUpload(ctx, hosts, Boolean(opts.fromS3), Boolean(opts.force));
  const { bucket, plans, secrets } = plan;
  if (!opts.json) ctx.print(renderUploadPlan(bucket, secrets, plans, ctx.paint));

  const written = opts.dryRun ? [] : await executeUpload(ctx, plan.s3, plan);
  if (opts.json) {
    const report: UploadReport = {
      mode: opts.dryRun ? 'dry-run' : 'upload',
      bucket,
      secretsFrom: secrets.origin,
      agekeyFrom: secrets.agekeyOrigin,
      hosts: plans.map((p) => ({ ...p, uploaded: p.bundles.filter((b) => written.includes(b.key)).map((b) => b.bundle) })),
      counts: planCounts(plans),
    };
    ctx.print(JSON.stringify(report, null, 2));
  } else if (opts.dryRun) ctx.log.info('dry run: nothing uploaded');
  else ctx.print(uploadSummary(plans, written.length, ctx.paint));
  refuse(plans, Boolean(opts.dryRun));
}

/** Download one bundle and judge it. */
async function verifyBundle(s3: S3Api, bucket: string, host: HostEntry, kind: BundleKind, check: (e: Parameters<typeof checkSeedsEntries>[1]) => Violation[]) {
  const key = bundleKey(host, kind);
  const got = await getBundle(s3, bucket, key);
  if (!got.exists) return { bundle: kind, key, sha256: null, metadataSha256: null, size: null, entries: null, violations: checkDownloaded(kind, key, got, check) };
  const entries = await readBundle(got.body);
  const sha256 = sha256Hex(got.body);
  const violations = checkDownloaded(kind, key, { exists: true, bodySha256: sha256, metadataSha256: got.sha256, entries }, check);
  return { bundle: kind, key, sha256, metadataSha256: got.sha256 ?? null, size: got.body.byteLength, entries: 'corrupt' in entries ? null : entries.length, violations };
}

/** `claw bootstrap verify <target>`: download both bundles of each host and check them. */
export async function verify(ctx: Context, target: string, opts: { json?: boolean; fromS3?: boolean }): Promise<void> {
  const registry = ctx.registry();
  const hosts = parseTarget(target, registry);
  const rules = bundleRules(ctx);
  const { s3, bucket } = await openBucket(ctx, 'nothing verified');
  const results: VerifiedHost[] = await Promise.all(hosts.map(async (host) => {
    const bundles = [
      await verifyBundle(s3, bucket, host, 'secrets', (e) => checkSecretsEntries(host, registry, rules, e)),
      await verifyBundle(s3, bucket, host, 'repo-seeds', (e) => checkSeedsEntries(registry, e)),
    ].map((b) => ({ ...b, ok: b.violations.length === 0 }));
    return { host: host.host, prefix: host.bootstrapPrefix, ok: bundles.every((b) => b.ok), bundles };
  }));
  if (opts.json) ctx.print(JSON.stringify({ bucket, ok: results.every((r) => r.ok), hosts: results }, null, 2));
  else ctx.print(`${renderVerify(bucket, results, ctx.paint)}\n\n${verifySummary(results, ctx.paint)}`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    const what = failed.map((r) => `${r.host} (${r.bundles.flatMap((b) => b.violations).map((v) => v.message).join('; ')})`).join(', ');
    throw new RefusedError(`bootstrap bundles failed verification: ${what}`, `re-upload with: ${reuploadCommand(ctx, failed.map((r) => r.host), await secretsFromS3(ctx, s3, bucket, opts.fromS3))}`);
  }
}

/**
 * Where the secrets of a re-upload come from: --from-s3 when verify was told so, or when
 * the repo has none but s3://<bucket>/age-secrets/ does (the hint must work as printed).
 */
async function secretsFromS3(ctx: Context, s3: S3Api, bucket: string, flag: boolean | undefined): Promise<boolean> {
  if (flag !== undefined) return flag;
  const inRepo = await readRepoSecrets(requireRepo(ctx.repo).root).then((s) => s.files.size > 0, () => false);
  if (inRepo) return false;
  return (await s3.listObjectsV2({ Bucket: bucket, Prefix: AGE_SECRETS_PREFIX, MaxKeys: 1 })).KeyCount !== 0;
}

/** The upload that repairs what verify found, as it can be pasted: --force, since S3 may claim the right checksum over the wrong bytes. */
function reuploadCommand(ctx: Context, hosts: readonly string[], fromS3: boolean): string {
  return ['claw', ...(ctx.sandbox ? ['--sandbox'] : []), 'bootstrap', 'upload', hosts.join(','), ...(fromS3 ? ['--from-s3'] : []), '--force'].join(' ');
}
