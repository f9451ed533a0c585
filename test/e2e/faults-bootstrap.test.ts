import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readBundle, sha256Hex } from '../../src/nix/bundle.js';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';
import { randomFaults, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { expectAbsorbed, expectCleanStop, untilDone } from '../helpers/fault-runs.js';

// `claw bootstrap upload all` from the built binary with 20 % of its AWS requests meeting
// a fault (500, 503, SlowDown, latency, a connection dropped before or after S3 stored
// the object). It completes in one run with the default tries, or stops cleanly and a
// re-run completes; afterwards the bucket, read directly, holds each host's two bundles,
// complete (body matching its sha256 metadata), each secrets bundle with only its own
// host's token, and nothing else: no partial object, no unfinished multipart upload.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED faults-bootstrap e2e: ${inject('motoSkipReason')}`);

const HOSTS = ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-3'];
const run = randomBytes(4).toString('hex');
const faults = randomFaults({ rate: 0.2, seed: 31337 });
let proxy: FaultProxy;
let s3: S3Client;
let n = 0;

const claw = (bucket: string, args: string[], tries?: number) =>
  runClaw([...args, '--repo', FIXTURE_REPO], {
    env: {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL: proxy.endpoint,
      CLAW_BOOTSTRAP_BUCKET: bucket,
      AWS_MAX_ATTEMPTS: tries === undefined ? undefined : String(tries),
    },
  });

async function newBucket(): Promise<string> {
  const bucket = `claw-faults-boot-${run}-${++n}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  return bucket;
}

/** Straight from moto: exactly the eight bundles, each whole, each secrets bundle with its own host's token only. */
async function expectCompleteBundles(bucket: string): Promise<void> {
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();
  expect(keys).toEqual(HOSTS.flatMap((h) => [`bootstrap/${h}/repo-seeds.tar.zst`, `bootstrap/${h}/secrets.tar.zst`]).sort());
  expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
  for (const key of keys) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key! }));
    const body = await out.Body!.transformToByteArray();
    expect(out.Metadata?.sha256, key).toBe(sha256Hex(body));
    const entries = await readBundle(body);
    expect('corrupt' in entries, key).toBe(false);
  }
  for (const h of HOSTS) {
    const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `bootstrap/${h}/secrets.tar.zst` }))).Body!.transformToByteArray();
    expect(await readBundle(body)).toEqual([
      { path: 'clawdinator.agekey', type: 'file' },
      { path: 'secrets/', type: 'directory' },
      { path: `secrets/clawdinator-discord-token-${h.replace('clawdinator-', '')}.age`, type: 'file' },
      { path: 'secrets/openai-api-key.age', type: 'file' },
    ]);
  }
  // And claw agrees, without faults: nothing left to upload.
  faults.enabled = false;
  const again = await claw(bucket, ['bootstrap', 'upload', 'all']);
  faults.enabled = true;
  expect(again.exitCode, again.stderr).toBe(0);
  expect(again.stdout).toContain('nothing to upload: every bundle is unchanged (8)');
}

suite('bootstrap upload under 20 % injected faults (moto behind a faulty proxy)', () => {
  beforeAll(async () => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    proxy = await startFaultProxy(endpoint!, faults.decide);
  });
  afterAll(async () => {
    s3?.destroy();
    await proxy?.close();
  });

  it('with the default 5 tries per request the SDK absorbs the faults: one run uploads all eight bundles, complete', async () => {
    const bucket = await newBucket();
    const from = proxy.seen.length;
    const injected = faults.injected();
    for (let i = 0; i < 3; i++) {
      const bucketI = i === 0 ? bucket : await newBucket();
      const runs = await untilDone('bootstrap upload all', () => claw(bucketI, ['bootstrap', 'upload', 'all']));
      expectAbsorbed(runs, proxy, from);
      if (runs.stops.length === 0) expect(runs.done.stdout).toContain('uploaded 8 bundles, 0 unchanged');
      await expectCompleteBundles(bucketI);
    }
    expect(faults.injected()).toBeGreaterThan(injected);
  });

  it(
    'with 1 try per request runs stop cleanly and a re-run uploads what is missing; verify under faults never calls a good bundle bad',
    { timeout: 60_000 },
    async () => {
      let stops = 0;
      for (let i = 0; i < 2; i++) {
        const bucket = await newBucket();
        // Each run makes at least 7 requests (the bucket, 6 checksums), so about 3 in 4 runs meet a fault.
        const runs = await untilDone('bootstrap upload all', () => claw(bucket, ['bootstrap', 'upload', 'all'], 1), { maxRuns: 30 });
        stops += runs.stops.length;
        await expectCompleteBundles(bucket);
        // A fault while verifying is a failed read (exit 1), never a failed verification (exit 3).
        for (let v = 0; v < 3; v++) {
          const r = await claw(bucket, ['bootstrap', 'verify', 'all'], 1);
          if (r.exitCode !== 0) expectCleanStop(r, 'bootstrap verify all');
          else expect(r.stdout).toContain('4 hosts verified: 4 ok');
        }
      }
      expect(stops).toBeGreaterThan(0);
    },
  );
});
