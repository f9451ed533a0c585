// The local half of `claw ami build`: real `nix build` of the fixture flake's image
// outputs into a chroot store (like nix-eval.test.ts), and the image-file checks.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import {
  buildImage,
  builtImageOutput,
  checkImageFile,
  findImageFile,
  imageAttrPath,
  NixBuildError,
  sha256File,
  sha256OfFile,
  type ImageBuildOptions,
} from '../../src/nix/image.js';
import { nixAvailable } from '../../src/nix/nix.js';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/clawdinators');
const DEFAULT_ATTR = 'packages.x86_64-linux.clawdinator-image';
const hasNix = await nixAvailable();

if (!hasNix) {
  const why = '`nix` is not on PATH (Debian: apt-get install nix-bin)';
  if (process.env.CI === 'true') it('nix is installed (required under CI=true)', () => expect.fail(why));
  else console.warn(`\n*** SKIPPING nix image build tests: ${why} ***\n`);
}

const tmp = mkdtempSync(join(tmpdir(), 'claw-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const failure = <T>(p: Promise<unknown>): Promise<T> =>
  p.then(
    () => expect.fail('expected a failure'),
    (e: unknown) => e as T,
  );
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Is there a `nixbld` group (nix's default build-users-group)? */
function nixbldGroupExists(): boolean {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .some((l) => l.startsWith('nixbld:'));
  } catch {
    return false;
  }
}

describe.skipIf(!hasNix)('nix build of the fixture image', () => {
  let repo: string;
  let opts: ImageBuildOptions;
  const lines: string[] = [];

  beforeAll(() => {
    repo = join(tmp, 'repo');
    cpSync(FIXTURE, repo, { recursive: true });
    const home = join(tmp, 'home');
    opts = {
      // A chroot store builds in nix's sandbox: the fixture's builder needs /bin/sh and
      // its libraries there. No substituters: offline, and no cache.nixos.org retries.
      store: join(tmp, 'store'),
      nixOptions: {
        substituters: '',
        'extra-sandbox-paths': ['/bin/sh', '/lib', '/lib64', '/usr/lib'].filter(existsSync).join(' '),
        // Debian's nix-bin creates no nixbld group for its default build-users-group: without
        // one, root builds as itself (the sandbox still applies).
        ...(nixbldGroupExists() ? {} : { 'build-users-group': '' }),
      },
      env: { HOME: home, XDG_CACHE_HOME: join(home, '.cache') },
      onLine: (l) => lines.push(l),
    };
  });

  it('builds the configured attribute, streams nix output, and finds nixos.img', async () => {
    const before = readdirSync(repo).sort();
    expect(await builtImageOutput(repo, DEFAULT_ATTR, opts)).toBeUndefined(); // a dry run never builds
    const out = await buildImage(repo, DEFAULT_ATTR, opts);
    expect(out).toMatch(new RegExp(`^${join(tmp, 'store')}/nix/store/[0-9a-z]{32}-nixos\\.img$`));
    expect(lines).toContain('nixos.img> building clawdinator disk image');
    const file = await findImageFile(out);
    expect(file).toMatchObject({ path: out, format: 'raw' });
    expect(file.size).toBeGreaterThan(4096);
    expect(readFileSync(out, 'utf8')).toMatch(/^clawdinator fixture disk image clawdinator rev dirty block 0000$/m);
    expect(await builtImageOutput(repo, DEFAULT_ATTR, opts)).toBe(out);
    // Built again: same output, no rebuild.
    expect(await buildImage(repo, DEFAULT_ATTR, opts)).toBe(out);
    expect(readdirSync(repo).sort()).toEqual(before); // no lock file, no result link
  });

  it('builds a host image variant (vhd): --format must fit, or is detected', async () => {
    const out = await buildImage(repo, imageAttrPath({ host: 'clawdinator-1', imageAttribute: DEFAULT_ATTR }), opts);
    expect(out).toMatch(/-nixos-amazon-image-clawdinator-1\.vhd$/);
    expect((await findImageFile(out)).format).toBe('vhd');
    const err = await failure<UsageError>(findImageFile(out, 'raw'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/expected exactly one file that is a raw image \(\.img, \.raw\), found [0-9a-z]{32}-nixos-amazon-image-clawdinator-1\.vhd$/);
    expect(err.hint).toBe('the output holds a vhd image: pass --format vhd');
  });

  it('fails with nix own message for an attribute the flake lacks', async () => {
    const err = await failure<NixBuildError>(buildImage(repo, 'packages.x86_64-linux.nope', opts));
    expect(err).toBeInstanceOf(NixBuildError);
    expect(err.nixMessage).toMatch(/^error: .*does not provide attribute .*packages\.x86_64-linux\.nope/);
    expect(err.message).toMatch(/^nix could not build path:.*#packages\.x86_64-linux\.nope: error:/);
  });
});

describe('image attribute and files', () => {
  it('selects the configured attribute or a host image variant, refusing bad names', () => {
    expect(imageAttrPath({ imageAttribute: DEFAULT_ATTR })).toBe(DEFAULT_ATTR);
    expect(imageAttrPath({ host: 'clawdinator-2', imageAttribute: DEFAULT_ATTR })).toBe('nixosConfigurations.clawdinator-2.config.system.build.images.amazon');
    for (const host of ['Clawdinator', 'a;b', '-x']) expect(() => imageAttrPath({ host, imageAttribute: DEFAULT_ATTR })).toThrow(UsageError);
    expect(() => imageAttrPath({ imageAttribute: 'a..b' })).toThrow(UsageError);
  });

  it('finds the one image in an output directory, skipping nix-support', async () => {
    const out = join(tmp, 'out-dir');
    mkdirSync(join(out, 'nix-support'), { recursive: true });
    writeFileSync(join(out, 'nix-support', 'image-info.json'), '{}');
    writeFileSync(join(out, 'nix-support', 'stray.img'), 'x');
    mkdirSync(join(out, 'disk'));
    writeFileSync(join(out, 'disk', 'nixos.img'), 'image');
    expect(await findImageFile(out)).toEqual({ path: join(out, 'disk', 'nixos.img'), format: 'raw', size: 5 });
    writeFileSync(join(out, 'nixos.vhd'), 'vhd');
    await expect(findImageFile(out)).rejects.toThrow(/found 2 of them among disk\/nixos\.img, nixos\.vhd$/);
    expect((await findImageFile(out, 'vhd')).path).toBe(join(out, 'nixos.vhd'));
    const none = join(tmp, 'out-none');
    mkdirSync(none);
    writeFileSync(join(none, 'nixos.img.zst'), 'z');
    await expect(findImageFile(none)).rejects.toThrow(/found nixos\.img\.zst$/);
    await expect(findImageFile(join(tmp, 'missing'))).rejects.toThrow(/does not exist/);
  });

  it('checks an --image file: exists, not empty, extension fits the format', async () => {
    const img = join(tmp, 'mine.vmdk');
    writeFileSync(img, 'vmdk bytes');
    expect(await checkImageFile(img)).toEqual({ path: img, format: 'vmdk', size: 10 });
    expect(await checkImageFile(img, 'vmdk')).toMatchObject({ format: 'vmdk' });
    await expect(checkImageFile(img, 'raw')).rejects.toThrow(/the extension says vmdk, --format says raw/);
    const bin = join(tmp, 'disk.bin');
    writeFileSync(bin, 'x');
    await expect(checkImageFile(bin)).rejects.toThrow(/cannot tell the image format/);
    expect(await checkImageFile(bin, 'raw')).toMatchObject({ format: 'raw' });
    writeFileSync(join(tmp, 'empty.img'), '');
    await expect(checkImageFile(join(tmp, 'empty.img'))).rejects.toThrow(/empty/);
    await expect(checkImageFile(join(tmp, 'nope.img'))).rejects.toBeInstanceOf(UsageError);
  });

  it('hashes files, streamed with progress', async () => {
    const big = join(tmp, 'big.raw');
    writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, 7));
    const progress: number[] = [];
    expect(await sha256File(big, (d) => progress.push(d))).toBe(sha(big));
    expect(progress.at(-1)).toBe(9 * 1024 * 1024);
    expect(progress.length).toBeGreaterThan(1);
    expect(await sha256OfFile(join(FIXTURE, 'flake.lock'))).toBe(sha(join(FIXTURE, 'flake.lock')));
    expect(await sha256OfFile(join(tmp, 'no-flake.lock'))).toBeUndefined();
    const ctl = new AbortController();
    ctl.abort();
    await expect(sha256File(big, undefined, ctl.signal)).rejects.toThrow(/interrupted/);
  });
});
