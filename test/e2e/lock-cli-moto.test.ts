import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCK_KEY, newLockRecord, type LockRecord } from '../../src/core/lock.js';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';

// `claw lock status | release` from the built binary against moto, one bucket per test.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED lock cli moto e2e: ${inject('motoSkipReason')}`);

const REV = '0123456789abcdef0123456789abcdef01234567';
const MIN = 60_000;
let s3: S3Client;

async function bucket(): Promise<string> {
  const name = `claw-lockcli-${randomBytes(6).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  return name;
}
const claw = (b: string, args: string[]) =>
  runClaw([...args, '--repo', FIXTURE_REPO], {
    env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL: endpoint!, CLAW_BOOTSTRAP_BUCKET: b },
  });
const put = (b: string, body: string) => s3.send(new PutObjectCommand({ Bucket: b, Key: LOCK_KEY, Body: body }));
const lockAged = (over: { holder?: string; pid?: number; ageMs: number; ttlMs?: number }): LockRecord =>
  newLockRecord({
    id: randomBytes(8).toString('hex'),
    holder: over.holder ?? 'bob@desk',
    pid: over.pid ?? 4242,
    target: 'clawdinator-1',
    rev: REV,
    now: new Date(Date.now() - over.ageMs),
    ttlMs: over.ttlMs ?? 30 * MIN,
  });
async function stored(b: string): Promise<string | undefined> {
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: b, Key: LOCK_KEY }))).Body!.transformToString();
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

suite('claw lock against moto', () => {
  beforeAll(() => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(() => s3?.destroy());

  it('status: free, then held (holder, target, rev, age, expiry), as text and JSON', async () => {
    const b = await bucket();
    const free = await claw(b, ['lock', 'status']);
    expect(free).toMatchObject({ exitCode: 0, stdout: `free: no deploy holds the lock (s3://${b}/claw/deploy.lock)\n` });
    expect(JSON.parse((await claw(b, ['lock', 'status', '--json'])).stdout)).toEqual({ bucket: b, key: LOCK_KEY, state: 'free' });

    const l = lockAged({ ageMs: 5 * MIN });
    await put(b, JSON.stringify(l));
    const held = await claw(b, ['lock', 'status']);
    expect(held.exitCode).toBe(0);
    expect(held.stdout.split('\n').map((s) => s.replace(/\s+/g, ' ').trim())).toEqual([
      'held by bob@desk (pid 4242)',
      'target clawdinator-1',
      `rev ${REV}`,
      `age 5m (since ${l.acquiredAt})`,
      expect.stringMatching(new RegExp(`^expiry ${l.expiresAt} \\(in (24|25)m\\)$`)),
      `lock s3://${b}/claw/deploy.lock`,
      '',
    ]);
    const doc = JSON.parse((await claw(b, ['lock', 'status', '--json'])).stdout);
    expect(doc).toMatchObject({
      state: 'held',
      holder: 'bob@desk',
      pid: 4242,
      target: 'clawdinator-1',
      rev: REV,
      acquiredAt: l.acquiredAt,
      expiresAt: l.expiresAt,
      id: l.id,
    });
    expect(doc.ageSeconds).toBeGreaterThanOrEqual(300);
    expect(doc.expiresInSeconds).toBeLessThanOrEqual(1500);

    await put(b, JSON.stringify(lockAged({ ageMs: 45 * MIN })));
    const expired = JSON.parse((await claw(b, ['lock', 'status', '--json'])).stdout);
    expect(expired).toMatchObject({ state: 'expired' });
    expect(expired.expiresInSeconds).toBeLessThan(0);
    await put(b, 'garbage');
    expect((await claw(b, ['lock', 'status'])).stdout).toMatch(/^unreadable: .* \(not JSON\); deploys are refused until "claw lock release --force"/);
  });

  it("release: refuses someone else's live lock; --force needs a terminal or --yes; --force --yes releases", async () => {
    const b = await bucket();
    const body = JSON.stringify(lockAged({ ageMs: MIN }));
    await put(b, body);
    const refused = await claw(b, ['lock', 'release']);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(
      /^error: not releasing: the deploy lock is held by bob@desk \(pid 4242\), deploying clawdinator-1 at 0123456789ab, for 1m, expires in (28|29)m\nhint: .*--force/,
    );
    const noTty = await claw(b, ['lock', 'release', '--force']);
    expect(noTty.exitCode).toBe(3);
    expect(noTty.stderr).toMatch(/refusing without a terminal/);
    expect(await stored(b)).toBe(body);
    const forced = await claw(b, ['lock', 'release', '--force', '--yes', '--json']);
    expect(forced.exitCode).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ released: true, lock: { state: 'held', holder: 'bob@desk' } });
    expect(await stored(b)).toBeUndefined();
    const again = await claw(b, ['lock', 'release']);
    expect(again).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^the deploy lock is free; nothing to release/) });
  });

  // A lock left by a claw killed on this machine: test/e2e/concurrent-runs-moto.test.ts (its run id, not user@host and pid).
  it('release without --force: an expired lock', async () => {
    const b = await bucket();
    await put(b, JSON.stringify(lockAged({ ageMs: 40 * MIN })));
    const expired = await claw(b, ['lock', 'release']);
    expect(expired).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^released the deploy lock \(expired\): bob@desk/) });
    expect(await stored(b)).toBeUndefined();
  });

  it('a bootstrap bucket that does not exist is bad input (exit 2) naming the config key', async () => {
    const r = await claw(`claw-missing-${randomBytes(4).toString('hex')}`, ['lock', 'status']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: bucket s3:\/\/claw-missing-\w+ does not exist \(config key bootstrapBucket\)\nhint: .*CLAW_BOOTSTRAP_BUCKET/);
  });
});
