import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCK_KEY, newLockRecord } from '../../src/core/lock.js';
import { FIXTURE_REPO, runClaw, spawnClaw, tempDir } from '../helpers/claw.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// Runs that overlap, from the built binary against moto: a push or restore renews its
// marker while it writes, so a second one started meanwhile refuses (exit 3) naming it
// instead of writing beside it; a run killed on this machine is known as dead by its
// run id here, one on another machine only once its lease runs out. A deploy lock is
// judged "left by a dead claw of mine" by the same run id, never by user@host and pid.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED concurrent runs e2e: ${inject('motoSkipReason')}`);

let account: MotoAccount;
let proxy: FaultProxy;
let scripted: ((req: SeenRequest) => Fault) | undefined;
const MARKER = 'claw/unfinished-overwrite.json';

async function newBucket(): Promise<string> {
  const name = `claw-runs-${randomBytes(4).toString('hex')}`;
  await account.s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  return name;
}
const keys = async (bucket: string, prefix = '') =>
  ((await account.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
const read = async (bucket: string, key: string) => (await account.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
const env = (home: string) => ({ ...account.env, AWS_ENDPOINT_URL: proxy.endpoint, HOME: home, CLAW_HOME: join(home, '.claw') });
const claw = (home: string, args: string[]) => runClaw([...args, '--repo', FIXTURE_REPO], { env: env(home), timeoutMs: 60_000 });

function tree(files: Record<string, string>): string {
  const dir = tempDir('claw-runs-src-');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

/** Hold the first request into latest/ until released (the marker is written by then). */
function holdFirstWrite() {
  let release!: () => void;
  let reached!: () => void;
  const until = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (reached = r));
  let held = false;
  scripted = (req) => {
    if (held || req.method !== 'PUT' || !req.path.includes('/latest/')) return undefined;
    held = true;
    reached();
    return { until };
  };
  return { arrived, release: () => release() };
}

suite('overlapping runs (moto behind a proxy)', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    proxy = await startFaultProxy(endpoint!, (req) => scripted?.(req));
  });
  afterAll(async () => {
    account?.destroy();
    await proxy?.close();
  });

  it(
    'a second push while the first is uploading refuses (exit 3) naming the first; the first finishes and latest/ is exactly its source',
    { timeout: 60_000 },
    async () => {
      const bucket = await newBucket();
      const first = tree({ 'a.txt': 'first a', 'b.txt': 'first b' });
      const second = tree({ 'a.txt': 'second a', 'c.txt': 'second c' });
      const hold = holdFirstWrite();
      const home = tempDir('claw-home-');
      const run = spawnClaw(['backup', 'push', '--bucket', bucket, '--from', first, '--yes', '--delete', '--repo', FIXTURE_REPO], {
        env: env(home),
        timeoutMs: 60_000,
      });
      await hold.arrived;
      const refused = await claw(tempDir('claw-home-'), ['backup', 'push', '--bucket', bucket, '--from', second, '--yes', '--delete']);
      expect(refused.exitCode, refused.stderr).toBe(3);
      expect(refused.stderr).toMatch(
        new RegExp(
          `^error: another push is writing latest/ now: by \\S+ from ${first}, run [0-9a-f-]{36}, started \\S+ \\(renewed \\d+s ago\\); nothing was changed$`,
          'm',
        ),
      );
      expect(refused.stderr).toMatch(
        /^hint: wait for it to finish \(claw backup status shows it\); if that claw was killed, it counts as stopped after \S+, then run again$/m,
      );
      const status = await claw(tempDir('claw-home-'), ['backup', 'status', '--bucket', bucket]);
      expect(status.stdout).toMatch(/RUNNING push from \S+ by \S+, started .*: it is writing latest\/ now/);
      hold.release();
      const done = await run.done;
      scripted = undefined;
      expect(done.exitCode, done.stderr).toBe(0);
      expect(await keys(bucket, 'latest/')).toEqual(['latest/a.txt', 'latest/b.txt']);
      expect(await read(bucket, 'latest/a.txt')).toBe('first a');
      expect(await keys(bucket, 'claw/')).toEqual([]);
    },
  );

  it('a push killed outright: a re-run on the same machine goes ahead at once; from another machine it waits for the lease', { timeout: 60_000 }, async () => {
    const bucket = await newBucket();
    const src = tree({ 'a.txt': 'a', 'b.txt': 'b' });
    const hold = holdFirstWrite();
    const home = tempDir('claw-home-');
    const run = spawnClaw(['backup', 'push', '--bucket', bucket, '--from', src, '--yes', '--repo', FIXTURE_REPO], { env: env(home) });
    await hold.arrived;
    run.child.kill('SIGKILL');
    await run.done;
    scripted = undefined;
    hold.release();
    expect(await keys(bucket, 'claw/')).toEqual([MARKER]);

    const elsewhere = await claw(tempDir('claw-home-'), ['backup', 'push', '--bucket', bucket, '--from', src, '--yes']);
    expect(elsewhere.exitCode).toBe(3);
    expect(elsewhere.stderr).toMatch(/another push is writing latest\/ now/);

    const here = await claw(home, ['backup', 'push', '--bucket', bucket, '--from', src, '--yes']);
    expect(here.exitCode, here.stderr).toBe(0);
    expect(await keys(bucket, 'latest/')).toEqual(['latest/a.txt', 'latest/b.txt']);
    expect(await keys(bucket, 'claw/')).toEqual([]);
  });

  it('a marker whose run stopped renewing it (lease over) is a stopped run: the next push takes it over', async () => {
    const bucket = await newBucket();
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    await account.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: MARKER,
        Body: JSON.stringify({
          version: 1,
          run: randomUUID(),
          command: 'push',
          source: '/elsewhere',
          by: 'op@other',
          startedAt: old,
          updatedAt: old,
          keptAs: null,
          keepFinished: true,
          heartbeatAt: old,
          leaseSeconds: 120,
        }),
      }),
    );
    const r = await claw(tempDir('claw-home-'), ['backup', 'push', '--bucket', bucket, '--from', tree({ 'a.txt': 'a' }), '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/an earlier run stopped while writing into latest\//);
    expect(await keys(bucket, 'claw/')).toEqual([]);
  });

  it('lock release: an unexpired lock of user@thishost with a pid dead here is not taken for ours (another machine can have this name)', async () => {
    const bucket = await newBucket();
    const me = `${userInfo().username.replace(/[^A-Za-z0-9._-]/g, '')}@${hostname().replace(/[^A-Za-z0-9._-]/g, '')}`;
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const body = JSON.stringify(
      newLockRecord({
        id: randomUUID(),
        holder: me,
        pid: deadPid,
        target: 'all',
        rev: '0123456789abcdef0123456789abcdef01234567',
        now: new Date(),
        ttlMs: 30 * 60_000,
      }),
    );
    await account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: LOCK_KEY, Body: body }));
    const r = await runClaw(['lock', 'release', '--repo', FIXTURE_REPO], { env: { ...env(tempDir('claw-home-')), CLAW_BOOTSTRAP_BUCKET: bucket } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^error: not releasing: the deploy lock is held by /m);
    expect(await read(bucket, LOCK_KEY)).toBe(body);
  });
});

describe('a deploy killed outright on this machine (sandbox)', () => {
  it('leaves the lock, which lock release frees as left by a dead claw here; deploys are refused until then', { timeout: 60_000 }, async () => {
    const home = tempDir('claw-home-');
    mkdirSync(join(home, '.claw'), { recursive: true });
    const env = { HOME: home, CLAW_HOME: join(home, '.claw') };
    const run = spawnClaw(['--sandbox', 'deploy', 'clawdinator-1', '--yes'], { env });
    for (;;) {
      if (/deploy clawdinator-1: started \(sending\)/.test(run.output().stderr)) break;
      const exited = await Promise.race([run.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
      if (exited) throw new Error(`the deploy ended before it could be killed:\n${run.output().stderr}`);
    }
    run.child.kill('SIGKILL');
    await run.done;
    const status = await runClaw(['--sandbox', 'lock', 'status', '--json'], { env });
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'held', pid: run.child.pid });
    const released = await runClaw(['--sandbox', 'lock', 'release'], { env });
    expect(released.exitCode, released.stderr).toBe(0);
    expect(released.stdout).toMatch(/^released the deploy lock \(its process on this machine is gone\)/);
  });
});
