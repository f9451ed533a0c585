// `claw ami build`'s AWS half on the sandbox account: ImportSnapshot tasks that advance
// per describe, failures set up through SandboxAdmin, and interruptions at each step.
// Every run reopens the sandbox from disk, as a new claw process would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeBuild, inspectBuild, type AmiBuildDeps, type AmiBuildResult, type AmiBuildTarget, type LocalImage } from '../../src/aws/ami-build.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { clientToken, planBuild } from '../../src/core/ami-build.js';
import { RemoteError } from '../../src/core/errors.js';
import { recordingSink } from '../../src/core/events.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SEED_DIR } from '../contract/backends.js';

const BUCKET = 'clawdinator-images-eu1-20260107165216';
const target: AmiBuildTarget = {
  bucket: BUCKET,
  vmimportRole: 'vmimport',
  amiTag: { key: 'clawdinator', value: 'true' },
  bootMode: 'legacy-bios',
  architecture: 'x86_64',
};
const failure = <T>(p: Promise<unknown>): Promise<T> =>
  p.then(
    () => expect.fail('expected a failure'),
    (e: unknown) => e as T,
  );

/** Make one client call fail once (a lost connection, Ctrl-C) before it reaches the account. */
function failOnce(clients: AwsClients, service: 'ec2' | 's3', method: string): AwsClients {
  let failed = false;
  const api = new Proxy(clients[service], {
    get(t, prop, r) {
      const v = Reflect.get(t, prop, r) as unknown;
      if (prop !== method || typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (failed) return (v as (...a: unknown[]) => unknown).apply(t, args);
        failed = true;
        return Promise.reject(Object.assign(new Error(`${method}: socket hang up`), { code: 'ECONNRESET' }));
      };
    },
  });
  return { ...clients, [service]: api };
}

