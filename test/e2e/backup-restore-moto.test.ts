import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runClaw } from '../helpers/claw.js';

// The restore round trip from the built binary against moto: push a tree, push a changed
// one (the first is kept as a snapshot), restore that snapshot (the changed one is kept in
// turn), pull, and compare byte for byte; then the kept copies undo it.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED backup-restore-moto e2e: ${inject('motoSkipReason')}`);

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL: endpoint ?? '', AWS_REGION: 'eu-central-1' };
const s3 = new S3Client({
  endpoint: endpoint ?? undefined,
  region: 'eu-central-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const dirs: string[] = [];
afterAll(async () => {
  s3.destroy();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const claw = (...args: string[]) => runClaw(['backup', ...args], { env });
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'claw-restore-'));
  dirs.push(d);
  return d;
};

async function writeTree(dir: string, files: Record<string, Buffer | string>) {
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), body);
  }
}

async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[relative(dir, path).split('\\').join('/')] = (await readFile(path)).toString('base64');
  }
  return out;
}

async function newStack() {
  const stack = `rt-${randomUUID().slice(0, 8)}`;
  const bucket = `openclaw-lab-backup-${stack}-123456789012`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  const keys = async (prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
  return { stack, bucket, keys };
}

suite('claw backup push / restore / pull against moto', () => {
  it('round trip: the restored state pulls back byte for byte, and the pre-restore snapshot exists', async () => {
    const { stack, keys } = await newStack();
    const a = await tempDir();
    const treeA = {
      'openclaw.sqlite': randomBytes(300_000),
      'config/openclaw.json': '{"gateway":{"port":18789}}\n',
      'workspace/notes/ünïcødé ✓.md': 'hello\n',
      'empty.txt': '',
    };
    await writeTree(a, treeA);
    const first = await claw('push', '--stack', stack, '--from', a, '--json');
    expect(first.stderr).not.toMatch(/error/);
    expect(first.exitCode).toBe(0);
    // Nothing to keep yet: latest/ was empty, so no snapshot and no confirmation.
    expect(JSON.parse(first.stdout)).toMatchObject({ mode: 'run', keptAs: null });

    const b = await tempDir();
    await writeTree(b, { ...treeA, 'openclaw.sqlite': randomBytes(300_000), 'new-file.txt': 'only in B\n' });
    await rm(join(b, 'config'), { recursive: true });
    const refused = await claw('push', '--stack', stack, '--from', b, '--delete');
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/refusing without a terminal: Overwrite s3:\/\/.*\/latest\/ with/);
    const second = await claw('push', '--stack', stack, '--from', b, '--delete', '--yes', '--json');
    expect(second.exitCode).toBe(0);
    const keptA = (JSON.parse(second.stdout) as { keptAs: string }).keptAs;
    expect(keptA).toMatch(/^snapshots\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\/$/);
    expect(await keys(keptA)).toEqual(Object.keys(treeA).sort());
    expect(await keys('latest/')).toEqual(['empty.txt', 'new-file.txt', 'openclaw.sqlite', 'workspace/notes/ünïcødé ✓.md']);

    const stampA = keptA.slice('snapshots/'.length, -1);
    const dry = await claw('restore', '--stack', stack, '--snapshot', stampA, '--delete', '--dry-run', '--json');
    expect(dry.exitCode).toBe(0);
    const dryDoc = JSON.parse(dry.stdout) as { mode: string; steps: { id: string; summary: { copy: { count: number }; delete: { count: number } } }[] };
    expect(dryDoc.mode).toBe('dry-run');
    expect(dryDoc.steps.map((s) => s.id)).toEqual(['keep-latest', 'restore']);
    expect(dryDoc.steps[1]!.summary).toMatchObject({ copy: { count: 2 }, delete: { count: 1 } });
    expect(await keys('latest/')).toContain('new-file.txt');

    const restored = await claw('restore', '--stack', stack, '--snapshot', stampA, '--delete', '--yes');
    expect(restored.exitCode).toBe(0);
    const undo = /undo with: claw backup restore --stack \S+ --snapshot (\S+) --delete/.exec(restored.stdout);
    expect(undo, restored.stdout).not.toBeNull();
    expect(restored.stderr).toMatch(/^warning: the host's backup timer syncs its disk to latest\/ every 20 minutes/m);
    expect(restored.stderr).toMatch(/^requests: .*s3\.CopyObject \d+/m);

    const pulled = await tempDir();
    const pull = await claw('pull', '--stack', stack, '--to', pulled);
    expect(pull.exitCode).toBe(0);
    expect(await readTree(pulled)).toEqual(await readTree(a));

    // The pre-restore snapshot holds B exactly: pulling it gives B back.
    const pulledB = await tempDir();
    expect((await claw('pull', '--stack', stack, '--snapshot', undo![1]!, '--to', pulledB)).exitCode).toBe(0);
    expect(await readTree(pulledB)).toEqual(await readTree(b));

    // A second pull has nothing to do and lists only.
    const again = await claw('pull', '--stack', stack, '--to', pulled);
    expect(again.stdout).toMatch(/already matches .*nothing to pull/);
    expect(again.stderr).not.toMatch(/GetObject/);
  });

  it('refuses bad input before any change: no source, both sources, an unknown snapshot, an overlapping --from, a bad --max-delete', async () => {
    const { stack, bucket, keys } = await newStack();
    const a = await tempDir();
    await writeTree(a, { 'x.txt': 'x' });
    expect((await claw('push', '--stack', stack, '--from', a)).exitCode).toBe(0);
    const cases: [string[], RegExp][] = [
      [['restore', '--stack', stack], /name exactly one source/],
      [['restore', '--stack', stack, '--snapshot', '2026-01-01-00-00', '--from', `s3://${bucket}/x/`], /name exactly one source/],
      [['restore', '--stack', stack, '--snapshot', '2026-01-01-00-00'], /no snapshot 2026-01-01-00-00 in s3:\/\/.* \(there are none\)/],
      [['restore', '--stack', stack, '--snapshot', '$(reboot)'], /is not a snapshot time/],
      [['restore', '--stack', stack, '--from', `s3://${bucket}/latest/`], /overlaps latest\//],
      [['restore', '--stack', stack, '--from', 's3://Bad_Bucket/x/'], /is not a valid S3 bucket name/],
      [['push', '--stack', stack, '--from', a, '--max-delete', '-1'], /--max-delete -1: expected a whole number/],
      [['push', '--stack', stack, '--from', join(a, 'missing')], /--from .* does not exist/],
      [['pull', '--stack', stack], /--to DIR is required/],
      [
        ['push', '--stack', 'no-such-stack', '--from', a],
        /^error: backup bucket s3:\/\/openclaw-lab-backup-no-such-stack-123456789012 does not exist \(backupBucketPattern/,
      ],
      [['pull', '--stack', 'no-such-stack', '--to', a], /^error: backup bucket s3:\/\/openclaw-lab-backup-no-such-stack-123456789012 does not exist/],
    ];
    for (const [args, message] of cases) {
      const r = await claw(...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0], args.join(' ')).toMatch(message);
    }
    expect(await keys('')).toEqual(['latest/x.txt']);
  });

  it('--max-delete: a plan with more deletes is refused before anything changes (exit 3)', async () => {
    const { stack, keys } = await newStack();
    const a = await tempDir();
    await writeTree(a, { '1.txt': '1', '2.txt': '2', '3.txt': '3' });
    expect((await claw('push', '--stack', stack, '--from', a)).exitCode).toBe(0);
    const b = await tempDir();
    await writeTree(b, { '1.txt': 'one' });
    const r = await claw('push', '--stack', stack, '--from', b, '--delete', '--max-delete', '1', '--yes');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/would delete 2 objects, more than --max-delete 1; nothing was changed/);
    expect(await keys('')).toEqual(['latest/1.txt', 'latest/2.txt', 'latest/3.txt']);
  });
});
