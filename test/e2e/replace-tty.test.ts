import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURE_REPO, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen } from '../helpers/tmux.js';

// `claw replace` in a real terminal (tmux), with the fake tofu: the confirmation comes
// after tofu's plan was shown and checked, and a Ctrl-C during the apply does not kill
// tofu half-way (tofu runs in its own process group; claw waits for it).

const available = tmuxAvailable();
if (!available) {
  if (process.env.CI === 'true') throw new Error('tmux is required under CI=true (apt-get install tmux)');
  console.warn('SKIPPED replace tty tests: tmux is not installed');
}

const FAKE_DIR = resolve(import.meta.dirname, '../helpers/fake-tofu');

function start(args: string, extraEnv = '') {
  const dir = tempDir('claw-replace-tty-');
  const repo = join(dir, 'repo');
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  mkdirSync(join(repo, 'infra', 'opentofu', 'aws'), { recursive: true });
  const log = join(dir, 'tofu.log');
  const path = `${FAKE_DIR}:${dirname(process.execPath)}:${process.env.PATH}`;
  const cmd = `env PATH=${path} CLAW_HOME=${dir}/.claw HOME=${dir} NO_COLOR=1 FAKE_TOFU_LOG=${log} ${extraEnv} ${process.execPath} ${BIN} --sandbox --repo ${repo} replace ${args}; echo "EXIT=$?"; sleep 60`;
  const session = startTmux(`claw-replace-${randomBytes(3).toString('hex')}`, cmd);
  const subcommands = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { argv: string[] }).argv[1])
      : [];
  return { session, subcommands };
}

describe.skipIf(!available)('claw replace in a real terminal', () => {
  it("asks after tofu's plan; yes applies it", async () => {
    const { session, subcommands } = start('clawdinator-1');
    try {
      const asked = await waitForScreen(session, (s) => s.includes('Apply this plan'));
      expect(asked).toContain('Apply this plan (1 to replace)? [y/N]');
      expect(subcommands()).toEqual(['plan', 'show']);
      session.keys('y', 'Enter');
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='));
      expect(screen).toContain('EXIT=0');
      expect(screen).toContain('replaced clawdinator-1 with ami-');
      expect(subcommands()).toEqual(['plan', 'show', 'apply']);
    } finally {
      session.kill();
    }
  });

  it('no applies nothing (exit 3)', async () => {
    const { session, subcommands } = start('clawdinator-2');
    try {
      await waitForScreen(session, (s) => s.includes('Apply this plan'));
      session.keys('n', 'Enter');
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='));
      expect(screen).toContain('error: not confirmed; nothing changed');
      expect(screen).toContain('EXIT=3');
      expect(subcommands()).toEqual(['plan', 'show']);
    } finally {
      session.kill();
    }
  });

  it('Ctrl-C during the apply: claw says it waits, and the apply runs to its end (never killed half-way)', async () => {
    const { session, subcommands } = start('clawdinator-1 --yes', 'FAKE_TOFU_STEP_MS=1500');
    try {
      await waitForScreen(session, (s) => /running: tofu \S+ apply/.test(s));
      session.keys('C-c');
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='));
      expect(screen).toContain('warning: waiting for tofu apply to finish');
      expect(screen).toContain('tofu: Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
      expect(screen).toContain('EXIT=0');
      expect(subcommands()).toEqual(['plan', 'show', 'apply']);
    } finally {
      session.kill();
    }
  });
});