describe('claw ami build on the sandbox', () => {
  let home: string;
  let image: LocalImage;
  let clock: number;

  const open = () => openSandbox({ home, seedDir: SEED_DIR, now: () => new Date(clock) });
  const build = async (opts: { wrap?: (c: AwsClients) => AwsClients; sleep?: AmiBuildDeps['sleep']; sandbox?: Sandbox } = {}) => {
    const sandbox = opts.sandbox ?? (await open());
    const clients = opts.wrap ? opts.wrap(sandbox.clients) : sandbox.clients;
    const events = recordingSink();
    const deps: AmiBuildDeps = {
      ec2: clients.ec2,
      s3: clients.s3,
      events,
      now: () => new Date(clock),
      sleep: opts.sleep ?? (async (ms) => void (clock += ms)),
    };
    const state = await inspectBuild(deps, target, image);
    const result: AmiBuildResult = await executeBuild(deps, target, image, planBuild(state), state);
    return { result, events: events.events, sandbox };
  };
  const admin = async () => (await open()).admin;
  const tasks = async () => (await admin()).state().importTasks;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'claw-ami-build-'));
    clock = Date.parse('2026-11-23T10:00:00Z');
    const bytes = randomBytes(64 * 1024);
    const path = join(home, 'nixos.img');
    await writeFile(path, bytes);
    image = { path, format: 'raw', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), gitSha: 'a'.repeat(40) };
  });
  afterEach(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

  it('builds: object with its hash, import task with progress, tagged AMI and snapshot', async () => {
    const { result, events } = await build();
    expect(result).toMatchObject({
      name: 'clawdinator-nixos-20261123100000',
      sourceS3Key: 'clawdinator-nixos-20261123100000.img',
      reused: { object: false, importTask: false, image: false },
    });
    const state = (await admin()).state();
    const object = state.buckets.find((b) => b.name === BUCKET)!.objects.find((o) => o.key === result.sourceS3Key);
    expect(object?.metadata).toEqual({ sha256: image.sha256 });
    expect(state.importTasks).toMatchObject([
      {
        importTaskId: result.importTaskId,
        clientToken: clientToken(image.sha256, 1),
        roleName: 'vmimport',
        format: 'RAW',
        status: 'completed',
        snapshotId: result.snapshotId,
      },
    ]);
    expect(events.filter((e) => e.type === 'progress' && e.step === 'import').map((e) => (e as { done: number }).done)).toEqual([10, 50, 90, 100]);
    const ami = state.images.find((i) => i.imageId === result.imageId)!;
    expect(ami).toMatchObject({
      name: result.name,
      architecture: 'x86_64',
      bootMode: 'legacy-bios',
      virtualizationType: 'hvm',
      enaSupport: true,
      rootDeviceName: '/dev/xvda',
    });
    expect(ami.blockDeviceMappings).toEqual([
      expect.objectContaining({ deviceName: '/dev/xvda', snapshotId: result.snapshotId, deleteOnTermination: true, volumeType: 'gp3' }),
    ]);
    expect(ami.tags).toEqual({
      Name: result.name,
      clawdinator: 'true',
      'artifact-kind': 'ami',
      'source-s3-key': result.sourceS3Key,
      'clawdinator:git-sha': 'a'.repeat(40),
      'clawdinator:image-sha256': image.sha256,
    });
    expect(state.snapshots.find((s) => s.snapshotId === result.snapshotId)!.tags).toEqual({
      Name: `${result.name}-root-snapshot`,
      'artifact-kind': 'ami-root-snapshot',
      'source-s3-key': result.sourceS3Key,
      'clawdinator:git-sha': 'a'.repeat(40),
      'clawdinator:image-sha256': image.sha256,
    });
  });

  it('a failed import ends with its status message; the re-run starts attempt 2 on the same object', async () => {
    await (await admin()).failNextImport({ status: 'deleted', message: 'ClientError: Disk validation failed [Unsupported specified file format]' });
    const err = await failure<RemoteError>(build());
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/^import task import-snap-[0-9a-f]+ deleted: ClientError: Disk validation failed \[Unsupported specified file format\]$/);
    expect(err.hint).toMatch(/role "vmimport" exists, trusts vmie\.amazonaws\.com/);
    clock += 60_000;
    const { result } = await build();
    expect(result.reused).toEqual({ object: true, importTask: false, image: false });
    expect((await tasks()).map((t) => [t.clientToken, t.status])).toEqual([
      [clientToken(image.sha256, 1), 'deleted'],
      [clientToken(image.sha256, 2), 'completed'],
    ]);
  });

  it('without the vmimport role, ImportSnapshot is refused with what to check', async () => {
    await (await admin()).deleteRole('vmimport');
    const err = await failure<RemoteError>(build());
    expect(err.message).toMatch(/^ImportSnapshot refused: InvalidParameter: The service role vmimport provided does not exist/);
    expect(err.hint).toMatch(/trusts vmie\.amazonaws\.com/);
  });

  it('interrupted after the upload: the re-run reuses the object', async () => {
    await failure(build({ wrap: (c) => failOnce(c, 'ec2', 'importSnapshot') }));
    clock += 3_600_000; // an hour later: the name keeps the upload's stamp
    const { result, events } = await build();
    expect(result).toMatchObject({ name: 'clawdinator-nixos-20261123100000', reused: { object: true, importTask: false } });
    expect(events).toContainEqual(expect.objectContaining({ step: 'upload', outcome: 'skipped' }));
  });

  it('interrupted while the import runs: the re-run waits for the same task', async () => {
    let polls = 0;
    const interrupted = async () => {
      if (++polls === 2) throw Object.assign(new Error('interrupted'), { name: 'AbortError' });
    };
    await failure(build({ sleep: interrupted }));
    expect(await tasks()).toMatchObject([{ status: 'active' }]);
    const { result, events } = await build();
    expect(await tasks()).toHaveLength(1);
    expect(result).toMatchObject({ importTaskId: (await tasks())[0]!.importTaskId, reused: { object: true, importTask: true, image: false } });
    expect(events).toContainEqual({ type: 'step-started', step: 'import', detail: `resuming ${result.importTaskId}` });
  });

  it('interrupted after register, before the tags: the re-run registers nothing and tags', async () => {
    await failure(build({ wrap: (c) => failOnce(c, 'ec2', 'createTags') }));
    const before = (await admin()).state();
    const snap = before.importTasks[0]!.snapshotId!;
    expect(before.snapshots.find((s) => s.snapshotId === snap)!.tags).toEqual({});
    const { result } = await build();
    const after = (await admin()).state();
    expect(after.images.filter((i) => i.name === result.name)).toHaveLength(1);
    expect(result.reused).toEqual({ object: true, importTask: true, image: true });
    expect(after.snapshots.find((s) => s.snapshotId === snap)!.tags).toMatchObject({ 'artifact-kind': 'ami-root-snapshot' });
  });

  it('a finished build run again changes nothing', async () => {
    const first = await build();
    const before = (await admin()).state();
    const again = await build();
    expect(again.result).toEqual({ ...first.result, reused: { object: true, importTask: true, image: true } });
    const after = (await admin()).state();
    expect(after.images).toEqual(before.images);
    expect(after.importTasks.map((t) => t.importTaskId)).toEqual(before.importTasks.map((t) => t.importTaskId));
  });
});
