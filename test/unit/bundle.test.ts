import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import {
  buildBundle,
  packTar,
  readBundle,
  readRepoSecrets,
  readRepoSeeds,
  secretsTarFiles,
  sha256Hex,
  zstdFramesComplete,
  type TarFile,
} from '../../src/nix/bundle.js';
import { FIXTURE_REPO, tempDir } from '../helpers/claw.js';

const enc = (s: string) => new TextEncoder().encode(s);

async function headers(tar: Buffer): Promise<Header[]> {
  const ex = extract();
  const out: Header[] = [];
  const done = (async () => {
    for await (const e of ex) {
      out.push(e.header);
      e.resume();
    }
  })();
  ex.end(tar);
  await done;
  return out;
}

const repoCopy = () => {
  const dir = tempDir('claw-bundle-');
  cpSync(FIXTURE_REPO, dir, { recursive: true });
  return dir;
};

describe('deterministic bundles', () => {
  const files: TarFile[] = [
    { path: 'secrets/b.age', type: 'file', mode: 0o400, data: enc('bbb') },
    { path: 'clawdinator.agekey', type: 'file', mode: 0o400, data: enc('key') },
    { path: 'secrets/', type: 'directory', mode: 0o700 },
    { path: 'secrets/a.age', type: 'file', mode: 0o400, data: enc('a') },
  ];

  it('the same inputs in any order give byte-identical bundles and the same sha256', async () => {
    const a = await buildBundle(files);
    const b = await buildBundle([...files].reverse());
    expect(Buffer.compare(a.body, b.body)).toBe(0);
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).toBe(sha256Hex(a.body));
    expect(a.size).toBe(a.body.byteLength);
    expect(a.entries.map((e) => e.path)).toEqual(['clawdinator.agekey', 'secrets/', 'secrets/a.age', 'secrets/b.age']);
  });

  it('every header is normalised: mtime 0, owner 0:0 without names, the given modes, no pax', async () => {
    const tar = await packTar(files);
    for (const h of await headers(tar)) {
      expect(h).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '' });
      expect(h.mtime.getTime()).toBe(0);
      expect(h.pax ?? null).toBeNull();
    }
    expect((await headers(tar)).map((h) => [h.name, h.type, h.mode])).toEqual([
      ['clawdinator.agekey', 'file', 0o400],
      ['secrets/', 'directory', 0o700],
      ['secrets/a.age', 'file', 0o400],
      ['secrets/b.age', 'file', 0o400],
    ]);
  });

  it('a different content gives a different sha256', async () => {
    const a = await buildBundle(files);
    const b = await buildBundle(files.map((f) => (f.path === 'secrets/a.age' ? { ...f, data: enc('A') } : f)));
    expect(a.sha256).not.toBe(b.sha256);
  });

  it('a duplicate path is a bug, not a silent overwrite', async () => {
    await expect(packTar([files[0]!, files[0]!])).rejects.toThrow('duplicate entry secrets/b.age');
  });

  it('repo bundles do not depend on file times, owners or directory order', async () => {
    const a = repoCopy();
    const b = repoCopy();
    utimesSync(join(b, 'nix/age-secrets/openai-api-key.age'), new Date('2001-01-01'), new Date('2001-01-01'));
    utimesSync(join(b, 'repo-seeds/README.txt'), new Date('2002-02-02'), new Date('2002-02-02'));
    chmodSync(join(b, 'nix/age-secrets/openai-api-key.age'), 0o666);
    const build = async (root: string) => {
      const set = await readRepoSecrets(root);
      return [await buildBundle(secretsTarFiles(set, [...set.files.keys()])), await buildBundle(await readRepoSeeds(root))];
    };
    const [sa, ra] = await build(a);
    const [sb, rb] = await build(b);
    expect(sb!.sha256).toBe(sa!.sha256);
    expect(rb!.sha256).toBe(ra!.sha256);
  });
});

describe('reading the repo', () => {
  it('reads nix/age-secrets and the agekey; a missing agekey is left for the rules to name', async () => {
    const root = repoCopy();
    const set = await readRepoSecrets(root);
    expect([...set.files.keys()]).toContain('clawdinator-discord-token-1.age');
    expect(set.agekey).toBeDefined();
    expect(set.origin).toBe('nix/age-secrets');
    rmSync(join(root, 'nix/keys/clawdinator.agekey'));
    expect((await readRepoSecrets(root)).agekey).toBeUndefined();
  });

  it('a missing nix/age-secrets or repo-seeds is bad input', async () => {
    const root = tempDir('claw-bundle-empty-');
    await expect(readRepoSecrets(root)).rejects.toThrow(UsageError);
    await expect(readRepoSeeds(root)).rejects.toThrow(/^repo-seeds: cannot read \(ENOENT\)$/);
  });

  it('seeds: files 0444 (0555 executable), folders 0755, symlinks kept as links', async () => {
    const root = repoCopy();
    mkdirSync(join(root, 'repo-seeds/tool/bin'), { recursive: true });
    writeFileSync(join(root, 'repo-seeds/tool/bin/run'), '#!/bin/sh\n');
    chmodSync(join(root, 'repo-seeds/tool/bin/run'), 0o755);
    symlinkSync('bin/run', join(root, 'repo-seeds/tool/run'));
    const tar = await packTar(await readRepoSeeds(root));
    expect((await headers(tar)).map((h) => [h.name, h.type, h.mode.toString(8), h.linkname ?? ''])).toEqual([
      ['README.txt', 'file', '444', ''],
      ['tool/', 'directory', '755', ''],
      ['tool/bin/', 'directory', '755', ''],
      ['tool/bin/run', 'file', '555', ''],
      ['tool/run', 'symlink', '777', 'bin/run'],
    ]);
  });
});

