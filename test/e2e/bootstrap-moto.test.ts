import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildBundle, readBundle, secretsTarFiles, sha256Hex } from '../../src/nix/bundle.js';
import { FIXTURE_REPO, runClaw, tempDir, type ClawResult } from '../helpers/claw.js';

// `claw bootstrap upload | verify` from the built binary against a real moto server,
// one fresh bucket per test (created with the SDK). --verbose prints each AWS call on
// stderr, which is how "no PutObject" is checked.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED bootstrap moto e2e: ${inject('motoSkipReason')}`);

const HOSTS = ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish'];
const KNOWN = 'hint: known hosts: clawdinator-1, clawdinator-2, clawdinator-babelfish';
const MARK = `SECRET-CONTENT-${randomBytes(6).toString('hex')}`;
const calls = (r: ClawResult) =>
  r.stderr
    .split('\n')
    .filter((l) => l.startsWith('aws '))
    .map((l) => l.split(' ')[1]);
const count = (r: ClawResult, op: string) => calls(r).filter((c) => c === op).length;
const noMarker = (...rs: ClawResult[]) => {
  for (const r of rs) expect(r.stdout + r.stderr).not.toContain(MARK);
};

function repoCopy(edit: (root: string) => void = () => {}): string {
  const root = tempDir('claw-boot-repo-');
  cpSync(FIXTURE_REPO, root, { recursive: true });
  edit(root);
  return root;
}

