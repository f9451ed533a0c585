import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw, spawnClaw, tempDir } from '../helpers/claw.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// The local side of backup push and pull under attack, from the built binary against
// moto: claw removes only temporary files it made itself (in its own .claw-tmp folder),
// never touches a push's source, never writes through a symbolic link or outside --to,
// never blocks on a FIFO, never stores a checksum of bytes it did not send, and reports
// a file/folder clash in S3 once instead of failing on it forever.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED local sync attacks e2e: ${inject('motoSkipReason')}`);

let account: MotoAccount;
let proxy: FaultProxy;
let scripted: ((req: SeenRequest) => Fault) | undefined;

async function newBucket(): Promise<string> {
  const name = `claw-local-${randomBytes(4).toString('hex')}`;
  await account.s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  return name;
}
const put = (bucket: string, key: string, body: string) => account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const keys = async (bucket: string) => ((await account.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
const env = (viaProxy: boolean) => ({ ...account.env, ...(viaProxy ? { AWS_ENDPOINT_URL: proxy.endpoint } : {}) });
const claw = (args: string[], o: { viaProxy?: boolean } = {}) =>
  runClaw([...args, '--repo', FIXTURE_REPO], { env: env(Boolean(o.viaProxy)), timeoutMs: 60_000 });

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Hold the first request `match` accepts until released; say when it arrived. */
function holdFirst(match: (req: SeenRequest) => boolean) {
  const reached = deferred();
  const release = deferred();
  let held = false;
  scripted = (req) => {
    if (held || !match(req)) return undefined;
    held = true;
    reached.resolve();
    return { until: release.promise };
  };
  return { reached: reached.promise, release: () => release.resolve() };
}

suite('backup push and pull: the local side under attack (moto)', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    proxy = await startFaultProxy(endpoint!, (req) => scripted?.(req));
  });
  afterAll(async () => {
    account?.destroy();
    await proxy?.close();
  });

  it("a user file named like a temporary one is never deleted: not from a push's source, not from a pull's target", async () => {
    const bucket = await newBucket();
    const src = tempDir('claw-src-');
    writeFileSync(join(src, 'report.claw-partial-final.txt'), 'my report');
    writeFileSync(join(src, 'a.txt'), 'a');
    const pushed = await claw(['backup', 'push', '--bucket', bucket, '--from', src, '--yes']);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect(readFileSync(join(src, 'report.claw-partial-final.txt'), 'utf8')).toBe('my report');
    expect(await keys(bucket)).toEqual(['latest/a.txt', 'latest/report.claw-partial-final.txt']);

    const dst = tempDir('claw-dst-');
    writeFileSync(join(dst, 'notes.claw-partial-0123456789ab'), 'my notes');
    const pulled = await claw(['backup', 'pull', '--bucket', bucket, '--to', dst, '--yes']);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(readdirSync(dst).sort()).toEqual(['a.txt', 'notes.claw-partial-0123456789ab', 'report.claw-partial-final.txt']);
    expect(readFileSync(join(dst, 'notes.claw-partial-0123456789ab'), 'utf8')).toBe('my notes');
  });

  it(
    "a killed pull's temporary folder is shown in the plan and removed by the next pull; a .claw-tmp that is not claw's is refused (exit 3)",
    { timeout: 60_000 },
    async () => {
      const bucket = await newBucket();
      const big = randomBytes(20 * 1024 * 1024);
      await account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'latest/big.bin', Body: big }));
      const dst = tempDir('claw-dst-');
      const hold = holdFirst((r) => r.method === 'GET' && r.path.includes('big.bin'));
      const run = spawnClaw(['backup', 'pull', '--bucket', bucket, '--to', dst, '--yes', '--repo', FIXTURE_REPO], { env: env(true) });
      await hold.reached;
      run.child.kill('SIGKILL');
      await run.done;
      hold.release();
      scripted = undefined;
      expect(readdirSync(join(dst, '.claw-tmp')).filter((n) => n.startsWith('run-'))).toHaveLength(1);

      const again = await claw(['backup', 'pull', '--bucket', bucket, '--to', dst, '--yes']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/remove 1 temporary folder of a killed pull \(\.claw-tmp\/run-[0-9a-f]{16}\)/);
      expect(readdirSync(dst)).toEqual(['big.bin']);

      const foreign = tempDir('claw-dst-');
      mkdirSync(join(foreign, '.claw-tmp'));
      writeFileSync(join(foreign, '.claw-tmp', 'mine.txt'), "not claw's");
      const refused = await claw(['backup', 'pull', '--bucket', bucket, '--to', foreign, '--yes']);
      expect(refused.exitCode).toBe(3);
      expect(refused.stderr).toMatch(
        /^error: \S+\/\.claw-tmp is not claw's temporary folder \(it has no CLAW-TEMPORARY file of claw's\); claw will not write into it or remove it$/m,
      );
      expect(readdirSync(join(foreign, '.claw-tmp'))).toEqual(['mine.txt']);
    },
  );

  it('pull never writes through a directory symlink inside --to: the key is refused (exit 1) and nothing lands outside', async () => {
    const bucket = await newBucket();
    await put(bucket, 'latest/link/evil.txt', 'pwned');
    await put(bucket, 'latest/ok.txt', 'fine');
    const dst = tempDir('claw-dst-');
    const elsewhere = tempDir('claw-elsewhere-');
    symlinkSync(elsewhere, join(dst, 'link'));
    const r = await claw(['backup', 'pull', '--bucket', bucket, '--to', dst, '--yes']);
    expect(r.exitCode).toBe(1);
    expect(existsSync(join(elsewhere, 'evil.txt'))).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(r.stderr).toMatch(/^warning: not pulled: s3:\/\/\S+\/latest\/link\/evil\.txt: link here is a symbolic link: claw never writes through it$/m);
    expect(r.stderr).toMatch(/download link\/evil\.txt: not written: link here is a symbolic link/);
    expect(readFileSync(join(dst, 'ok.txt'), 'utf8')).toBe('fine');

    // claw's temporary folder planted as a link to elsewhere: refused before anything is written.
    const planted = tempDir('claw-dst-');
    symlinkSync(elsewhere, join(planted, '.claw-tmp'));
    const r2 = await claw(['backup', 'pull', '--bucket', bucket, '--to', planted, '--yes']);
    expect(r2.exitCode).toBe(3);
    expect(r2.stderr).toMatch(/\.claw-tmp is not claw's temporary folder \(it is a symbolic link\)/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('keys pa and pa/b in one prefix: the clash is reported once, the rest is pulled, exit 1 naming both; a re-run says the same (no EISDIR loop)', async () => {
    const bucket = await newBucket();
    await put(bucket, 'latest/pa', 'file');
    await put(bucket, 'latest/pa/b', 'under');
    await put(bucket, 'latest/other.txt', 'other');
    const dst = tempDir('claw-dst-');
    for (let run = 1; run <= 2; run++) {
      const r = await claw(['backup', 'pull', '--bucket', bucket, '--to', dst, '--yes']);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr.match(/^warning: not pulled: .*both an object and a folder in the source \(pa and pa\/\.\.\.\)/gm)).toEqual([
        expect.stringMatching(/^warning: not pulled: s3:\/\/\S+\/latest\/pa, s3:\/\/\S+\/latest\/pa\/b: both/),
      ]);
      expect(r.stderr).toMatch(/^ {2}download pa: not written: both an object and a folder/m);
      expect(r.stderr).toMatch(/^ {2}download pa\/b: not written: both an object and a folder/m);
      expect(r.stderr).not.toMatch(/EISDIR|ENOTDIR/);
      expect(readdirSync(dst)).toEqual(['other.txt']);
    }
  });

  it('a file replaced by a FIFO between plan and upload: push fails that file in one line, never hangs', { timeout: 60_000 }, async () => {
    const bucket = await newBucket();
    const src = tempDir('claw-src-');
    writeFileSync(join(src, 'a.txt'), 'a');
    writeFileSync(join(src, 'b.txt'), 'b');
    // The first write of the push is its unfinished-overwrite marker: by then the plan is made.
    const hold = holdFirst((r) => r.method === 'PUT');
    const run = spawnClaw(['backup', 'push', '--bucket', bucket, '--from', src, '--yes', '--repo', FIXTURE_REPO], { env: env(true), timeoutMs: 30_000 });
    await hold.reached;
    unlinkSync(join(src, 'b.txt'));
    execFileSync('mkfifo', [join(src, 'b.txt')]);
    hold.release();
    const r = await run.done;
    scripted = undefined;
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/upload b\.txt: NotRegularFileError: \S+\/b\.txt is a FIFO \(named pipe\), not a regular file/);
    expect(await keys(bucket)).toContain('latest/a.txt');
  });

  it(
    'a 48 MiB file rewritten in place (same size) during its multipart upload: exit 1, nothing stored under that key, a re-run stores it and it pulls back',
    { timeout: 90_000 },
    async () => {
      const bucket = await newBucket();
      const src = tempDir('claw-src-');
      const path = join(src, 'db.sqlite');
      writeFileSync(path, randomBytes(48 * 1024 * 1024));
      const hold = holdFirst((r) => r.method === 'POST' && r.path.includes('db.sqlite') && r.path.includes('uploads'));
      const run = spawnClaw(['backup', 'push', '--bucket', bucket, '--from', src, '--yes', '--repo', FIXTURE_REPO], { env: env(true), timeoutMs: 60_000 });
      await hold.reached;
      writeFileSync(path, randomBytes(48 * 1024 * 1024), { flag: 'r+' });
      hold.release();
      const r = await run.done;
      scripted = undefined;
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/upload db\.sqlite: FileChangedError: \S+db\.sqlite changed while it was being read/);
      expect(await keys(bucket)).not.toContain('latest/db.sqlite');
      expect((await account.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);

      const again = await claw(['backup', 'push', '--bucket', bucket, '--from', src, '--yes']);
      expect(again.exitCode, again.stderr).toBe(0);
      const head = await account.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'latest/db.sqlite' }));
      expect(head.Metadata?.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
      const dst = tempDir('claw-dst-');
      const pulled = await claw(['backup', 'pull', '--bucket', bucket, '--to', dst, '--yes']);
      expect(pulled.exitCode, pulled.stderr).toBe(0);
      expect(readFileSync(join(dst, 'db.sqlite')).equals(readFileSync(path))).toBe(true);
      rmSync(src, { recursive: true, force: true });
    },
  );

  it('push follows symbolic links as aws s3 sync does (a loop is skipped with a warning); --no-follow-symlinks skips them; objects get a Content-Type from the name', async () => {
    const bucket = await newBucket();
    const src = tempDir('claw-src-');
    const outside = tempDir('claw-outside-');
    writeFileSync(join(outside, 'shared.json'), '{"a":1}');
    mkdirSync(join(src, 'sub'));
    writeFileSync(join(src, 'sub', 'page.html'), '<p>');
    symlinkSync(outside, join(src, 'linked'));
    symlinkSync(join(outside, 'shared.json'), join(src, 'file-link.json'));
    symlinkSync(src, join(src, 'sub', 'loop'));
    const r = await claw(['backup', 'push', '--bucket', bucket, '--from', src, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: skipped \S+\/sub\/loop: a symbolic link loop/m);
    expect(await keys(bucket)).toEqual(['latest/file-link.json', 'latest/linked/shared.json', 'latest/sub/page.html']);
    const type = async (key: string) => (await account.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).ContentType;
    expect(await type('latest/linked/shared.json')).toBe('application/json');
    expect(await type('latest/sub/page.html')).toBe('text/html');

    const plain = await newBucket();
    const r2 = await claw(['backup', 'push', '--bucket', plain, '--from', src, '--yes', '--no-follow-symlinks']);
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(await keys(plain)).toEqual(['latest/sub/page.html']);
  });
});

