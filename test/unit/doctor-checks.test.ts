import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Ec2Api, S3Api, StsApi } from '../../src/aws/clients.js';
import { UsageError } from '../../src/core/errors.js';
import type { FleetInstance, FleetSnapshot } from '../../src/core/fleet.js';
import { LOCK_KEY } from '../../src/core/lock.js';
import type { Registry } from '../../src/core/registry.js';
import { checkCredentials, checkFleet, checkImagesBucket, checkLatestAmi, checkLock } from '../../src/commands/doctor/checks-aws.js';
import { checkRegistry, checkRepo, checkSecrets, checkTofu, checkTool } from '../../src/commands/doctor/checks-local.js';
import { guarded } from '../../src/commands/doctor/doctor.js';
import { tempDir } from '../helpers/claw.js';

// The doctor's checks over fakes passed in (never module mocks). Each fake implements
// only the calls the check is expected to make and throws on any other.

function strict<T extends object>(impl: Partial<T>): T {
  return new Proxy(impl, {
    get(target, prop) {
      if (prop === 'then') return undefined;
      if (prop in target) return target[prop as keyof typeof target];
      throw new Error(`unexpected call: ${String(prop)}`);
    },
  }) as T;
}
const awsError = (name: string, status: number) => Object.assign(new Error(`${name}: denied`), { name, $metadata: { httpStatusCode: status } });
const explainNothing = () => undefined;

const host = (h: string) => ({
  id: h,
  host: h,
  instanceType: 't3.large',
  bootstrapPrefix: `bootstrap/${h}`,
  discordTokenSecret: `clawdinator-discord-token-${h}`,
});
const registry: Registry = { file: 'nix/instances.json', hosts: [host('one'), host('two')] };
const inst = (id: string, name: string, imageId = 'ami-new'): FleetInstance => ({
  instanceId: id,
  name,
  state: 'running',
  instanceType: 't3.large',
  availabilityZone: 'eu-central-1a',
  imageId,
  launchTime: '2026-11-20T00:00:00Z',
  rev: undefined,
  tags: {},
});
const images = [
  { imageId: 'ami-new', name: 'clawdinator-nixos-new', creationDate: '2026-11-21T00:00:00.000Z' },
  { imageId: 'ami-old', name: 'clawdinator-nixos-old', creationDate: '2026-11-01T00:00:00.000Z' },
];
const now = new Date('2026-11-23T00:00:00Z');

describe('a check that throws', () => {
  it('is a failed result naming why, for each id it covers, never a crash', async () => {
    const s3 = strict<S3Api>({
      headBucket: async () => {
        throw awsError('AccessDenied', 403);
      },
    });
    const out = await guarded(['images-bucket'], 'images bucket', () => checkImagesBucket(s3, 'imgs', 'the default'), explainNothing);
    expect(out).toEqual([{ id: 'images-bucket', status: 'fail', summary: 'images bucket: could not check (AccessDenied: denied)', fix: expect.any(String) }]);
    const fleet = await guarded(
      ['instances', 'ssm'],
      'fleet',
      async () => {
        throw new Error('boom');
      },
      explainNothing,
    );
    expect(fleet.map((r) => [r.id, r.status, r.summary])).toEqual([
      ['instances', 'fail', 'fleet: could not check (boom)'],
      ['ssm', 'fail', 'fleet: could not check (boom)'],
    ]);
  });

  it('a UsageError is reported as the finding it is, with its hint as the fix', async () => {
    const out = await guarded(
      ['lock'],
      'deploy lock',
      async () => {
        throw new UsageError('bucket s3://b does not exist', 'set bootstrapBucket');
      },
      explainNothing,
    );
    expect(out).toEqual([{ id: 'lock', status: 'fail', summary: 'deploy lock: bucket s3://b does not exist', fix: 'set bootstrapBucket' }]);
  });

  it('a missing images bucket is a failure naming the config key', async () => {
    const s3 = strict<S3Api>({
      headBucket: async () => {
        throw awsError('NotFound', 404);
      },
    });
    expect(await checkImagesBucket(s3, 'imgs', 'config key imagesBucket, the default')).toMatchObject({
      status: 'fail',
      summary: 'images bucket s3://imgs does not exist (config key imagesBucket, the default)',
    });
  });
});

