import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { fixturesDir } from '../../src/nix/paths.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { runClaw, tempDir, type ClawResult } from '../helpers/claw.js';

// `claw ami lifecycle` from the built binary, against a real moto server (one fresh
// bucket per test, created with the SDK) and against the sandbox's images bucket.
// moto always answers TransitionDefaultMinimumObjectSize=all_storage_classes_128K, so
// carrying a non-default one back on the put is covered by the unit tests only.

const CLAW_IDS = ['claw-expire-images', 'claw-expire-noncurrent-images', 'claw-abort-incomplete-image-uploads'];
const IMAGE_PREFIX = 'clawdinator-nixos-';
const SANDBOX_BUCKET = 'clawdinator-images-eu1-20260107165216';

const foreign: LifecycleRule = { ID: 'logs-to-glacier', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Transitions: [{ Days: 40, StorageClass: 'GLACIER' }] };
const staleClaw: LifecycleRule = { ID: 'claw-expire-images', Status: 'Enabled', Filter: { Prefix: IMAGE_PREFIX }, Expiration: { Days: 90 } };

/** A rule compared as S3 means it: no undefined fields, keys in any order. */
const plain = (rules: LifecycleRule[] | undefined) => JSON.parse(JSON.stringify(rules ?? [])) as LifecycleRule[];
const byId = (rules: LifecycleRule[]) => [...rules].sort((a, b) => (a.ID ?? '').localeCompare(b.ID ?? ''));
const awsCalls = (r: ClawResult) =>
  r.stderr
    .split('\n')
    .filter((l) => l.startsWith('aws '))
    .map((l) => l.split(' ')[1]);

/** Each claw rule as written: enabled, scoped to the image keys, one action. */
function expectClawRules(rules: LifecycleRule[], days: number): void {
  const get = (id: string) => rules.find((r) => r.ID === id);
  expect(get('claw-expire-images')).toMatchObject({ Status: 'Enabled', Filter: { Prefix: IMAGE_PREFIX }, Expiration: { Days: days } });
  expect(get('claw-expire-noncurrent-images')).toMatchObject({
    Status: 'Enabled',
    Filter: { Prefix: IMAGE_PREFIX },
    NoncurrentVersionExpiration: { NoncurrentDays: 7 },
  });
  expect(get('claw-abort-incomplete-image-uploads')).toMatchObject({
    Status: 'Enabled',
    Filter: { Prefix: IMAGE_PREFIX },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
  });
  // Never a rule of claw's that could reach bootstrap/ or age-secrets/.
  for (const r of rules.filter((x) => x.ID?.startsWith('claw-'))) expect(r.Filter?.Prefix ?? r.Prefix).toBe(IMAGE_PREFIX);
}