suite('claw bootstrap against moto', () => {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  let s3: S3Client;
  const creds = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-central-1' };
  const claw = (bucket: string, args: string[], repo = FIXTURE_REPO) =>
    runClaw([...args, '--repo', repo], { env: { ...creds, AWS_ENDPOINT_URL: endpoint!, CLAW_BOOTSTRAP_BUCKET: bucket } });
  const newBucket = async () => {
    const bucket = `claw-boot-${run}-${++n}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    return bucket;
  };
  const get = async (bucket: string, key: string) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await out.Body!.transformToByteArray(), sha256: out.Metadata?.sha256 };
  };
  const exists = (bucket: string, key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );
  const put = (bucket: string, key: string, body: Uint8Array, sha256?: string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(sha256 ? { Metadata: { sha256 } } : {}) }));

  beforeAll(() => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(() => s3?.destroy());

  it('upload all: the plan, eight PutObjects with sha256 metadata; a second upload is unchanged and puts nothing', async () => {
    const bucket = await newBucket();
    const first = await claw(bucket, ['bootstrap', 'upload', 'all', '--verbose']);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain(`Bootstrap bundles for s3://${bucket}`);
    for (const h of HOSTS) {
      expect(first.stdout).toMatch(new RegExp(`^ {2}${h} +secrets\\.tar\\.zst +create +[0-9a-f]{12} +\\d+ B, 2 secrets; not in S3 yet$`, 'm'));
      expect(first.stdout).toMatch(new RegExp(`^ {2}${h} +repo-seeds\\.tar\\.zst +create `, 'm'));
    }
    expect(first.stdout).toContain('plan: 8 bundles to upload, 0 unchanged');
    expect(first.stdout).toContain('uploaded 8 bundles, 0 unchanged');
    expect(count(first, 's3.PutObject')).toBe(8);
    for (const h of HOSTS) {
      for (const f of ['secrets.tar.zst', 'repo-seeds.tar.zst']) {
        const o = await get(bucket, `bootstrap/${h}/${f}`);
        expect(o.sha256).toBe(sha256Hex(o.body));
      }
      // Each host's secrets bundle: the agekey, its own token, the shared secret; nothing else.
      const entries = await readBundle((await get(bucket, `bootstrap/${h}/secrets.tar.zst`)).body);
      expect(entries).toEqual([
        { path: 'clawdinator.agekey', type: 'file' },
        { path: 'secrets/', type: 'directory' },
        { path: `secrets/clawdinator-discord-token-${h.replace('clawdinator-', '')}.age`, type: 'file' },
        { path: 'secrets/openai-api-key.age', type: 'file' },
      ]);
    }

    const second = await claw(bucket, ['bootstrap', 'upload', 'all', '--verbose']);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toMatch(/^ {2}clawdinator-2 +secrets\.tar\.zst +unchanged /m);
    expect(second.stdout).toContain('nothing to upload: every bundle is unchanged (8)');
    expect(count(second, 's3.PutObject')).toBe(0);
    // What S3 holds is read, not only its metadata: one GetObject per bundle.
    expect(count(second, 's3.GetObject')).toBe(8);
  });

  it('--dry-run prints the plan and uploads nothing; --json is one document', async () => {
    const bucket = await newBucket();
    const dry = await claw(bucket, ['bootstrap', 'upload', 'clawdinator-2,clawdinator-1', '--dry-run', '--json', '--verbose']);
    expect(dry.exitCode).toBe(0);
    expect(count(dry, 's3.PutObject')).toBe(0);
    const doc = JSON.parse(dry.stdout);
    expect(doc).toMatchObject({
      mode: 'dry-run',
      bucket,
      secretsFrom: 'nix/age-secrets',
      agekeyFrom: 'nix/keys/clawdinator.agekey',
      counts: { upload: 4, unchanged: 0, refused: 0 },
    });
    expect(doc.hosts.map((h: { host: string }) => h.host)).toEqual(['clawdinator-2', 'clawdinator-1']);
    expect(doc.hosts[0]).toMatchObject({ action: 'upload', prefix: 'bootstrap/clawdinator-2', violations: [], uploaded: [] });
    expect(doc.hosts[0].files).toEqual(['clawdinator.agekey', 'secrets/clawdinator-discord-token-2.age', 'secrets/openai-api-key.age']);
    expect(doc.hosts[0].bundles[0]).toMatchObject({ bundle: 'secrets', key: 'bootstrap/clawdinator-2/secrets.tar.zst', action: 'create', remoteSha256: null });
    expect(await exists(bucket, 'bootstrap/clawdinator-2/secrets.tar.zst')).toBe(false);
  });

  it('a changed secret updates every secrets bundle and leaves the seeds unchanged', async () => {
    const bucket = await newBucket();
    expect((await claw(bucket, ['bootstrap', 'upload', 'all'])).exitCode).toBe(0);
    const repo = repoCopy((root) => writeFileSync(join(root, 'nix/age-secrets/openai-api-key.age'), 'age-encryption.org/v1 rotated\n'));
    const r = await claw(bucket, ['bootstrap', 'upload', 'all', '--verbose'], repo);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ {2}clawdinator-1 +secrets\.tar\.zst +update +[0-9a-f]{12} +\d+ B, 2 secrets; content changed$/m);
    expect(r.stdout).toMatch(/^ {2}clawdinator-1 +repo-seeds\.tar\.zst +unchanged /m);
    expect(count(r, 's3.PutObject')).toBe(4);
  });

  it('verify: both bundles of each host ok; a tampered body, a foreign token and a missing bundle fail (exit 3)', async () => {
    const bucket = await newBucket();
    expect((await claw(bucket, ['bootstrap', 'upload', 'all'])).exitCode).toBe(0);
    const ok = await claw(bucket, ['bootstrap', 'verify', 'all', '--json', '--verbose']);
    expect(ok.exitCode).toBe(0);
    expect(count(ok, 's3.GetObject')).toBe(8);
    const doc = JSON.parse(ok.stdout);
    expect(doc).toMatchObject({ bucket, ok: true });
    expect(doc.hosts[1]).toMatchObject({ host: 'clawdinator-2', ok: true });
    expect(doc.hosts[1].bundles[0]).toMatchObject({ bundle: 'secrets', ok: true, entries: 4, violations: [] });
    expect(doc.hosts[1].bundles[0].sha256).toBe(doc.hosts[1].bundles[0].metadataSha256);

    // Tampered: new bytes under the old checksum.
    const key2 = 'bootstrap/clawdinator-2/secrets.tar.zst';
    const old = await get(bucket, key2);
    const tampered = Buffer.from(old.body);
    tampered[tampered.length - 1]! ^= 0xff;
    await put(bucket, key2, tampered, old.sha256);
    // Foreign token: a well-formed bundle, correct checksum, holding clawdinator-1's token too.
    const set = {
      files: new Map([
        ['clawdinator-discord-token-babelfish.age', Buffer.from(MARK)],
        ['clawdinator-discord-token-1.age', Buffer.from(MARK)],
      ]),
      agekey: Buffer.from(MARK),
      origin: 'x',
      agekeyOrigin: 'x',
    };
    const bad = await buildBundle(secretsTarFiles(set, [...set.files.keys()]));
    await put(bucket, 'bootstrap/clawdinator-babelfish/secrets.tar.zst', bad.body, bad.sha256);

    const r = await claw(bucket, ['bootstrap', 'verify', 'all']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^ {2}clawdinator-1 +secrets\.tar\.zst +ok /m);
    expect(r.stdout).toMatch(/^ {2}clawdinator-2 +secrets\.tar\.zst +FAILED .*the body does not match its sha256 metadata/m);
    expect(r.stdout).toMatch(
      /^ {2}clawdinator-babelfish +secrets\.tar\.zst +FAILED .*secrets\/clawdinator-discord-token-1\.age is the Discord token of clawdinator-1, not clawdinator-babelfish's/m,
    );
    expect(r.stdout).toContain('4 hosts verified: 2 ok, 2 failed');
    expect(r.stderr).toMatch(/^error: bootstrap bundles failed verification: clawdinator-2 \(.*\), clawdinator-babelfish \(.*\)$/m);
    expect(r.stderr).toContain('hint: re-upload with: claw bootstrap upload clawdinator-2,clawdinator-babelfish --force');
    const json = await claw(bucket, ['bootstrap', 'verify', 'all', '--json']);
    expect(json.exitCode).toBe(3);
    expect(JSON.parse(json.stdout).ok).toBe(false);
    noMarker(r, json);

    // Without --force, upload sees the tampered bytes (not only the metadata that claims them) and repairs them.
    const plain = await claw(bucket, ['bootstrap', 'upload', 'clawdinator-2']);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^ {2}clawdinator-2 +secrets\.tar\.zst +update .*the object's bytes do not match its sha256 metadata$/m);
    // The hint, run exactly as printed, repairs the rest.
    const hint = /^hint: re-upload with: claw (.*)$/m.exec(r.stderr)![1]!.split(' ');
    expect((await claw(bucket, hint)).exitCode).toBe(0);
    expect((await claw(bucket, ['bootstrap', 'verify', 'all'])).exitCode).toBe(0);

    const empty = await newBucket();
    const missing = await claw(empty, ['bootstrap', 'verify', 'clawdinator-1']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stdout).toContain('bootstrap/clawdinator-1/secrets.tar.zst is not in S3');
  });

  it('a host whose bundle breaks a rule is refused (exit 3) naming the file; the others are uploaded', async () => {
    const bucket = await newBucket();
    const repo = repoCopy((root) => rmSync(join(root, 'nix/age-secrets/clawdinator-discord-token-2.age')));
    const r = await claw(bucket, ['bootstrap', 'upload', 'all', '--verbose'], repo);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(
      /^ {2}clawdinator-2 +secrets\.tar\.zst +refused +[0-9a-f]{12} +secrets\/clawdinator-discord-token-2\.age \(clawdinator-2's own Discord token\) is missing$/m,
    );
    expect(r.stdout).toContain('plan: 6 bundles to upload, 0 unchanged, 1 host refused');
    expect(r.stderr).toMatch(
      /^error: refused the bootstrap upload for clawdinator-2 \(secrets\/clawdinator-discord-token-2\.age \(clawdinator-2's own Discord token\) is missing\)$/m,
    );
    expect(count(r, 's3.PutObject')).toBe(6);
    expect(await exists(bucket, 'bootstrap/clawdinator-1/secrets.tar.zst')).toBe(true);
    expect(await exists(bucket, 'bootstrap/clawdinator-2/secrets.tar.zst')).toBe(false);
    expect(await exists(bucket, 'bootstrap/clawdinator-2/repo-seeds.tar.zst')).toBe(false);
  });

  it('a token in repo-seeds refuses every host; its content never appears in any output', async () => {
    const bucket = await newBucket();
    const repo = repoCopy((root) => {
      mkdirSync(join(root, 'repo-seeds/leak'));
      writeFileSync(join(root, 'repo-seeds/leak/clawdinator-discord-token-1.age'), MARK);
      writeFileSync(join(root, 'nix/age-secrets/openai-api-key.age'), MARK);
    });
    const runs = [
      await claw(bucket, ['bootstrap', 'upload', 'all', '--verbose'], repo),
      await claw(bucket, ['bootstrap', 'upload', 'all', '--json', '--verbose'], repo),
      await claw(bucket, ['bootstrap', 'upload', 'all', '--dry-run'], repo),
    ];
    for (const r of runs) {
      expect(r.exitCode).toBe(3);
      expect(count(r, 's3.PutObject')).toBe(0);
      expect(r.stdout + r.stderr).toContain('leak/clawdinator-discord-token-1.age is a Discord token; repo seeds go to every host');
    }
    expect(runs[2]!.stderr).toMatch(/^error: dry run: would refuse the bootstrap upload for clawdinator-1 /m);
    expect(JSON.parse(runs[1]!.stdout).counts).toEqual({ upload: 0, unchanged: 0, refused: 4 });
    noMarker(...runs);
  });

  it('--from-s3 takes the secrets from s3://<bucket>/age-secrets/ (agekey from the repo when not there)', async () => {
    const bucket = await newBucket();
    for (const name of ['clawdinator-discord-token-1.age', 'clawdinator-discord-token-2.age', 'shared-api-key.age', 'clawdinator-github-app.pem.age']) {
      await put(bucket, `age-secrets/${name}`, Buffer.from(`${MARK} ${name}`));
    }
    const r = await claw(bucket, ['bootstrap', 'upload', 'clawdinator-1', '--from-s3', '--json', '--verbose']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ secretsFrom: `s3://${bucket}/age-secrets/`, agekeyFrom: 'nix/keys/clawdinator.agekey' });
    expect(doc.hosts[0].files).toEqual(['clawdinator.agekey', 'secrets/clawdinator-discord-token-1.age', 'secrets/shared-api-key.age']);
    // Only what clawdinator-1's bundle takes is downloaded (not the other token, not the GitHub App key), then its two bundles are read to compare.
    expect(calls(r).filter((c) => c === 's3.GetObject')).toHaveLength(4);
    noMarker(r);
    const v = await claw(bucket, ['bootstrap', 'verify', 'clawdinator-1']);
    expect(v.exitCode).toBe(0);

    // A repo without secrets of its own: verify's hint names --from-s3, and works as printed.
    const noSecrets = repoCopy((root) => rmSync(join(root, 'nix/age-secrets'), { recursive: true }));
    const key = 'bootstrap/clawdinator-1/secrets.tar.zst';
    const good = await get(bucket, key);
    await put(bucket, key, Buffer.concat([Buffer.from(good.body), Buffer.from('x')]), good.sha256);
    const failed = await claw(bucket, ['bootstrap', 'verify', 'clawdinator-1'], noSecrets);
    expect(failed.exitCode).toBe(3);
    expect(failed.stderr).toContain('hint: re-upload with: claw bootstrap upload clawdinator-1 --from-s3 --force');
    const printed = /^hint: re-upload with: claw (.*)$/m.exec(failed.stderr)![1]!.split(' ');
    expect((await claw(bucket, printed, noSecrets)).exitCode).toBe(0);
    expect((await claw(bucket, ['bootstrap', 'verify', 'clawdinator-1'], noSecrets)).exitCode).toBe(0);

    const none = await claw(await newBucket(), ['bootstrap', 'upload', 'all', '--from-s3']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/^error: s3:\/\/claw-boot-.*\/age-secrets\/ holds no secrets$/m);
  });

  it('bad input is refused before any AWS call (exit 2); a missing bucket names bootstrapBucket', async () => {
    for (const target of ['clawdinator-9', 'x;reboot', '$(id)', 'clawdinator-1,,clawdinator-2', 'all,clawdinator-1']) {
      for (const cmd of ['upload', 'verify']) {
        const r = await claw('claw-boot-unused', ['bootstrap', cmd, target, '--verbose']);
        expect(r.exitCode, `${cmd} ${target}`).toBe(2);
        expect(r.stderr).toContain(KNOWN);
        expect(calls(r)).toEqual([]);
      }
    }
    const missing = await claw(`claw-boot-${run}-missing`, ['bootstrap', 'upload', 'all']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(
      `error: bootstrap bucket claw-boot-${run}-missing does not exist (config key bootstrapBucket, from CLAW_BOOTSTRAP_BUCKET); nothing uploaded`,
    );
    const usage = await runClaw(['bootstrap', 'upload'], { cwd: FIXTURE_REPO });
    expect(usage.exitCode).toBe(2);
  });
});
