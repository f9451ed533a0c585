import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/claw.js';

// The README's demo command, `npm run demo`, as a new user runs it: it builds quietly
// (no tsup lines before the dashboard) and, with no terminal, prints `claw status` once.
// It runs in a copy of the clone's layout (sources linked, dist/ its own), so building
// there never rewrites the dist/ the other tests run.

function cloneLayout(): string {
  const dir = tempDir('claw-demo-');
  for (const name of ['package.json', 'tsconfig.json', 'tsup.config.ts', '.npmrc', 'src', 'fixtures', 'node_modules'])
    symlinkSync(join(ROOT, name), join(dir, name));
  // The launcher is copied: run through a link, it would load the clone's own dist/.
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'claw'), join(dir, 'bin', 'claw'));
  return dir;
}

describe('npm run demo', () => {
  it('builds without a line of build output, then shows the sandbox fleet (claw status once, without a terminal)', () => {
    const dir = cloneLayout();
    const r = spawnSync('npm', ['run', 'demo'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: dir, CLAW_HOME: join(dir, '.claw'), NO_COLOR: '1', TMPDIR: process.env.TMPDIR ?? '/tmp' },
      timeout: 180_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const all = `${r.stdout}\n${r.stderr}`;
    // tsup's own lines (entry, target, the built files, "Build success") never appear.
    expect(all).not.toMatch(/CLI |ESM |Build success|Building entry|Using tsconfig|tsup v/);
    expect(r.stderr).toContain('claw tui: the dashboard needs a terminal (stdin and stdout); here is `claw status` once instead');
    expect(r.stdout).toMatch(/^clawdinator-babelfish .* ami-behind$/m);
    expect(r.stdout).toMatch(/^4 hosts, 1 with drift, 1 unregistered; latest AMI ami-[0-9a-f]{17}$/m);
  }, 200_000);
});