const endpoint = inject('motoEndpoint');
const motoSuite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED ami-lifecycle moto e2e: ${inject('motoSkipReason')}`);

motoSuite('claw ami lifecycle against moto', () => {
  const run = randomBytes(4).toString('hex');
  let s3: S3Client;
  let n = 0;
  const env = (bucket: string, extra: Record<string, string> = {}) => ({
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL: endpoint ?? '',
    AWS_REGION: 'eu-central-1',
    CLAW_IMAGES_BUCKET: bucket,
    ...extra,
  });
  const bucketWith = async (rules: LifecycleRule[] = []) => {
    const bucket = `claw-lc-${run}-${++n}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    if (rules.length) await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
    return bucket;
  };
  const rulesOf = async (bucket: string): Promise<LifecycleRule[] | 'none'> => {
    try {
      return plain((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules);
    } catch (err) {
      if ((err as Error).name === 'NoSuchLifecycleConfiguration') return 'none';
      throw err;
    }
  };

  beforeAll(() => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(() => s3?.destroy());

  it('dry run on a bucket without a lifecycle: shows the three rules to add and changes nothing', async () => {
    const bucket = await bucketWith();
    const r = await runClaw(['ami', 'lifecycle', '--verbose'], { env: env(bucket) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Lifecycle of s3://${bucket}`);
    expect(r.stdout).toMatch(/^Current rules\n {2}\(none\)$/m);
    expect(r.stdout).toMatch(/^ {2}add\s+claw-expire-images\s+prefix clawdinator-nixos-: expire after 30 days$/m);
    expect(r.stdout).toMatch(/^ {2}add\s+claw-expire-noncurrent-images\s+prefix clawdinator-nixos-: expire noncurrent versions after 7 days$/m);
    expect(r.stdout).toMatch(/^ {2}add\s+claw-abort-incomplete-image-uploads\s+prefix clawdinator-nixos-: abort incomplete uploads after 1 day$/m);
    expect(r.stdout).toMatch(/^3 to add, 0 to update, 0 to remove, 0 unchanged$/m);
    expect(r.stderr).toContain('dry run: nothing changed; run again with --apply');
    expect(awsCalls(r)).toEqual(['s3.GetBucketLifecycleConfiguration']);
    expect(await rulesOf(bucket)).toBe('none');
  });

  it("--apply --yes writes claw's rules, keeps a foreign rule as it is, and a second apply changes nothing (no Put)", async () => {
    const bucket = await bucketWith([foreign, staleClaw]);
    const dry = await runClaw(['ami', 'lifecycle', '--json'], { env: env(bucket) });
    expect(dry.exitCode).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(Object.keys(plan).sort()).toEqual(['applied', 'bucket', 'changes', 'current', 'days', 'desired']);
    expect(plan).toMatchObject({ bucket, days: 30, applied: false });
    expect(plan.changes.map((c: { action: string; id: string; owner: string }) => [c.action, c.id, c.owner])).toEqual([
      ['update', 'claw-expire-images', 'claw'],
      ['add', 'claw-expire-noncurrent-images', 'claw'],
      ['add', 'claw-abort-incomplete-image-uploads', 'claw'],
      ['keep', 'logs-to-glacier', 'other'],
    ]);
    expect(plan.changes[0].fields).toEqual([{ path: 'Expiration.Days', before: 90, after: 30 }]);
    expect(byId(plan.current)).toEqual(byId(plain([foreign, staleClaw])));
    expect(plan.desired).toHaveLength(4);
    expect(byId((await rulesOf(bucket)) as LifecycleRule[])).toEqual(byId(plain([foreign, staleClaw])));

    const apply = await runClaw(['ami', 'lifecycle', '--apply', '--yes', '--verbose'], { env: env(bucket) });
    expect(apply.exitCode).toBe(0);
    expect(apply.stdout).toMatch(/^ {2}update\s+claw-expire-images\s+Expiration\.Days 90 -> 30$/m);
    expect(apply.stdout).toMatch(/^ {2}keep\s+logs-to-glacier\s+not claw's: kept as it is$/m);
    expect(apply.stdout).toContain(`applied: s3://${bucket} now has 4 lifecycle rules (2 added, 1 updated, 0 removed, 1 not claw's kept)`);
    expect(awsCalls(apply)).toContain('s3.PutBucketLifecycleConfiguration');
    const after = (await rulesOf(bucket)) as LifecycleRule[];
    expect(after).toHaveLength(4);
    expect(after.find((x) => x.ID === 'logs-to-glacier')).toEqual(plain([foreign])[0]);
    expectClawRules(after, 30);

    const again = await runClaw(['ami', 'lifecycle', '--apply', '--yes', '--json', '--verbose'], { env: env(bucket) });
    expect(again.exitCode).toBe(0);
    const second = JSON.parse(again.stdout);
    expect(second.applied).toBe(false);
    expect(second.changes.every((c: { action: string }) => c.action === 'keep')).toBe(true);
    expect(awsCalls(again)).toEqual(['s3.GetBucketLifecycleConfiguration']);
    expect(await rulesOf(bucket)).toEqual(after);

    const text = await runClaw(['ami', 'lifecycle', '--apply', '--yes'], { env: env(bucket) });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^nothing to change: claw's 3 rules are already in place; 1 other rule kept as it is$/m);
    expect(text.stdout).not.toContain('applied:');
  });

  it('--days and config lifecycleDays set the image expiry; a changed --days is an update', async () => {
    const bucket = await bucketWith();
    const viaEnv = await runClaw(['ami', 'lifecycle', '--apply', '--yes', '--json'], { env: env(bucket, { CLAW_LIFECYCLE_DAYS: '45' }) });
    expect(viaEnv.exitCode).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ days: 45, applied: true });
    expectClawRules((await rulesOf(bucket)) as LifecycleRule[], 45);

    const flag = await runClaw(['ami', 'lifecycle', '--days', '14', '--apply', '--yes'], { env: env(bucket, { CLAW_LIFECYCLE_DAYS: '45' }) });
    expect(flag.exitCode).toBe(0);
    expect(flag.stdout).toMatch(/^ {2}update\s+claw-expire-images\s+Expiration\.Days 45 -> 14$/m);
    expect(flag.stdout).toMatch(/^0 to add, 1 to update, 0 to remove, 2 unchanged$/m);
    expectClawRules((await rulesOf(bucket)) as LifecycleRule[], 14);
  });

  it("follows a bucket's V1 (rule-level Prefix) form, which S3 refuses to mix with filters", async () => {
    const v1: LifecycleRule = { ID: 'tmp-cleanup', Status: 'Enabled', Prefix: 'tmp/', Expiration: { Days: 3 } };
    const bucket = await bucketWith([v1]);
    const r = await runClaw(['ami', 'lifecycle', '--apply', '--yes'], { env: env(bucket) });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const after = (await rulesOf(bucket)) as LifecycleRule[];
    expect(after.find((x) => x.ID === 'tmp-cleanup')).toEqual(plain([v1])[0]);
    for (const id of CLAW_IDS) expect(after.find((x) => x.ID === id)).toMatchObject({ Prefix: IMAGE_PREFIX, Status: 'Enabled' });
    const again = await runClaw(['ami', 'lifecycle', '--apply', '--yes', '--verbose'], { env: env(bucket) });
    expect(again.stdout).toMatch(/^nothing to change/m);
    expect(awsCalls(again)).toEqual(['s3.GetBucketLifecycleConfiguration']);
  });

  it('--apply without --yes and without a terminal refuses (exit 3) after showing the plan, and writes nothing', async () => {
    const bucket = await bucketWith([foreign]);
    for (const args of [['--apply'], ['--apply', '--json']]) {
      const r = await runClaw(['ami', 'lifecycle', ...args, '--verbose'], { env: env(bucket) });
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toMatch(/^error: refusing without a terminal: Write the lifecycle of s3:\/\/claw-lc-/m);
      expect(r.stderr).toMatch(/^hint: pass --yes to confirm$/m);
      expect(awsCalls(r)).toEqual(['s3.GetBucketLifecycleConfiguration']);
    }
    expect(await rulesOf(bucket)).toEqual(plain([foreign]));
  });

  it('a missing bucket is bad input naming the bucket and the imagesBucket key (exit 2)', async () => {
    const bucket = `claw-lc-${run}-missing`;
    const r = await runClaw(['ami', 'lifecycle', '--apply', '--yes'], { env: env(bucket) });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: images bucket ${bucket} does not exist (config key imagesBucket, from CLAW_IMAGES_BUCKET); nothing changed`);
    expect(r.stderr).toMatch(/^hint: set imagesBucket in claw\.config\.json or CLAW_IMAGES_BUCKET/m);
  });

  it.each([['0'], ['abc'], ['-3'], ['1.5'], [''], ['3651']])('--days %j is refused (exit 2) before any AWS call, nothing changed', async (days) => {
    const bucket = await bucketWith([foreign]);
    const r = await runClaw(['ami', 'lifecycle', `--days=${days}`, '--apply', '--yes', '--verbose'], { env: env(bucket) });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: --days ${days}: expected a whole number from 1 to 3650`);
    expect(awsCalls(r)).toEqual([]);
    expect(await rulesOf(bucket)).toEqual(plain([foreign]));
  });
});

