import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// vitest globalSetup: every temporary folder of the run (the tests' own, and those claw
// makes while they run it) goes under one folder, removed when the run ends.

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'claw-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