describe('readBundle', () => {
  it('lists a good bundle; names garbage, truncation and a zstd non-tar as corrupt with a fixed phrase', async () => {
    const good = await buildBundle([{ path: 'a', type: 'file', mode: 0o444, data: enc('SECRET-CONTENT-MARKER') }]);
    expect(await readBundle(good.body)).toEqual([{ path: 'a', type: 'file' }]);
    expect(await readBundle(enc('SECRET-CONTENT-MARKER not zstd'))).toEqual({ corrupt: 'not a zstd stream, or truncated' });
    expect(await readBundle(good.body.subarray(0, good.body.byteLength - 8))).toEqual({ corrupt: 'not a zstd stream, or truncated' });
    expect(await readBundle(zlib.zstdCompressSync(Buffer.from('SECRET-CONTENT-MARKER '.repeat(40))))).toEqual({ corrupt: 'not a tar archive, or truncated' });
    expect(await readBundle(zlib.zstdCompressSync(Buffer.alloc(1024)))).toEqual({ corrupt: 'an empty archive' });
    expect(await readBundle(Buffer.concat([good.body, Buffer.from('xx')]))).toEqual({ corrupt: 'not a zstd stream, or truncated' });
    const tar = await packTar([{ path: 'a', type: 'file', mode: 0o444, data: enc('x'.repeat(2000)) }]);
    expect(await readBundle(zlib.zstdCompressSync(tar.subarray(0, 1000)))).toEqual({ corrupt: 'not a tar archive, or truncated' });
  });

  it('zstdFramesComplete: whole frames (also several, and skippable ones) only', async () => {
    const a = zlib.zstdCompressSync(Buffer.from('x'.repeat(300_000)), { params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    const b = zlib.zstdCompressSync(Buffer.from('hello'));
    const skip = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    expect(zstdFramesComplete(a)).toBe(true);
    expect(zstdFramesComplete(Buffer.concat([a, skip, b]))).toBe(true);
    for (let cut = 1; cut < a.byteLength; cut += Math.max(1, Math.floor(a.byteLength / 40)))
      expect(zstdFramesComplete(a.subarray(0, a.byteLength - cut))).toBe(false);
    expect(zstdFramesComplete(Buffer.concat([a, Buffer.from([0])]))).toBe(false);
    expect(zstdFramesComplete(new Uint8Array())).toBe(true);
  });
});

const hasTarZstd = spawnSync('tar', ['--version']).status === 0 && spawnSync('zstd', ['--version']).status === 0;

describe.skipIf(!hasTarZstd)('GNU tar reads the bundles as the host does (tar --zstd -xf)', () => {
  it('extracts clawdinator.agekey and secrets/*.age with their modes', async () => {
    const set = await readRepoSecrets(FIXTURE_REPO);
    const bundle = await buildBundle(secretsTarFiles(set, ['clawdinator-discord-token-1.age', 'openai-api-key.age']));
    const dir = tempDir('claw-bundle-x-');
    writeFileSync(join(dir, 's.tar.zst'), bundle.body);
    const listing = execFileSync('tar', ['--zstd', '-tvf', join(dir, 's.tar.zst')], { encoding: 'utf8' });
    expect(listing).toMatch(/^-r-------- 0\/0 +\d+ 1970-01-01 00:00 clawdinator\.agekey$/m);
    expect(listing).toMatch(/^drwx------ 0\/0 +0 1970-01-01 00:00 secrets\/$/m);
    expect(listing).toMatch(/^-r-------- 0\/0 +\d+ 1970-01-01 00:00 secrets\/clawdinator-discord-token-1\.age$/m);
    mkdirSync(join(dir, 'out'));
    execFileSync('tar', ['--zstd', '-xf', join(dir, 's.tar.zst'), '-C', join(dir, 'out')]);
    expect(execFileSync('cat', [join(dir, 'out/secrets/openai-api-key.age')], { encoding: 'utf8' })).toContain('FAKE-TEST-FIXTURE openai-api-key');
  });
});