describe('credentials', () => {
  it('names the account and the caller', async () => {
    const sts = strict<StsApi>({ getCallerIdentity: async () => ({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/ops', $metadata: {} }) });
    expect(await checkCredentials(sts)).toEqual({
      id: 'credentials',
      status: 'ok',
      summary: 'account 111122223333 as arn:aws:iam::111122223333:user/ops',
      fix: null,
    });
  });
});

describe('latest AMI', () => {
  const snapshot: FleetSnapshot = { instances: [], images, ssm: new Map() };
  const ec2 = strict<Ec2Api>({});
  const base = { snapshot, amiTag: 'clawdinator=true', override: undefined, maxAgeMs: 30 * 86_400_000, maxAgeText: '30d', now };
  it('ok when young enough, warn when older than the limit, fail when there is none', async () => {
    expect(await checkLatestAmi(ec2, base)).toMatchObject({ status: 'ok', summary: 'latest AMI ami-new (clawdinator-nixos-new) is 2d old' });
    expect(await checkLatestAmi(ec2, { ...base, maxAgeMs: 86_400_000, maxAgeText: '1d' })).toMatchObject({
      status: 'warn',
      summary: 'latest AMI ami-new (clawdinator-nixos-new) is 2d old, older than 1d',
      fix: 'build a fresh one: claw ami build',
    });
    expect(await checkLatestAmi(ec2, { ...base, snapshot: { ...snapshot, images: [] } })).toMatchObject({
      status: 'fail',
      summary: 'no AMI tagged clawdinator=true',
    });
  });
  it('an override must exist', async () => {
    const gone = strict<Ec2Api>({
      describeImages: async () => {
        throw awsError('InvalidAMIID.NotFound', 400);
      },
    });
    expect(await checkLatestAmi(gone, { ...base, override: { imageId: 'ami-0123456789abcdef0', origin: 'CLAW_AMI' } })).toMatchObject({
      status: 'fail',
      summary: 'AMI ami-0123456789abcdef0 (override from CLAW_AMI) does not exist',
    });
  });
});

describe('fleet', () => {
  it('all good: one instance each, SSM online, latest AMI', () => {
    const out = checkFleet(registry, {
      instances: [inst('i-1', 'one'), inst('i-2', 'two')],
      images,
      ssm: new Map([
        ['i-1', 'online'],
        ['i-2', 'online'],
      ]),
    });
    expect(out.map((r) => [r.id, r.status])).toEqual([
      ['instances', 'ok'],
      ['ssm', 'ok'],
      ['host-amis', 'ok'],
    ]);
  });
  it('missing and duplicate instances fail; lost SSM fails; an old AMI warns', () => {
    const out = checkFleet(registry, {
      instances: [inst('i-1', 'one', 'ami-old'), inst('i-3', 'one', 'ami-old')],
      images,
      ssm: new Map([['i-1', 'connection-lost']]),
    });
    expect(out).toEqual([
      { id: 'instances', status: 'fail', summary: 'no instance: two; several instances: one (i-1, i-3)', fix: expect.any(String) },
      { id: 'ssm', status: 'fail', summary: 'SSM does not reach one (connection-lost)', fix: expect.any(String) },
      { id: 'host-amis', status: 'warn', summary: 'one runs an AMI 1 behind latest', fix: 'replace it to move to the latest AMI: claw replace one' },
    ]);
  });
  it('SSM that could not be asked is a failure, not "all reached"', () => {
    const out = checkFleet(registry, { instances: [inst('i-1', 'one'), inst('i-2', 'two')], images, ssm: 'unavailable' }, 'ssm ping unknown: AccessDenied');
    expect(out[1]).toMatchObject({ id: 'ssm', status: 'fail', summary: 'SSM could not be asked about the instances (ssm ping unknown: AccessDenied)' });
  });
});

describe('deploy lock', () => {
  const record = (expiresAt: string) =>
    JSON.stringify({ id: 'x', holder: 'bob@desk', pid: 42, target: 'all', rev: 'ab'.repeat(20), acquiredAt: '2026-11-22T23:50:00Z', expiresAt });
  const s3With = (body: string | undefined) =>
    strict<S3Api>({
      getObject: async (input) => {
        expect(input).toEqual({ Bucket: 'boot', Key: LOCK_KEY });
        if (body === undefined) throw awsError('NoSuchKey', 404);
        return { ETag: '"e"', Body: { transformToString: async () => body }, $metadata: {} } as never;
      },
    });
  it('free is ok, expired or stale warns, held fails, unreadable fails', async () => {
    expect((await checkLock(s3With(undefined), 'boot', now, () => false)).status).toBe('ok');
    expect(await checkLock(s3With(record('2026-11-22T23:55:00Z')), 'boot', now, () => false)).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('stale: bob@desk (pid 42)'),
    });
    expect((await checkLock(s3With(record('2026-11-23T00:20:00Z')), 'boot', now, () => true)).status).toBe('warn');
    expect(await checkLock(s3With(record('2026-11-23T00:20:00Z')), 'boot', now, () => false)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('a deploy holds the lock: bob@desk (pid 42), deploying all'),
    });
    expect(await checkLock(s3With('not json'), 'boot', now, () => false)).toMatchObject({
      status: 'fail',
      summary: `s3://boot/${LOCK_KEY} is not a lock record (not JSON)`,
    });
  });
});

describe('local files', () => {
  const repo = () => {
    const root = tempDir('claw-doctor-repo-');
    mkdirSync(join(root, 'nix', 'hosts'), { recursive: true });
    mkdirSync(join(root, 'nix', 'age-secrets'), { recursive: true });
    return root;
  };
  it('every host needs its nix/hosts/<host>.nix', async () => {
    const root = repo();
    writeFileSync(join(root, 'nix', 'hosts', 'one.nix'), '{}');
    expect(await checkRegistry(registry, root)).toMatchObject({ status: 'fail', summary: 'nix/instances.json: 1 host config(s) missing: nix/hosts/two.nix' });
    writeFileSync(join(root, 'nix', 'hosts', 'two.nix'), '{}');
    expect((await checkRegistry(registry, root)).status).toBe('ok');
  });

  it('secrets: local first, S3 listed only for what is missing, the rest named with who needs it', async () => {
    const root = repo();
    writeFileSync(join(root, 'nix', 'age-secrets', 'clawdinator-discord-token-one.age'), 'x');
    const noListing = {
      where: 's3://boot/age-secrets/',
      names: async (): Promise<string[]> => {
        throw new Error('unexpected S3 listing');
      },
    };
    expect((await checkSecrets({ ...registry, hosts: [host('one')] }, root, [], noListing)).status).toBe('ok');
    const listing = { where: 's3://boot/age-secrets/', names: async () => ['clawdinator-discord-token-two.age'] };
    expect((await checkSecrets(registry, root, [], listing)).status).toBe('ok');
    expect(await checkSecrets(registry, root, ['openai-api-key'], listing)).toMatchObject({
      status: 'fail',
      summary: 'missing in nix/age-secrets/ and s3://boot/age-secrets/: openai-api-key.age (bootstrapRequiredSecrets)',
    });
  });

  it('a tool not on PATH fails with the install hint', async () => {
    expect(await checkTool('nix', 'claw-no-such-tool-xyz', { pkg: 'nix-bin' })).toEqual({
      id: 'tool:nix',
      status: 'fail',
      summary: 'nix: `claw-no-such-tool-xyz` not found on PATH',
      fix: 'install it, e.g. `sudo apt-get install nix-bin`',
    });
  });
});

describe('tofu', () => {
  it('is needed only where the repo has the infra folder', async () => {
    const root = tempDir('claw-doctor-tofu-');
    expect(await checkTofu(root, 'infra/opentofu/aws', 'claw-no-such-tofu')).toMatchObject({
      status: 'ok',
      summary: 'tofu: not needed (no infra/opentofu/aws in the repo, so no claw replace)',
    });
    mkdirSync(join(root, 'infra', 'opentofu', 'aws'), { recursive: true });
    expect(await checkTofu(root, 'infra/opentofu/aws', 'claw-no-such-tofu')).toMatchObject({
      status: 'fail',
      summary: 'tofu: `claw-no-such-tofu` not found on PATH',
      fix: expect.stringContaining('install OpenTofu'),
    });
  });
});

let hasGit = true;
try {
  execFileSync('git', ['--version']);
} catch {
  hasGit = false;
  console.warn('SKIPPED doctor repo check: git is not installed');
}

describe.skipIf(!hasGit)('repo (real git)', () => {
  const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' });
  it('not a checkout warns; HEAD not on the remote fails; pushed is ok; uncommitted changes warn', async () => {
    const plain = tempDir('claw-doctor-plain-');
    expect(await checkRepo(plain)).toMatchObject({ status: 'warn', summary: `${plain} is not a git checkout` });
    const remote = tempDir('claw-doctor-remote-');
    git(remote, 'init', '-q', '--bare');
    const root = tempDir('claw-doctor-git-');
    git(root, 'init', '-q', '-b', 'main');
    writeFileSync(join(root, 'a'), 'a');
    git(root, 'add', 'a');
    git(root, 'commit', '-qm', 'a');
    git(root, 'remote', 'add', 'origin', remote);
    git(root, 'push', '-q', 'origin', 'main');
    expect(await checkRepo(root)).toMatchObject({
      status: 'ok',
      summary: expect.stringMatching(/^HEAD [0-9a-f]{12} on origin refs\/heads\/main, working tree clean$/),
    });
    writeFileSync(join(root, 'b'), 'b');
    expect(await checkRepo(root)).toMatchObject({ status: 'warn', summary: expect.stringContaining('(uncommitted changes are not deployed)') });
    git(root, 'add', 'b');
    git(root, 'commit', '-qm', 'b');
    expect(await checkRepo(root)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('is not on the remote origin'),
      fix: expect.stringContaining('git push origin'),
    });
  });
});