// The host's own timer syncs with `aws s3 sync`: a claw push of the same tree must give
// the same objects (keys, bytes, Content-Type), symbolic links followed as the CLI does.
const AWS_CLI = '/usr/bin/aws';
const awsCli = existsSync(AWS_CLI);
if (!awsCli && process.env.CI === 'true') throw new Error(`${AWS_CLI} (Debian's awscli, v2) is required under CI=true: .ci/run installs it`);
if (!awsCli) console.warn(`SKIPPED push vs aws s3 sync: ${AWS_CLI} is missing (sudo apt-get install awscli)`);

(endpoint && awsCli ? describe : describe.skip)("backup push next to aws s3 sync (the host timer's tool), on one tree (moto)", () => {
  let moto: MotoAccount;
  beforeAll(async () => {
    moto = await openMotoAccount(endpoint!);
  });
  afterAll(() => moto?.destroy());

  it('the same keys, bytes and Content-Types; symbolic links to files and folders followed alike', async () => {
    const src = tempDir('claw-vs-aws-');
    const outside = tempDir('claw-vs-aws-out-');
    mkdirSync(join(src, 'workspace', 'notes'), { recursive: true });
    writeFileSync(join(src, 'openclaw.sqlite'), randomBytes(70_000));
    writeFileSync(join(src, 'workspace', 'AGENTS.md'), '# agents\n');
    writeFileSync(join(src, 'workspace', 'notes', 'day.txt'), 'today\n');
    writeFileSync(join(src, 'config.json'), '{"gateway":{"port":18789}}\n');
    writeFileSync(join(src, 'page.html'), '<p>hi</p>');
    writeFileSync(join(src, 'blob.unknownext'), 'x');
    writeFileSync(join(outside, 'shared.yaml'), 'a: 1\n');
    symlinkSync(outside, join(src, 'linked-dir'));
    symlinkSync(join(src, 'config.json'), join(src, 'config-link.json'));

    const bucketOf = async (name: string) => {
      await moto.s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
      return name;
    };
    const viaAws = await bucketOf(`claw-vs-aws-a-${randomBytes(3).toString('hex')}`);
    const viaClaw = await bucketOf(`claw-vs-aws-c-${randomBytes(3).toString('hex')}`);
    // AWS_CA_BUNDLE unset and no pager: moto is plain http, and nothing may wait on a terminal.
    execFileSync(AWS_CLI, ['s3', 'sync', src, `s3://${viaAws}/latest/`, '--endpoint-url', endpoint!, '--no-progress', '--only-show-errors'], {
      env: { PATH: process.env.PATH ?? '', HOME: src, ...moto.env, AWS_DEFAULT_REGION: 'eu-central-1', AWS_PAGER: '', AWS_CA_BUNDLE: '' },
    });
    const r = await runClaw(['backup', 'push', '--bucket', viaClaw, '--from', src, '--yes', '--repo', FIXTURE_REPO], { env: moto.env, timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);

    const objects = async (bucket: string) => {
      const listed = ((await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
      return Promise.all(
        listed.map(async (key) => {
          const o = await moto.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          const body = Buffer.from(await o.Body!.transformToByteArray());
          return { key, sha256: createHash('sha256').update(body).digest('hex'), contentType: o.ContentType };
        }),
      );
    };
    const theirs = await objects(viaAws);
    expect(theirs.map((o) => o.key)).toContain('latest/linked-dir/shared.yaml');
    expect(theirs.map((o) => o.key)).toContain('latest/config-link.json');
    expect(await objects(viaClaw)).toEqual(theirs);
  });
});

describe('the registry as a FIFO or a link to /dev/zero', () => {
  it.each([
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p]), 'a FIFO (named pipe)'],
    ['a symbolic link to /dev/zero', (p: string) => symlinkSync('/dev/zero', p), 'a character device'],
  ])('%s: every command exits 2 at once, naming it', async (_, make, kind) => {
    const repo = tempDir('claw-repo-');
    mkdirSync(join(repo, 'nix'));
    make(join(repo, 'nix', 'instances.json'));
    const r = await runClaw(['--sandbox', 'status', '--repo', repo], { timeoutMs: 15_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: the registry \\S+instances\\.json is ${kind.replace(/[()]/g, '\\$&')}, not a regular file$`, 'm'));
  });
});
