import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';

// The seed's backup lane: the backup bucket's files carry generated content (readable,
// stable bytes whose MD5 is their ETag, kept in the state as a small descriptor), and
// the OpenClaw lab host that backs up to that bucket.

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
const NOW = new Date('2026-03-06T12:34:56.000Z');
const BUCKET = 'openclaw-lab-backup-lab-123456789012';
const LAB = 'i-07e1a3c5b9d2f4068';
const KIB = 1024;

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-seed-backup-'));
});
afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

const open = (dir = home, now = NOW, seedDir = SEED_DIR) => openSandbox({ home: dir, seedDir, now: () => now });
const bytesOf = async (sb: Sandbox, key: string) =>
  Buffer.from(await (await sb.clients.s3.getObject({ Bucket: BUCKET, Key: key })).Body!.transformToByteArray());

async function allKeys(sb: Sandbox): Promise<{ Key?: string; Size?: number; ETag?: string }[]> {
  const out: { Key?: string; Size?: number; ETag?: string }[] = [];
  let token: string | undefined;
  do {
    const page = await sb.clients.s3.listObjectsV2({ Bucket: BUCKET, ContinuationToken: token });
    out.push(...(page.Contents ?? []));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

describe('generated content of the seeded backup files', () => {
  it('every object of the backup bucket reads back: bytes whose MD5 is the ETag, as long as the listed size', async () => {
    const sb = await open();
    const objects = await allKeys(sb);
    const big = objects.filter((o) => /\.(sqlite|tar\.zst)$/.test(o.Key!));
    expect(big.length).toBeGreaterThan(60); // latest/ and every snapshot
    for (const o of objects) {
      const got = await sb.clients.s3.getObject({ Bucket: BUCKET, Key: o.Key! });
      const bytes = await got.Body!.transformToByteArray();
      expect(`"${createHash('md5').update(bytes).digest('hex')}"`).toBe(o.ETag);
      expect([bytes.length, got.ContentLength, got.ETag]).toEqual([o.Size, o.Size, o.ETag]);
    }
    // Realistic but small: tens to a few hundred KiB.
    for (const o of big) expect(o.Size! > 64 * KIB && o.Size! < 512 * KIB).toBe(true);
  });

  it('keeps a descriptor, not the bytes: the state file stays small', async () => {
    const sb = await open();
    const objects = sb.admin.state().buckets.find((b) => b.name === BUCKET)!.objects;
    const sqlite = objects.find((o) => o.key === 'latest/openclaw.sqlite')!;
    expect(sqlite).toMatchObject({ size: 204800, generated: { seed: 'latest/openclaw.sqlite' } });
    expect(sqlite).not.toHaveProperty('bodyBase64');
    expect((await stat(sb.statePath)).size).toBeLessThan(150 * KIB);
  });

  it('the bytes are stable: the same in another sandbox seeded at another time, different per file', async () => {
    const one = await open();
    const otherHome = await mkdtemp(join(tmpdir(), 'claw-seed-backup-'));
    const two = await open(otherHome, new Date(NOW.getTime() + 86_400_000));
    const a = await bytesOf(one, 'latest/openclaw.sqlite');
    expect(await bytesOf(two, 'latest/openclaw.sqlite')).toEqual(a);
    expect(await bytesOf(one, 'latest/workspace.tar.zst')).not.toEqual(await bytesOf(one, 'snapshots/2026-03-06-12-00/workspace.tar.zst'));
    expect((await bytesOf(one, 'snapshots/2026-03-06-12-00/openclaw.sqlite')).subarray(0, 64)).not.toEqual(a.subarray(0, 64));
    await rm(otherHome, { recursive: true, force: true });
  });
});

describe('the OpenClaw lab host', () => {
  it('runs, is SSM-online, is not part of the clawdinator fleet, and backs up to the bucket its stack names', async () => {
    const sb = await open();
    const out = await sb.clients.ec2.describeInstances({ InstanceIds: [LAB] });
    const lab = out.Reservations![0]!.Instances![0]!;
    const tags = Object.fromEntries(lab.Tags!.map((t) => [t.Key, t.Value]));
    expect(lab.State?.Name).toBe('running');
    expect(tags).toMatchObject({ Name: 'openclaw-lab', stack: 'lab', app: 'openclaw' });
    const info = await sb.clients.ssm.describeInstanceInformation({ Filters: [{ Key: 'InstanceIds', Values: [LAB] }] });
    expect(info.InstanceInformationList![0]!).toMatchObject({ PingStatus: 'Online', ComputerName: 'openclaw-lab' });
    // The bucket claw's backupBucketPattern openclaw-lab-backup-{stack}-{account} gives.
    expect(sb.admin.host(LAB).backupBucket).toBe(`openclaw-lab-backup-${tags.stack}-${sb.admin.state().accountId}`);
    const fleet = await sb.clients.ec2.describeInstances({ Filters: [{ Name: 'tag:app', Values: ['clawdinator'] }] });
    expect(fleet.Reservations!.flatMap((r) => r.Instances!).some((i) => i.InstanceId === LAB)).toBe(false);
  });
});

describe('seed validation', () => {
  async function brokenSeed(
    edit: (files: { s3: { buckets: { objects?: Record<string, unknown>[] }[] }; ssm: { managedInstances: Record<string, unknown>[] } }) => void,
  ) {
    const dir = await mkdtemp(join(tmpdir(), 'claw-seed-'));
    await cp(SEED_DIR, dir, { recursive: true });
    const files = {
      s3: JSON.parse(await readFile(join(dir, 's3.json'), 'utf8')),
      ssm: JSON.parse(await readFile(join(dir, 'ssm.json'), 'utf8')),
    };
    edit(files);
    await writeFile(join(dir, 's3.json'), JSON.stringify(files.s3));
    await writeFile(join(dir, 'ssm.json'), JSON.stringify(files.ssm));
    return dir;
  }

  it('an object with both generated and size content is refused, naming the choice', async () => {
    const dir = await brokenSeed((f) => void (f.s3.buckets[0]!.objects![1]!.size = 10));
    const err = await open(home, NOW, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/s3\.json: buckets\.0\.objects\.1: give exactly one of "body" \(text\), "generated"/);
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('a host backing up to a bucket s3.json does not define is refused', async () => {
    const dir = await brokenSeed((f) => void (f.ssm.managedInstances.find((m) => m.instanceId === LAB)!.host = { backupBucket: 'openclaw-lab-backup-nope-1' }));
    await expect(open(home, NOW, dir)).rejects.toThrow(
      /ssm\.json: host i-07e1a3c5b9d2f4068 backs up to bucket openclaw-lab-backup-nope-1, which s3\.json does not define/,
    );
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });
});
