import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen } from '../helpers/tmux.js';

// Long work in a real terminal draws its progress with Ink (on stderr), and leaves
// each finished step on the screen.

const available = tmuxAvailable();
if (!available) {
  if (process.env.CI === 'true') throw new Error('tmux is required under CI=true (apt-get install tmux)');
  console.warn('SKIPPED tty progress test: tmux is not installed');
}

describe.skipIf(!available)('progress in a real terminal', () => {
  it('claw ami build shows each step and finishes with exit 0', async () => {
    const dir = tempDir();
    const image = join(dir, 'nixos.img');
    writeFileSync(image, randomBytes(20 * 1024 * 1024));
    const name = `claw-tty-${randomBytes(3).toString('hex')}`;
    const cmd = `env CLAW_HOME=${dir}/.claw HOME=${dir} ${process.execPath} ${BIN} --sandbox ami build --image ${image}; echo "EXIT=$?"; sleep 60`;
    const session = startTmux(name, cmd);
    try {
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='));
      expect(screen).toContain('EXIT=0');
      for (const line of ['upload: ok', 'register: ok', 'tag: ok']) expect(screen).toContain(line);
      expect(screen).toMatch(/import: ok \(import-snap-[0-9a-f]+ made snap-[0-9a-f]+\)/);
      expect(screen).toMatch(/^ami-[0-9a-f]{17} {2}clawdinator-nixos-\d{14}$/m);
      // Ink redraws running steps in place: the plain-text sink's "started" lines never show.
      expect(screen).not.toContain('upload: started');
    } finally {
      session.kill();
    }
  });

  it('claw deploy draws each host live and leaves its outcome', async () => {
    const dir = tempDir();
    const name = `claw-tty-${randomBytes(3).toString('hex')}`;
    // The sandbox's own repo: HEAD is deployed (on its simulated remote).
    const cmd = `cd ${dir} && env CLAW_HOME=${dir}/.claw HOME=${dir} ${process.execPath} ${BIN} --sandbox deploy clawdinator-1,clawdinator-2 --no-eval --yes; echo "EXIT=$?"; sleep 60`;
    const session = startTmux(name, cmd);
    try {
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='), 40_000);
      expect(screen).toContain('EXIT=0');
      expect(screen).toMatch(/^deploy clawdinator-1: ok/m);
      expect(screen).toMatch(/^deploy clawdinator-2: ok/m);
      expect(screen).toMatch(/deploy of [0-9a-f]{40} succeeded on clawdinator-1,clawdinator-2/);
      expect(screen).not.toContain('deploy clawdinator-1: started');
    } finally {
      session.kill();
    }
  });
});
