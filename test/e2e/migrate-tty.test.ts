import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/claw.js';
import { startTmux, tmuxAvailable, waitForScreen } from '../helpers/tmux.js';

// `claw migrate run` in a real terminal (tmux): step output live on the screen, a manual
// step asks the operator whether it is done, a disruptive phase asks before it starts.

const available = tmuxAvailable();
if (!available) {
  if (process.env.CI === 'true') throw new Error('tmux is required under CI=true (apt-get install tmux)');
  console.warn('SKIPPED migrate tty tests: tmux is not installed');
}

const RUNBOOK = `name: demo
description: on a terminal
phases:
  - id: A
    title: prepare
    reversible: false
    steps:
      - { id: a1, kind: run, argv: [sh, -c, 'echo live line from a1; echo a1 >> trace'] }
      - id: a2
        kind: manual
        title: hand over the key
        instructions: |
          Give the new host its auth key.
  - id: B
    title: cut over
    reversible: false
    disruptive: true
    steps:
      - { id: b1, kind: run, argv: [sh, -c, 'echo b1 >> trace'] }
`;

function start() {
  const dir = tempDir('claw-migrate-tty-');
  writeFileSync(join(dir, 'rb.yaml'), RUNBOOK);
  const cmd = `cd ${dir} && env PATH=${dirname(process.execPath)}:${process.env.PATH} CLAW_HOME=${dir}/.claw HOME=${dir} NO_COLOR=1 ${process.execPath} ${BIN} migrate run rb.yaml; echo "EXIT=$?"; sleep 60`;
  const session = startTmux(`claw-migrate-${randomBytes(3).toString('hex')}`, cmd);
  const trace = () => readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n');
  return { session, trace };
}

describe.skipIf(!available)('claw migrate run in a real terminal', () => {
  it('shows step output live, asks whether the manual step is done, then asks before the disruptive phase', async () => {
    const { session, trace } = start();
    try {
      const asked = await waitForScreen(session, (s) => s.includes('Is a2 done? [y/N]'));
      expect(asked).toContain('│ live line from a1');
      expect(asked).toContain('operator step A/a2: hand over the key');
      expect(asked).toContain('Give the new host its auth key.');
      session.keys('y', 'Enter');
      const disruptive = await waitForScreen(session, (s) => s.includes('Run it now? [y/N]'));
      expect(disruptive).toContain('Phase B (cut over) is disruptive. Run it now? [y/N]');
      session.keys('y', 'Enter');
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='));
      expect(screen).toContain('runbook demo complete: 2 phases, 3 steps done');
      expect(screen).toContain('EXIT=0');
      expect(trace()).toEqual(['a1', 'b1']);
    } finally {
      session.kill();
    }
  });

  it('"no" at the manual step leaves it waiting for the operator (exit 0)', async () => {
    const { session, trace } = start();
    try {
      await waitForScreen(session, (s) => s.includes('Is a2 done? [y/N]'));
      session.keys('n', 'Enter');
      const screen = await waitForScreen(session, (s) => s.includes('EXIT='));
      expect(screen).toContain('waiting for operator: a2 (hand over the key)');
      expect(screen).toContain('when it is done: claw migrate approve rb.yaml a2 [--note TEXT]');
      expect(screen).toContain('EXIT=0');
      expect(trace()).toEqual(['a1']);
    } finally {
      session.kill();
    }
  });
});
