import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { SEED_DIR } from '../contract/backends.js';
import { runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox ami build --image FILE` from the built binary: plan, progress, the
// JSON result, resume, and the failures an operator sees. One sandbox per test.

/** git's path (the test needs it; the sandbox repo is a real checkout). */
const gitPath = (process.env.PATH ?? '')
  .split(delimiter)
  .map((d) => join(d, 'git'))
  .find((p) => existsSync(p));

const BUCKET = 'clawdinator-images-eu1-20260107165216';

describe('claw --sandbox ami build', () => {
  let home: string;
  let img: string;
  let sha: string;
  const claw = (args: string[]) => runClaw(['--sandbox', 'ami', 'build', ...args], { env: { HOME: home }, cwd: home });
  const sandbox = () => openSandbox({ home: join(home, '.claw'), seedDir: SEED_DIR });

  beforeEach(() => {
    home = tempDir('claw-ami-build-e2e-');
    img = join(home, 'nixos.img');
    const bytes = randomBytes(256 * 1024);
    writeFileSync(img, bytes);
    sha = createHash('sha256').update(bytes).digest('hex');
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = (await sandbox()).admin.state();
    const r = await claw(['--image', img, '--dry-run']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`image: ${img} (raw, sha256 ${sha})`);
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['upload', 'import', 'register', 'tag']);
    expect(lines[1]).toMatch(new RegExp(`^upload: s3://${BUCKET}/clawdinator-nixos-\\d{14}\\.img$`));
    expect(lines[2]).toMatch(/\(attempt 1\)$/);
    const after = (await sandbox()).admin.state();
    expect(after.importTasks).toEqual(before.importTasks);
    expect(after.images).toEqual(before.images);
    expect(after.buckets).toEqual(before.buckets);
  });

  it('builds with progress on stderr and one JSON document; a re-run reuses everything', async () => {
    const r = await claw(['--image', img, '--json']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['imageId', 'importTaskId', 'name', 'reused', 'sha256', 'snapshotId', 'sourceS3Key']);
    expect(out).toMatchObject({
      imageId: expect.stringMatching(/^ami-[0-9a-f]{17}$/),
      snapshotId: expect.stringMatching(/^snap-/),
      importTaskId: expect.stringMatching(/^import-snap-/),
      sha256: sha,
      reused: { object: false, importTask: false, image: false },
    });
    expect(out.sourceS3Key).toBe(`${out.name}.img`);
    expect(r.stderr).toMatch(/^plan: upload: s3:\/\//m);
    expect(r.stderr).toMatch(/^hash: ok \([0-9a-f]{64}\)$/m);
    expect(r.stderr).toMatch(/^upload: ok$/m);
    expect(r.stderr).toMatch(/^import: 100% of 100%$/m);
    expect(r.stderr).toMatch(new RegExp(`^register: ok \\(${out.imageId}\\)$`, 'm'));
    expect(r.stderr).toMatch(/^warning: --image: the commit it was built from is unknown/m);
    const tags = (await sandbox()).admin.state().images.find((i) => i.imageId === out.imageId)!.tags;
    expect(tags).toMatchObject({
      Name: out.name,
      clawdinator: 'true',
      'artifact-kind': 'ami',
      'source-s3-key': out.sourceS3Key,
      'clawdinator:image-sha256': sha,
    });

    const again = await claw(['--image', img]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`^plan: upload: skipped, s3://${BUCKET}/${out.sourceS3Key} already holds this image \\(same sha256\\)$`, 'm'));
    expect(again.stderr).toMatch(new RegExp(`^plan: register: skipped, ${out.imageId} is registered$`, 'm'));
    expect(again.stdout).toContain(`${out.imageId}  ${out.name}`);
    expect(again.stdout).toContain('reused from an earlier run: upload, import, registered image');
  });

  it('a failed import: the AWS status message, what to check, exit 1', async () => {
    await (await sandbox()).admin.failNextImport({ message: 'ClientError: Disk validation failed [Unsupported specified file format]' });
    const r = await claw(['--image', img]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: import task import-snap-[0-9a-f]+ deleted: ClientError: Disk validation failed \[Unsupported specified file format\]$/m);
    expect(r.stderr).toMatch(/^hint: check that the IAM role "vmimport" exists, trusts vmie\.amazonaws\.com/m);
    const retry = await claw(['--image', img, '--json']);
    expect(retry.exitCode).toBe(0);
    expect(JSON.parse(retry.stdout).reused).toEqual({ object: true, importTask: false, image: false });
  });

  it.each([
    [['--format', 'qcow2'], /^error: --format qcow2: expected raw, vhd or vmdk$/m],
    [['--image', 'missing.img'], /^error: --image .*missing\.img: no such file$/m],
    [['--host', 'clawdinator-1'], /^error: --host and --image exclude each other$/m],
    [['--prune-keep', '0'], /^error: --prune-keep 0: expected a whole number from 1 to 1000$/m],
    [['--format', 'vhd'], /^error: --image .*nixos\.img: the extension says raw, --format says vhd$/m],
  ])('bad input %j: one error line, exit 2, nothing changed', async (args, message) => {
    const r = await claw(args.includes('--image') ? args : ['--image', img, ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.exitCode).toBe(2);
    expect((await sandbox()).admin.state().importTasks).toEqual([]);
  });
  it('without --image the sandbox simulates the nix build: no nix on PATH, an AMI registered, a re-run reuses it', async () => {
    // PATH holds git and nothing else: no nix, no daemon, no nixbld group needed.
    const bin = join(home, 'bin');
    mkdirSync(bin);
    if (!gitPath) throw new Error('git is not on PATH');
    symlinkSync(gitPath, join(bin, 'git'));
    const env = { HOME: home, PATH: bin };
    const run = (args: string[]) => runClaw(['--sandbox', 'ami', 'build', ...args], { env, cwd: home, timeoutMs: 60_000 });

    const plan = await run(['--dry-run']);
    expect(plan.stderr).not.toMatch(/nix: not found|ENOENT/);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toMatch(/build/);

    const first = await run(['--yes', '--json']);
    expect(first.stderr).toMatch(/simulated/);
    expect(first.exitCode).toBe(0);
    const out = JSON.parse(first.stdout) as { imageId: string; name: string };
    expect(out.imageId).toMatch(/^ami-/);
    const image = (await sandbox()).admin.state().images.find((i) => i.imageId === out.imageId)!;
    expect(image.tags).toMatchObject({ clawdinator: 'true', 'artifact-kind': 'ami' });

    const again = await run(['--yes', '--json']);
    expect(again.exitCode).toBe(0);
    expect((JSON.parse(again.stdout) as { imageId: string }).imageId).toBe(out.imageId);
  });
});
