import { AGE_SECRETS_PREFIX, getBundle } from '../../aws/bootstrap.js';
import type { S3Api } from '../../aws/clients.js';
import {
  bundleKey,
  checkDownloaded,
  checkSecretsEntries,
  checkSeedsEntries,
  parseTarget,
  planCounts,
  type BundleKind,
  type HostPlan,
  type Violation,
} from '../../core/bootstrap.js';
import { RefusedError } from '../../core/errors.js';
import type { HostEntry } from '../../core/registry.js';
import { readBundle, readRepoSecrets, sha256Hex } from '../../nix/bundle.js';
import { requireRepo } from '../../nix/repo.js';
import { refusalSummary, renderUploadPlan, renderVerify, uploadSummary, verifySummary, type VerifiedHost } from '../../ui/bootstrap-text.js';
import { serviceDeps, type Context } from '../../cli/context.js';
import { bundleRules, executeUpload, openBucket, planUpload } from '../../services/bootstrap/upload.js';

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

function refuse(plans: readonly HostPlan[], dryRun: boolean): void {
  const refused = plans.filter((p) => p.action === 'refused');
  if (refused.length === 0) return;
  throw new RefusedError(refusalSummary(refused, dryRun), 'fix the files named above (names only are shown, never content) and run again');
}

/** `claw bootstrap upload <target>`: the plan, then the uploads it lists (none with --dry-run). */
export async function upload(ctx: Context, target: string, opts: UploadOptions): Promise<void> {
  const hosts = parseTarget(target, ctx.registry());
  const plan = await planUpload(serviceDeps(ctx), hosts, Boolean(opts.fromS3), Boolean(opts.force));
  const { bucket, plans, secrets } = plan;
  if (!opts.json) ctx.print(renderUploadPlan(bucket, secrets, plans, ctx.paint));

  const written = opts.dryRun ? [] : await executeUpload(serviceDeps(ctx), plan.s3, plan);
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
  if (!got.exists)
    return { bundle: kind, key, sha256: null, metadataSha256: null, size: null, entries: null, violations: checkDownloaded(kind, key, got, check) };
  const entries = await readBundle(got.body);
  const sha256 = sha256Hex(got.body);
  const violations = checkDownloaded(kind, key, { exists: true, bodySha256: sha256, metadataSha256: got.sha256, entries }, check);
  return {
    bundle: kind,
    key,
    sha256,
    metadataSha256: got.sha256 ?? null,
    size: got.body.byteLength,
    entries: 'corrupt' in entries ? null : entries.length,
    violations,
  };
}

/** `claw bootstrap verify <target>`: download both bundles of each host and check them. */
export async function verify(ctx: Context, target: string, opts: { json?: boolean; fromS3?: boolean }): Promise<void> {
  const registry = ctx.registry();
  const hosts = parseTarget(target, registry);
  const rules = bundleRules(serviceDeps(ctx));
  const { s3, bucket } = await openBucket(serviceDeps(ctx), 'nothing verified');
  const results: VerifiedHost[] = await Promise.all(
    hosts.map(async (host) => {
      const bundles = [
        await verifyBundle(s3, bucket, host, 'secrets', (e) => checkSecretsEntries(host, registry, rules, e)),
        await verifyBundle(s3, bucket, host, 'repo-seeds', (e) => checkSeedsEntries(registry, e)),
      ].map((b) => ({ ...b, ok: b.violations.length === 0 }));
      return { host: host.host, prefix: host.bootstrapPrefix, ok: bundles.every((b) => b.ok), bundles };
    }),
  );
  ctx.result(
    opts,
    { bucket, ok: results.every((r) => r.ok), hosts: results },
    () => `${renderVerify(bucket, results, ctx.paint)}\n\n${verifySummary(results, ctx.paint)}`,
  );
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    const what = failed
      .map(
        (r) =>
          `${r.host} (${r.bundles
            .flatMap((b) => b.violations)
            .map((v) => v.message)
            .join('; ')})`,
      )
      .join(', ');
    throw new RefusedError(
      `bootstrap bundles failed verification: ${what}`,
      `re-upload with: ${reuploadCommand(
        ctx,
        failed.map((r) => r.host),
        await secretsFromS3(ctx, s3, bucket, opts.fromS3),
      )}`,
    );
  }
}

/**
 * Where the secrets of a re-upload come from: --from-s3 when verify was told so, or when
 * the repo has none but s3://<bucket>/age-secrets/ does (the hint must work as printed).
 */
async function secretsFromS3(ctx: Context, s3: S3Api, bucket: string, flag: boolean | undefined): Promise<boolean> {
  if (flag !== undefined) return flag;
  const inRepo = await readRepoSecrets(requireRepo(ctx.repo).root).then(
    (s) => s.files.size > 0,
    () => false,
  );
  if (inRepo) return false;
  return (await s3.listObjectsV2({ Bucket: bucket, Prefix: AGE_SECRETS_PREFIX, MaxKeys: 1 })).KeyCount !== 0;
}

/** The upload that repairs what verify found, as it can be pasted: --force, since S3 may claim the right checksum over the wrong bytes. */
function reuploadCommand(ctx: Context, hosts: readonly string[], fromS3: boolean): string {
  return ['claw', ...(ctx.sandbox ? ['--sandbox'] : []), 'bootstrap', 'upload', hosts.join(','), ...(fromS3 ? ['--from-s3'] : []), '--force'].join(' ');
}
