import { AGE_SECRETS_PREFIX, bucketExists, putBundle, readS3Secrets, remoteBundle } from '../../aws/bootstrap.js';
import type { S3Api } from '../../aws/clients.js';
import {
  AGEKEY_FILE,
  BUNDLE_KINDS,
  bundleKey,
  checkSecretsEntries,
  checkSeedsEntries,
  planHost,
  selectSecrets,
  validateRules,
  type BundleRules,
  type HostPlan,
} from '../../core/bootstrap.js';
import { UsageError } from '../../core/errors.js';
import type { HostEntry, Registry } from '../../core/registry.js';
import { buildBundle, readRepoAgekey, readRepoSecrets, readRepoSeeds, secretsTarFiles, AGEKEY_PATH, type Bundle, type SecretSet } from '../../nix/bundle.js';
import { requireRepo } from '../../nix/repo.js';
import type { ServiceDeps } from '../deps.js';

// The bootstrap bundles of a set of hosts: built from the repo (or the secrets in S3),
// checked as `claw bootstrap verify` checks them, compared with what S3 holds, and
// uploaded as planned. Used by `claw bootstrap upload` and by the deploy pipeline.

/**
 * The configured secret rules. bootstrapRequiredSecrets (string[], default []) is read
 * when the configuration has it, so this works before and after the key exists.
 */
export function bundleRules(deps: ServiceDeps): BundleRules {
  const rules = { requiredSecrets: deps.config.values.bootstrapRequiredSecrets };
  validateRules(rules);
  return rules;
}

/** The bootstrap bucket, which must exist: a missing one is bad configuration (exit 2). */
export async function openBucket(deps: ServiceDeps, nothing: string): Promise<{ s3: S3Api; bucket: string }> {
  const bucket = deps.config.values.bootstrapBucket;
  const s3 = (await deps.clients()).s3;
  if (!(await bucketExists(s3, bucket))) {
    const source = deps.config.sources.bootstrapBucket;
    const from = source.source === 'default' ? 'the default' : `from ${source.origin}`;
    throw new UsageError(
      `bootstrap bucket ${bucket} does not exist (config key bootstrapBucket, ${from}); ${nothing}`,
      'set bootstrapBucket in claw.config.json or CLAW_BOOTSTRAP_BUCKET; "claw config" shows the value in use',
    );
  }
  return { s3, bucket };
}

async function loadSecrets(deps: ServiceDeps, s3: S3Api, bucket: string, hosts: readonly HostEntry[], registry: Registry, fromS3: boolean): Promise<SecretSet> {
  const root = requireRepo(deps.repo).root;
  if (!fromS3) return readRepoSecrets(root);
  // Read only what some target host's bundle takes: never another fleet's tokens for nothing.
  const wanted = (name: string) => hosts.some((h) => selectSecrets(h, registry, [name]).include.length > 0);
  const got = await readS3Secrets(s3, bucket, wanted, AGEKEY_FILE);
  if (got.names.length === 0)
    throw new UsageError(`s3://${bucket}/${AGE_SECRETS_PREFIX} holds no secrets`, 'upload the *.age files there, or build from the repo (without --from-s3)');
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
export async function planUpload(deps: ServiceDeps, hosts: readonly HostEntry[], fromS3: boolean, force = false): Promise<UploadPlan & { s3: S3Api }> {
  const registry = deps.registry();
  const rules = bundleRules(deps);
  const { s3, bucket } = await openBucket(deps, 'nothing uploaded');
  const secrets = await loadSecrets(deps, s3, bucket, hosts, registry, fromS3);
  const seeds = await buildBundle(await readRepoSeeds(requireRepo(deps.repo).root));
  const seedViolations = checkSeedsEntries(registry, seeds.entries);
  const bodies = new Map<string, Bundle>();
  const plans = await Promise.all(
    hosts.map(async (host) => {
      const include = selectSecrets(host, registry, [...secrets.files.keys()]).include;
      const built = await buildBundle(secretsTarFiles(secrets, include));
      const violations = [...checkSecretsEntries(host, registry, rules, built.entries), ...seedViolations];
      const local = { secrets: built, 'repo-seeds': seeds };
      const [rs, rr] = await Promise.all(BUNDLE_KINDS.map((k) => remoteBundle(s3, bucket, bundleKey(host, k))));
      for (const k of BUNDLE_KINDS) bodies.set(bundleKey(host, k), local[k]);
      const plan = planHost(host, local, { secrets: rs!, 'repo-seeds': rr! }, violations, force);
      return { ...plan, files: built.entries.filter((e) => e.type === 'file').map((e) => e.path) };
    }),
  );
  return { s3, bucket, secrets, plans, bodies };
}

/** Put exactly the planned bundles; returns the keys written. */
export async function executeUpload(deps: ServiceDeps, s3: S3Api, plan: UploadPlan): Promise<string[]> {
  const written: string[] = [];
  for (const host of plan.plans) {
    for (const b of host.bundles) {
      if (b.action !== 'create' && b.action !== 'update') continue;
      const bundle = plan.bodies.get(b.key)!;
      deps.events.emit({ type: 'step-started', step: `upload ${b.key}`, detail: `${bundle.size} bytes` });
      await putBundle(s3, plan.bucket, b.key, bundle.body, bundle.sha256);
      deps.events.emit({ type: 'step-finished', step: `upload ${b.key}`, outcome: 'ok' });
      written.push(b.key);
    }
  }
  return written;
}
