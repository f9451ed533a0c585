import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/claw.js';

// bin/claw before the bundle loads: on a Node older than 22.15 (this machine's own
// /usr/bin/node is 20) it re-runs itself on the clone's pinned Node, or says which
// Node it needs; never a SyntaxError. A clone that was not built says how to build it.

const SYSTEM_NODE = '/usr/bin/node';
const version = spawnSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
const old = version !== '' && (major < 22 || (major === 22 && minor < 15));
if (!old) console.warn(`SKIPPED: launcher tests on an old Node need ${SYSTEM_NODE} older than 22.15 (it is ${version || 'missing'})`);

const run = (node: string, bin: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(node, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: tempDir('claw-launch-'), ...env } });

describe.skipIf(!old)(`bin/claw on ${SYSTEM_NODE} (${version})`, () => {
  it('runs claw on the pinned Node of the clone', () => {
    const r = run(SYSTEM_NODE, BIN, ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.status).toBe(0);
  });

  it('passes arguments, output and the exit status through', () => {
    const r = run(SYSTEM_NODE, BIN, ['deploy', 'x;reboot']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: /m);
  });

  it('without the pinned Node: one line naming the Node it needs, exit 1, no SyntaxError', () => {
    const r = run(SYSTEM_NODE, BIN, ['status'], { CLAW_NO_PINNED_NODE: '1' });
    expect(r.stderr).toBe(`claw needs Node >= 22.15 (this is ${version})\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
  });
});

describe('bin/claw in a clone that was not built', () => {
  it('says how to build it, exit 1', () => {
    const root = tempDir('claw-unbuilt-');
    mkdirSync(join(root, 'bin'));
    cpSync(BIN, join(root, 'bin', 'claw'));
    const r = run(process.execPath, join(root, 'bin', 'claw'), ['status']);
    expect(r.stderr).toBe(`claw is not built yet: run \`npm run build\` in ${root}\n`);
    expect(r.status).toBe(1);
  });
});
