import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function loadedModules(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const trace = join(tempDir(), 'loads.txt');
  const r = await runClaw(args, { nodeArgs: ['--import', join(ROOT, 'test/helpers/trace-loads.mjs')], env: { CLAW_TRACE_LOADS: trace, ...env } });
  expect(r.exitCode).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

describe('claw --help / --version', () => {
  it('prints the version', async () => {
    const r = await runClaw(['--version']);
    expect(r).toMatchObject({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('lists every built command group with one line each, and the exit codes', async () => {
    const r = await runClaw(['--help']);
    expect(r.exitCode).toBe(0);
    const commands = r.stdout.split('Commands:')[1]!.split('\n\n')[0]!;
    for (const name of [
      'status',
      'ami',
      'deploy',
      'rollback',
      'bootstrap',
      'lock',
      'history',
      'replace',
      'spot',
      'backup',
      'migrate',
      'tui',
      'doctor',
      'config',
      'sandbox',
    ])
      expect(commands).toMatch(new RegExp(`^ {2}${name}\\b.*\\S`, 'm'));
    // One line each: no wrapped continuation lines in the command list.
    for (const line of commands.split('\n').slice(1)) expect(line).toMatch(/^ {2}[a-z]/);
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 remote failure, 2 bad input');
    expect(r.stdout).toContain('--sandbox');
  });

  it.each([
    ['status'],
    ['config'],
    ['sandbox'],
    ['sandbox', 'reset'],
    ['sandbox', 'faults'],
    ['ami'],
    ['ami', 'list'],
    ['ami', 'latest'],
    ['ami', 'prune'],
    ['ami', 'preserve'],
    ['ami', 'unpreserve'],
    ['ami', 'lifecycle'],
    ['ami', 'build'],
    ['deploy'],
    ['rollback'],
    ['bootstrap'],
    ['bootstrap', 'upload'],
    ['bootstrap', 'verify'],
    ['lock'],
    ['lock', 'status'],
    ['lock', 'release'],
    ['history'],
    ['replace'],
    ['spot'],
    ['spot', 'prices'],
    ['backup'],
    ['backup', 'status'],
    ['backup', 'list'],
    ['backup', 'prune'],
    ['backup', 'now'],
    ['backup', 'restore'],
    ['backup', 'pull'],
    ['backup', 'push'],
    ['migrate'],
    ['migrate', 'plan'],
    ['migrate', 'run'],
    ['migrate', 'approve'],
    ['migrate', 'status'],
    ['migrate', 'rollback'],
    ['tui'],
    ['doctor'],
    ['doctor', 'stacks'],
  ])('`%s --help` has an example', async (...cmd) => {
    const r = await runClaw([...cmd, '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Examples?:\n {2}\$ claw /);
  });

  it('loads neither the AWS SDK nor Ink for --help and --version', async () => {
    for (const args of [['--help'], ['--version']]) {
      const mods = await loadedModules(args);
      expect(mods.some((m) => m.endsWith('/dist/cli.js'))).toBe(true);
      expect(mods.filter((m) => /@aws-sdk|\/ink\/|\/react\/|\/execa\//.test(m))).toEqual([]);
    }
  });

  it('does load the SDK when a command talks to AWS (the trace works)', async () => {
    const trace = join(tempDir(), 'loads.txt');
    await runClaw(['status', '--repo', join(ROOT, 'fixtures/clawdinators'), '--endpoint-url', 'http://127.0.0.1:9'], {
      nodeArgs: ['--import', join(ROOT, 'test/helpers/trace-loads.mjs')],
      env: { CLAW_TRACE_LOADS: trace, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
    });
    expect(readFileSync(trace, 'utf8')).toMatch(/@aws-sdk\/client-ec2/);
  });
});
