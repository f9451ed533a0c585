import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCK_KEY, newLockRecord, type LockRecord } from '../../src/core/lock.js';
import { ROOT } from '../helpers/claw.js';

// The deploy lock against moto, between real processes: each child runs
// withDeployLock (src/aws/lock.ts, bundled with esbuild) with its own SDK client, as
// two `claw deploy` runs would. moto 5.2.1 honours If-None-Match: * and If-Match on
// PutObject and If-Match on DeleteObject (412 PreconditionFailed), as S3 does.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED lock moto e2e: ${inject('motoSkipReason')}`);

const REV = '0123456789abcdef0123456789abcdef01234567';
const DRIVER = `
import { createSdkClients } from './src/aws/sdk-clients.js';
import { withDeployLock } from './src/aws/lock.js';
const [endpointUrl, bucket, holder, holdMs, goAt, readDelayMs] = process.argv.slice(2);
const ctrl = new AbortController();
process.on('SIGINT', () => ctrl.abort());
const settings = { region: 'eu-central-1', endpointUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
const sdk = createSdkClients({ ...settings, signal: ctrl.signal }).s3;
// Each read of the lock waits readDelayMs before answering, so both racers read the
// same state before either writes: the conditional put alone decides who wins.
let puts = 0;
const s3 = { ...sdk,
  getObject: async (i) => { try { return await sdk.getObject(i); } finally { await new Promise((r) => setTimeout(r, Number(readDelayMs))); } },
  putObject: (i) => (puts++, sdk.putObject(i)) };
const cleanupS3 = createSdkClients(settings).s3;
await s3.headBucket({ Bucket: bucket }); // warm the connection, so both start the race alike
await new Promise((r) => setTimeout(r, Math.max(0, Number(goAt) - Date.now())));
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
try {
  await withDeployLock(s3, { bucket, holder, pid: process.pid, target: 'all', rev: '${REV}', signal: ctrl.signal, cleanupS3,
    events: { emit: (e) => process.stderr.write('warning: ' + e.message + '\\n') } }, async (lock) => {
    say({ won: true, id: lock.record.id });
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, Number(holdMs));
      lock.signal.addEventListener('abort', () => { clearTimeout(t); reject(Object.assign(new Error('interrupted'), { name: 'AbortError' })); });
    });
  });
  say({ done: true });
} catch (err) {
  say({ won: false, puts, error: err.message, exitCode: err.exitCode ?? (err.name === 'AbortError' ? 130 : 1) });
  process.exitCode = err.exitCode ?? (err.name === 'AbortError' ? 130 : 1);
}
`;

let s3: S3Client;
let driver: string;

interface Child {
  exitCode: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}
interface Running {
  done: Promise<Child>;
  firstLine: Promise<Record<string, unknown>>;
  interrupt(): void;
}

function runDriver(bucket: string, holder: string, holdMs: number, goAt = Date.now(), readDelayMs = 0): Running {
  const args = [driver, endpoint!, bucket, holder, String(holdMs), String(goAt), String(readDelayMs)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onLine: (o: Record<string, unknown>) => void = () => {};
  const firstLine = new Promise<Record<string, unknown>>((r) => (onLine = r));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const first = stdout.split('\n')[0];
    if (stdout.includes('\n') && first) onLine(JSON.parse(first) as Record<string, unknown>);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const done = new Promise<Child>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        stderr,
        lines: stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      });
    }),
  );
  return { done, firstLine, interrupt: () => child.kill('SIGINT') };
}

