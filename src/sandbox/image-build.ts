import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { headRev } from '../nix/git.js';
import { imageInstallable } from '../nix/image.js';

// `claw --sandbox ami build` without --image: the NixOS image is simulated, so the
// sandbox needs no nix daemon (nor nixbld users, nor cache.nixos.org). The "build" makes
// a small raw image under $CLAW_HOME/sandbox/nix-store/, the same bytes for the same
// commit and attribute (a re-run finds it built, and claw reuses the upload and import as
// it would on AWS); the upload, import, registration and tags then run as they always do.

export interface SimulatedNix {
  /** The output folder of the image attribute, when it was "built" before. */
  built(repoDir: string, attrPath: string): Promise<string | undefined>;
  /** "Build" it: lines as nix would print them, the output folder. */
  build(repoDir: string, attrPath: string, onLine?: (line: string) => void): Promise<string>;
}

/** One MiB: big enough to hash and upload in parts of the sandbox's size, small enough to be instant. */
const SIZE = 1024 * 1024;

export function simulatedNix(home: string): SimulatedNix {
  const store = join(home, 'sandbox', 'nix-store');
  const outOf = async (repoDir: string, attrPath: string) => {
    const rev = (await headRev(repoDir).catch(() => undefined)) ?? 'no-commit';
    const hash = createHash('sha256')
      .update(`${imageInstallable(repoDir, attrPath)}\n${rev}`)
      .digest('hex')
      .slice(0, 32);
    return { dir: join(store, `${hash}-nixos-image`), rev, hash };
  };
  return {
    async built(repoDir, attrPath) {
      const { dir } = await outOf(repoDir, attrPath);
      return existsSync(join(dir, 'nixos.img')) ? dir : undefined;
    },
    async build(repoDir, attrPath, onLine) {
      const { dir, rev, hash } = await outOf(repoDir, attrPath);
      onLine?.(`sandbox: the image is simulated (no nix build): ${attrPath} at ${rev}`);
      if (existsSync(join(dir, 'nixos.img'))) return dir;
      onLine?.(`building '/nix/store/${hash}-nixos.img.drv'...`);
      const tmp = `${dir}.tmp-${process.pid}`;
      await mkdir(tmp, { recursive: true });
      const file = await open(join(tmp, 'nixos.img'), 'w');
      try {
        // A header naming what it stands for, then deterministic filler (a raw disk image of sorts).
        const head = Buffer.from(`claw sandbox NixOS image\n${imageInstallable(repoDir, attrPath)}\n${rev}\n`);
        const body = Buffer.alloc(SIZE);
        head.copy(body);
        for (let i = head.length; i < SIZE; i++) body[i] = (i * 31 + hash.charCodeAt(i % hash.length)) & 0xff;
        await file.writeFile(body);
      } finally {
        await file.close();
      }
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      return dir;
    },
  };
}
