import { readS3Secrets } from '../../aws/bootstrap.js';
import type { AwsClients } from '../../aws/clients.js';
import { explainAwsError } from '../../aws/errors.js';
import { readFleet } from '../../aws/fleet.js';
import { parseStack } from '../../core/backup.js';
import { couldNotRun, doctorDocument, fail, orderChecks, verdict, type CheckResult } from '../../core/doctor.js';
import { parseDuration } from '../../core/flag-values.js';
import { ClawError, InterruptedError, RemoteError, UsageError } from '../../core/errors.js';
import type { FleetSnapshot } from '../../core/fleet.js';
import { requireRepo } from '../../nix/repo.js';
import { renderDoctor } from '../../ui/doctor-text.js';
import { amiOverride } from '../../services/ami/inventory.js';
import { resolveBackupBucket } from '../../services/backup/bucket.js';
import type { Context } from '../../cli/context.js';
import { checkBackup, checkCredentials, checkFleet, checkImagesBucket, checkLatestAmi, checkLock, checkRegion } from './checks-aws.js';
import { checkRegistry, checkRepo, checkSecrets, checkTofu, checkTool } from './checks-local.js';
import { staleHere } from '../../services/deploy/lock-options.js';

// `claw doctor`: the preflight checklist. Every check runs at once over one shared set
// of AWS clients (the fleet is read once for three of them); each ends as ok / warn /
// fail, a check that cannot run fails with the reason, and the output order is fixed.

export interface DoctorOptions {
  json?: boolean;
  amiMaxAge?: string;
  stack?: string[];
}

/** Flags first: bad input is exit 2 before any call. */
function parseOptions(
  opts: DoctorOptions,
  config: { amiMaxAgeDays: number; doctorStacks: string[] },
): { maxAgeMs: number; maxAgeText: string; stacks: string[] } {
  // Flags win; otherwise the config's amiMaxAgeDays and doctorStacks.
  const maxAgeText = opts.amiMaxAge ?? `${config.amiMaxAgeDays}d`;
  return {
    maxAgeMs: parseDuration(maxAgeText, '--ami-max-age'),
    maxAgeText,
    stacks: [...new Set([...config.doctorStacks, ...(opts.stack ?? [])].map(parseStack))],
  };
}

type Body = () => Promise<CheckResult | CheckResult[]>;

/**
 * Run one check; any error becomes failed results for its ids (never a crash), Ctrl-C
 * still ends the run. `explain` words an AWS error as claw does (explainAwsError).
 */
export async function guarded(ids: readonly string[], what: string, body: Body, explain: (err: unknown) => ClawError | undefined): Promise<CheckResult[]> {
  try {
    const out = await body();
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    const known = err instanceof ClawError ? err : explain(err);
    if (known instanceof InterruptedError) throw known;
    // A UsageError is a finding (a bucket that does not exist, a malformed registry), not a failed lookup.
    if (known instanceof UsageError)
      return ids.map((id) => fail(id, `${what}: ${known.message.split('\n')[0]}`, known.hint ?? 'fix the configuration and run claw doctor again'));
    const reason = known?.message ?? (err instanceof Error ? err.message : String(err));
    return ids.map((id) => couldNotRun(id, what, reason, known?.hint));
  }
}

export async function runChecks(ctx: Context, opts: DoctorOptions): Promise<CheckResult[]> {
  const { maxAgeMs, maxAgeText, stacks } = parseOptions(opts, ctx.config.values);
  const v = ctx.config.values;
  const src = ctx.config.sources;
  const now = ctx.now();
  const signal = ctx.io.signal;
  const explain = (err: unknown) => explainAwsError(err, ctx.target);
  const aws = () => ctx.clients();
  let fleet: Promise<FleetSnapshot> | undefined;
  let ssmWhy: string | undefined; // readFleet's warning when SSM could not be asked
  const readFleetOnce = async (c: AwsClients) => (fleet ??= readFleet(c, v, (line) => (ssmWhy = line)));
  const root = () => requireRepo(ctx.repo).root;
  const check = (ids: string[], what: string, body: Body) => guarded(ids, what, body, explain);

  const checks: Promise<CheckResult[]>[] = [
    check(['credentials'], 'credentials', async () => checkCredentials((await aws()).sts)),
    check(['region'], 'region', async () => checkRegion(v.region, src.region.origin, v.endpointUrl)),
    check(['registry'], 'registry', async () => checkRegistry(ctx.registry(), root())),
    check(['secrets'], 'secrets', async () => {
      const s3 = (await aws()).s3;
      const where = `s3://${v.bootstrapBucket}/age-secrets/`;
      // Names only: the agekey name '' matches nothing, so no object is downloaded.
      return checkSecrets(ctx.registry(), root(), v.bootstrapRequiredSecrets, {
        where,
        names: async () => (await readS3Secrets(s3, v.bootstrapBucket, () => false, '')).names,
      });
    }),
    check(['images-bucket'], 'images bucket', async () =>
      checkImagesBucket(
        (await aws()).s3,
        v.imagesBucket,
        src.imagesBucket.source === 'default' ? 'config key imagesBucket, the default' : `config key imagesBucket from ${src.imagesBucket.origin}`,
      ),
    ),
    check(['ami'], 'latest AMI', async () => {
      const c = await aws();
      return checkLatestAmi(c.ec2, { snapshot: await readFleetOnce(c), amiTag: v.amiTag, override: amiOverride(ctx, undefined), maxAgeMs, maxAgeText, now });
    }),
    check(['instances', 'ssm', 'host-amis'], 'fleet', async () => {
      const c = await aws();
      const snapshot = await readFleetOnce(c);
      return checkFleet(ctx.registry(), snapshot, ssmWhy);
    }),
    check(['lock'], 'deploy lock', async () => checkLock((await aws()).s3, v.bootstrapBucket, now, staleHere(ctx.home))),
    check(['tool:nix'], 'nix', () => checkTool('nix', 'nix', { pkg: 'nix-bin', signal })),
    check(['tool:git'], 'git', () => checkTool('git', 'git', { pkg: 'git', signal })),
    check(['tool:tofu'], 'tofu', () => checkTofu(root(), v.infraDir, v.tofuBin, signal, ctx.sandbox)),
    check(['repo'], 'git checkout', () => checkRepo(root(), signal)),
    ...stacks.map((stack) =>
      check([`backup:${stack}`], `backup ${stack}`, async () => {
        const bucket = await resolveBackupBucket(ctx, { stack });
        return checkBackup((await aws()).s3, stack, bucket, now);
      }),
    ),
  ];
  return orderChecks((await Promise.all(checks)).flat());
}

export async function run(ctx: Context, opts: DoctorOptions): Promise<void> {
  const results = await runChecks(ctx, opts);
  ctx.result(opts, doctorDocument(results), () => renderDoctor(results, ctx.paint));
  const { counts } = verdict(results);
  if (counts.fail > 0) {
    const failed = results.filter((r) => r.status === 'fail').map((r) => r.id);
    throw new RemoteError(`${counts.fail} of ${results.length} checks failed: ${failed.join(', ')}`, 'each failed line above says how to fix it');
  }
}