describe('claw --sandbox ami lifecycle', () => {
  // The sandbox models the rule shapes claw writes (prefix filters; day-based actions).
  const sandboxForeign: LifecycleRule = { ID: 'tmp-cleanup', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 3 } };
  /** A fresh sandbox home, optionally with lifecycle rules already on the images bucket. */
  const home = async (rules: LifecycleRule[] = []) => {
    const dir = tempDir('claw-lc-home-');
    const clawHome = join(dir, '.claw');
    if (rules.length) {
      const sb = await openSandbox({ home: clawHome, seedDir: fixturesDir('sandbox') });
      await sb.clients.s3.putBucketLifecycleConfiguration({ Bucket: SANDBOX_BUCKET, LifecycleConfiguration: { Rules: rules } });
      await sb.save();
    }
    return { dir, env: { HOME: dir, CLAW_HOME: clawHome } };
  };
  /** The images bucket's rules as the sandbox holds them on disk now. */
  const rulesIn = async (clawHome: string): Promise<LifecycleRule[] | 'none'> => {
    const s3: S3Api = (await openSandbox({ home: clawHome, seedDir: fixturesDir('sandbox') })).clients.s3;
    try {
      return plain((await s3.getBucketLifecycleConfiguration({ Bucket: SANDBOX_BUCKET })).Rules);
    } catch (err) {
      if ((err as Error).name === 'NoSuchLifecycleConfiguration') return 'none';
      throw err;
    }
  };

  it('dry run: the seeded images bucket has no lifecycle; shows the rules to add and changes nothing', async () => {
    const h = await home();
    const r = await runClaw(['--sandbox', 'ami', 'lifecycle'], { env: h.env, cwd: h.dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Lifecycle of s3://${SANDBOX_BUCKET}`);
    expect(r.stdout).toMatch(/^Current rules\n {2}\(none\)$/m);
    expect(r.stdout).toMatch(/^3 to add, 0 to update, 0 to remove, 0 unchanged$/m);
    expect(r.stderr).toBe('dry run: nothing changed; run again with --apply to write these rules\n');
    expect(await rulesIn(h.env.CLAW_HOME)).toBe('none');
  });

  it('--apply --yes writes the rules keeping a foreign one; a second apply says nothing to change and makes no Put', async () => {
    const h = await home([sandboxForeign]);
    const apply = await runClaw(['--sandbox', 'ami', 'lifecycle', '--apply', '--yes', '--json'], { env: h.env, cwd: h.dir });
    expect(apply.exitCode).toBe(0);
    const out = JSON.parse(apply.stdout);
    expect(out).toMatchObject({ bucket: SANDBOX_BUCKET, days: 30, applied: true });
    expect(out.changes.map((c: { action: string; id: string }) => `${c.action} ${c.id}`)).toEqual([...CLAW_IDS.map((id) => `add ${id}`), 'keep tmp-cleanup']);
    const after = (await rulesIn(h.env.CLAW_HOME)) as LifecycleRule[];
    expect(after).toHaveLength(4);
    expect(after.find((x) => x.ID === 'tmp-cleanup')).toEqual(plain([sandboxForeign])[0]);
    expectClawRules(after, 30);

    const again = await runClaw(['--sandbox', 'ami', 'lifecycle', '--apply', '--yes', '--verbose'], { env: h.env, cwd: h.dir });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/^nothing to change: claw's 3 rules are already in place; 1 other rule kept as it is$/m);
    expect(awsCalls(again)).toEqual(['s3.GetBucketLifecycleConfiguration']);
    expect(await rulesIn(h.env.CLAW_HOME)).toEqual(after);
  });

  it('--apply without --yes in a non-TTY refuses (exit 3) and writes nothing', async () => {
    const h = await home();
    const r = await runClaw(['--sandbox', 'ami', 'lifecycle', '--apply'], { env: h.env, cwd: h.dir });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^error: refusing without a terminal: Write the lifecycle of s3:\/\/clawdinator-images-eu1-20260107165216 \(3 rules\)\?$/m);
    expect(await rulesIn(h.env.CLAW_HOME)).toBe('none');
  });

  it.each([['0'], ['abc']])('--days %s is refused (exit 2)', async (days) => {
    const h = await home();
    const r = await runClaw(['--sandbox', 'ami', 'lifecycle', '--days', days, '--apply', '--yes'], { env: h.env, cwd: h.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: --days ${days}: expected a whole number from 1 to 3650$`, 'm'));
    expect(await rulesIn(h.env.CLAW_HOME)).toBe('none');
  });

  it('a bucket the sandbox account does not have is bad input (exit 2), nothing changed', async () => {
    const h = await home();
    const r = await runClaw(['--sandbox', 'ami', 'lifecycle', '--apply', '--yes'], {
      env: { ...h.env, CLAW_IMAGES_BUCKET: 'no-such-images-bucket' },
      cwd: h.dir,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^error: images bucket no-such-images-bucket does not exist \(config key imagesBucket, from CLAW_IMAGES_BUCKET\); nothing changed$/m,
    );
    expect(await rulesIn(h.env.CLAW_HOME)).toBe('none');
  });
});
