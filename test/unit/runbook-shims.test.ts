import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { writeShims } from '../../src/nix/runbook-shims.js';
import { tempDir } from '../helpers/claw.js';

// The shims claw puts first on a runbook step's PATH: run through /bin/sh, each calls
// "node claw ..." with the home and arguments intact, whatever the paths hold.

/** A stand-in for node that prints CLAW_HOME and every argument, one per line. */
function fakeNode(dir: string): string {
  const file = join(dir, "no'de with space");
  writeFileSync(file, '#!/bin/sh\nprintf "home=%s\\n" "$CLAW_HOME"\nfor a in "$@"; do printf "arg=%s\\n" "$a"; done\n');
  chmodSync(file, 0o755);
  return file;
}

describe('runbook shims', () => {
  it('claw keeps --sandbox, the tools go to claw sandbox tool, arguments pass through untouched', async () => {
    const dir = tempDir('claw-shims-');
    const home = join(dir, "ho'me $(reboot)");
    mkdirSync(home);
    const bin = await writeShims(join(dir, 'bin'), { node: fakeNode(dir), claw: join(dir, 'bin claw'), home, sandbox: true });
    const run = (name: string, ...args: string[]) => spawnSync(join(bin, name), args, { encoding: 'utf8' }).stdout.trim().split('\n');

    expect(run('claw', 'status', '--json', "it's; $(x)")).toEqual([
      `home=${home}`,
      `arg=${join(dir, 'bin claw')}`,
      'arg=--sandbox',
      'arg=status',
      'arg=--json',
      "arg=it's; $(x)",
    ]);
    expect(run('tofu', '-chdir=x', 'apply', '-target=aws_instance.clawdinator["c-3"]')).toEqual([
      `home=${home}`,
      `arg=${join(dir, 'bin claw')}`,
      'arg=sandbox',
      'arg=tool',
      'arg=tofu',
      'arg=--',
      'arg=-chdir=x',
      'arg=apply',
      'arg=-target=aws_instance.clawdinator["c-3"]',
    ]);
    expect(run('ssh', 'host', 'sudo', 'true').slice(2)).toEqual(['arg=sandbox', 'arg=tool', 'arg=ssh', 'arg=--', 'arg=host', 'arg=sudo', 'arg=true']);
    expect(run('aws', 'sts', 'get-caller-identity').slice(4)).toEqual(['arg=aws', 'arg=--', 'arg=sts', 'arg=get-caller-identity']);
    expect(statSync(join(bin, 'claw')).mode & 0o111).toBe(0o111);
  });

  it('outside the sandbox only claw, without --sandbox (the real tofu, aws and ssh stay on PATH)', async () => {
    const dir = tempDir('claw-shims-real-');
    const bin = await writeShims(join(dir, 'bin'), { node: fakeNode(dir), claw: '/opt/claw/bin/claw', home: dir, sandbox: false });
    expect(readdirSync(bin)).toEqual(['claw']);
    expect(readFileSync(join(bin, 'claw'), 'utf8')).not.toContain('--sandbox');
    expect(spawnSync(join(bin, 'claw'), ['x'], { encoding: 'utf8' }).stdout.trim().split('\n').slice(1)).toEqual(['arg=/opt/claw/bin/claw', 'arg=x']);
  });

  it('refuses a path with a control character (it could end the script line)', async () => {
    const dir = tempDir('claw-shims-bad-');
    await expect(writeShims(join(dir, 'bin'), { node: '/usr/bin/node', claw: '/x/claw', home: `${dir}/a\nreboot`, sandbox: false })).rejects.toThrow(
      UsageError,
    );
  });
});