async function bucket(): Promise<string> {
  const name = `claw-lock-${randomBytes(6).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  return name;
}

async function lockObject(b: string): Promise<LockRecord | undefined> {
  try {
    return JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: b, Key: LOCK_KEY }))).Body!.transformToString()) as LockRecord;
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

suite('deploy lock against moto, between processes', () => {
  beforeAll(async () => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const dir = mkdtempSync(join(tmpdir(), 'claw-lock-driver-'));
    driver = join(dir, 'driver.mjs');
    const out = await build({
      stdin: { contents: DRIVER, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      write: false,
      logLevel: 'silent',
      // The SDK's CommonJS parts call require(): give the ESM bundle one.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    writeFileSync(driver, out.outputFiles[0]!.text);
  }, 60_000);
  afterAll(() => s3?.destroy());

  /** Two processes on one bucket, started together, both reading the lock before either writes. */
  async function race(b: string) {
    const goAt = Date.now() + 1_500;
    const results = await Promise.all([runDriver(b, 'alice@laptop', 1_000, goAt, 400).done, runDriver(b, 'bob@desk', 1_000, goAt, 400).done]);
    const winners = results.filter((r) => r.lines[0]?.won === true);
    const losers = results.filter((r) => r.lines[0]?.won === false);
    expect(winners, JSON.stringify(results)).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect([winners[0]!.exitCode, losers[0]!.exitCode]).toEqual([0, 3]);
    // The loser did write, conditionally, and was turned down by S3 (412), not by its read.
    expect(losers[0]!.lines[0]!.puts).toBe(1);
    return { winner: results.indexOf(winners[0]!) === 0 ? 'alice@laptop' : 'bob@desk', loser: losers[0]!, winnerRun: winners[0]! };
  }

  it('two deploys started at the same moment: exactly one proceeds, the other is refused naming the holder', async () => {
    // Three independent races at once, each between two processes on its own bucket.
    const buckets = await Promise.all([0, 1, 2].map(() => bucket()));
    const results = await Promise.all(buckets.map(race));
    for (const [i, r] of results.entries()) {
      const b = buckets[i]!;
      expect(r.loser.lines[0]!.error).toMatch(
        new RegExp(`^the deploy lock is held by ${r.winner} \\(pid \\d+\\), deploying all at 0123456789ab, for \\d+s, expires in (29|30)m$`),
      );
      expect(await lockObject(b)).toBeUndefined(); // the winner released it
    }
  });

  it('two deploys taking over the same expired lock: exactly one replaces it (If-Match), the other is refused', async () => {
    const b = await bucket();
    const old = newLockRecord({ id: 'old', holder: 'carol@gone', pid: 1, target: 'all', rev: REV, now: new Date(Date.now() - 3_600_000), ttlMs: 1_800_000 });
    await s3.send(new PutObjectCommand({ Bucket: b, Key: LOCK_KEY, Body: JSON.stringify(old) }));
    const r = await race(b);
    expect(r.winnerRun.stderr).toMatch(/took over the deploy lock from carol@gone/);
    expect(r.loser.lines[0]!.error).toMatch(new RegExp(`held by ${r.winner}`));
    expect(await lockObject(b)).toBeUndefined();
  });

  it('Ctrl-C releases the lock', async () => {
    const b = await bucket();
    const run = runDriver(b, 'alice@laptop', 20_000);
    expect(await run.firstLine).toMatchObject({ won: true });
    expect((await lockObject(b))?.holder).toBe('alice@laptop');
    run.interrupt();
    const r = await run.done;
    expect(r.lines.at(-1)).toMatchObject({ won: false, exitCode: 130 });
    expect(await lockObject(b)).toBeUndefined();
  });

  it('an expired lock is taken over, and that is said; a live one is not', async () => {
    const b = await bucket();
    const old = newLockRecord({
      id: 'old',
      holder: 'carol@gone',
      pid: 1,
      target: 'clawdinator-1',
      rev: REV,
      now: new Date(Date.now() - 3_600_000),
      ttlMs: 1_800_000,
    });
    await s3.send(new PutObjectCommand({ Bucket: b, Key: LOCK_KEY, Body: JSON.stringify(old) }));
    const r = await runDriver(b, 'alice@laptop', 10).done;
    expect(r.lines[0]).toMatchObject({ won: true });
    expect(r.stderr).toMatch(
      /^warning: took over the deploy lock from carol@gone \(pid 1\), deploying clawdinator-1 at 0123456789ab, for 1h, expired 30m ago \(it had expired\)$/m,
    );
    expect(await lockObject(b)).toBeUndefined();

    const live = newLockRecord({ id: 'live', holder: 'dave@ci', pid: 7, target: 'all', rev: REV, now: new Date(), ttlMs: 1_800_000 });
    await s3.send(new PutObjectCommand({ Bucket: b, Key: LOCK_KEY, Body: JSON.stringify(live) }));
    const refused = await runDriver(b, 'alice@laptop', 10).done;
    expect(refused.exitCode).toBe(3);
    expect(refused.lines[0]!.error).toMatch(/held by dave@ci \(pid 7\)/);
    expect((await lockObject(b))?.id).toBe('live');
  });
});
