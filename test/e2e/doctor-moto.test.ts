import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';

// `claw doctor` from the built binary against a real moto server: credentials (STS),
// region, buckets that do not exist, and no credentials at all (every AWS check fails
// naming why; nothing crashes). Unique tags and bucket names keep this file apart.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED doctor-moto e2e: ${inject('motoSkipReason')}`);

const run = randomBytes(4).toString('hex');
const env = {
  AWS_ENDPOINT_URL: endpoint ?? '',
  AWS_REGION: 'eu-central-1',
  CLAW_INSTANCE_TAG: `app-${run}=clawdinator`,
  CLAW_AMI_TAG: `clawdinator-${run}=true`,
  CLAW_IMAGES_BUCKET: `doctor-images-${run}`,
  CLAW_BOOTSTRAP_BUCKET: `doctor-boot-${run}`,
};
const creds = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

interface Check {
  id: string;
  status: string;
  summary: string;
  fix: string | null;
}
const doctor = async (args: string[], extra: Record<string, string>) => {
  const r = await runClaw(['--repo', FIXTURE_REPO, 'doctor', '--json', ...args], { env: { ...env, ...extra } });
  const doc = JSON.parse(r.stdout) as { checks: Check[]; ok: boolean };
  return { ...r, doc, by: Object.fromEntries(doc.checks.map((c) => [c.id, c])) };
};

suite('claw doctor against moto', () => {
  let s3: S3Client;
  beforeAll(() => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(() => s3?.destroy());

  it('names the account and region; missing buckets, AMIs and instances fail with their fix', async () => {
    const r = await doctor([], creds);
    expect(r.exitCode).toBe(1);
    expect(r.doc.ok).toBe(false);
    expect(r.by.credentials).toEqual({ id: 'credentials', status: 'ok', summary: expect.stringMatching(/^account 123456789012 as arn:aws:/), fix: null });
    expect(r.by.region).toMatchObject({ status: 'ok', summary: `region eu-central-1 (AWS_REGION) at ${endpoint}` });
    expect(r.by['images-bucket']).toEqual({
      id: 'images-bucket',
      status: 'fail',
      summary: `images bucket s3://doctor-images-${run} does not exist (config key imagesBucket from CLAW_IMAGES_BUCKET)`,
      fix: 'set imagesBucket in claw.config.json or CLAW_IMAGES_BUCKET; "claw config" shows the value in use',
    });
    expect(r.by.lock).toMatchObject({ status: 'fail', summary: `deploy lock: bucket s3://doctor-boot-${run} does not exist (config key bootstrapBucket)` });
    expect(r.by.ami).toMatchObject({ status: 'fail', summary: `no AMI tagged clawdinator-${run}=true`, fix: 'build and register one: claw ami build' });
    expect(r.by.instances).toMatchObject({ status: 'fail', summary: 'no instance: clawdinator-1, clawdinator-2, clawdinator-babelfish, clawdinator-3' });
    expect(r.by.secrets).toMatchObject({ status: 'ok' }); // all in the fixture's nix/age-secrets/, so S3 is not asked
    expect(r.stderr).toMatch(/^error: \d+ of 14 checks failed: images-bucket, ami, instances, lock/);
  });

  it('once the buckets exist, their checks pass', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: `doctor-images-${run}`, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    await s3.send(new CreateBucketCommand({ Bucket: `doctor-boot-${run}`, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    const r = await doctor([], creds);
    expect(r.by['images-bucket']).toMatchObject({ status: 'ok', summary: `images bucket s3://doctor-images-${run} is reachable` });
    expect(r.by.lock).toMatchObject({ status: 'ok', summary: `deploy lock is free (s3://doctor-boot-${run}/claw/deploy.lock)` });
  });

  it('without credentials every AWS check fails naming why; the local ones still run', async () => {
    const r = await doctor(['--stack', 'lab'], {});
    expect(r.exitCode).toBe(1);
    expect(r.by.credentials).toMatchObject({
      status: 'fail',
      summary: 'credentials: could not check (no AWS credentials found)',
      fix: expect.stringContaining('AWS_PROFILE'),
    });
    for (const id of ['images-bucket', 'ami', 'instances', 'ssm', 'host-amis', 'lock', 'backup:lab']) {
      expect(r.by[id]).toMatchObject({ status: 'fail', summary: expect.stringContaining('no AWS credentials found') });
    }
    expect(r.by.registry).toMatchObject({ status: 'ok' });
    expect(r.by.region).toMatchObject({ status: 'ok' });
  });
});
