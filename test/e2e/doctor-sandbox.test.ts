import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/aws/lock.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox doctor` from the built binary. The seed has clawdinator-babelfish running
// an AMI one behind the latest (a warning); these tests also cut its SSM connection (a
// failure: exit 1). On a fresh sandbox, untouched, every check passes but that warning.

const BUCKET = 'clawdinator-images-eu1-20260107165216';
const home = () => join(tempDir('claw-doctor-sbx-'), '.claw');
const doctor = (args: string[], claw = home()) => runClaw(['--sandbox', 'doctor', ...args], { env: { CLAW_HOME: claw } });
/** A sandbox whose clawdinator-babelfish SSM no longer reaches. */
async function babelfishLost(): Promise<string> {
  const claw = home();
  const sbx = await openSandbox({ home: claw, seedDir: join(ROOT, 'fixtures', 'sandbox') });
  await sbx.admin.setPingStatus('i-0c9a2b4d6e8f10a37', 'ConnectionLost');
  return claw;
}

interface Check {
  id: string;
  status: string;
  summary: string;
  fix: string | null;
}

describe('claw --sandbox doctor', () => {
  it("a fresh sandbox: every check ok but babelfish's AMI one behind (a warning); exit 0", async () => {
    const r = await doctor([]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}repo {11}HEAD [0-9a-f]{12} on origin refs\/heads\/main, working tree clean$/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^14 checks: 13 ok, 1 warning, 0 failed$/);
  });

  it('one line per check in a fixed order; babelfish fails SSM and warns its AMI; exit 1', async () => {
    const r = await doctor([], await babelfishLost());
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    const ids = lines.filter((l) => /^(ok|warn|fail) /.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(ids).toEqual([
      'credentials',
      'region',
      'registry',
      'secrets',
      'images-bucket',
      'ami',
      'instances',
      'ssm',
      'host-amis',
      'lock',
      'tool:nix',
      'tool:git',
      'tool:tofu',
      'repo',
    ]);
    expect(r.stdout).toMatch(/^ok {4}credentials {4}account 123456789012 as arn:aws:iam::123456789012:user\/sandbox-operator$/m);
    expect(r.stdout).toMatch(/^ok {4}registry {7}\S*sandbox\/repo\/nix\/instances\.json: 4 hosts, each with its nix\/hosts\/<host>\.nix$/m);
    expect(r.stdout).toMatch(/^ok {4}ami {12}latest AMI ami-0e4b7d2c9a1f35b60 \(clawdinator-nixos-\d{14}\) is 2d old$/m);
    expect(r.stdout).toContain(
      'fail  ssm            SSM does not reach clawdinator-babelfish (connection-lost) — fix: check the instance is running and its amazon-ssm-agent is up',
    );
    expect(r.stdout).toContain(
      'warn  host-amis      clawdinator-babelfish runs an AMI 1 behind latest — fix: replace it to move to the latest AMI: claw replace clawdinator-babelfish',
    );
    expect(r.stdout).toContain(`ok    lock           deploy lock is free (s3://${BUCKET}/claw/deploy.lock)`);
    expect(r.stdout).toContain(
      'ok    tool:tofu      tofu: not needed (no infra/opentofu/aws in the repo: claw replace simulates it against the sandbox account)',
    );
    expect(lines.at(-1)).toMatch(/^14 checks: \d+ ok, \d+ warnings?, \d+ failed$/);
    // nix and git are real binaries: where one is missing its line fails too (CI installs both).
    expect(r.stderr).toMatch(/^error: \d+ of 14 checks failed: ssm(, tool:(nix|git))*\nhint: each failed line above says how to fix it\n$/);
  });

  it('--json: one document of checks and ok; --stack adds backup freshness; --ami-max-age warns an old AMI', async () => {
    const r = await doctor(['--json', '--stack', 'lab', '--stack', 'nope', '--ami-max-age', '1d'], await babelfishLost());
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as { checks: Check[]; ok: boolean };
    expect(doc.ok).toBe(false);
    for (const c of doc.checks) expect(Object.keys(c)).toEqual(['id', 'status', 'summary', 'fix']);
    const by = Object.fromEntries(doc.checks.map((c) => [c.id, c]));
    expect(by.ami).toMatchObject({ status: 'warn', summary: expect.stringMatching(/is 2d old, older than 1d$/), fix: 'build a fresh one: claw ami build' });
    expect(by['backup:lab']).toMatchObject({
      status: 'ok',
      summary: expect.stringMatching(/^backup lab \(s3:\/\/openclaw-lab-backup-lab-123456789012\/latest\/\) last changed \d+m ago$/),
      fix: null,
    });
    expect(by['backup:nope']).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('backup bucket s3://openclaw-lab-backup-nope-123456789012 does not exist'),
    });
    expect(doc.checks.map((c) => c.id).slice(-2)).toEqual(['backup:lab', 'backup:nope']);
    expect(doc.checks.filter((c) => c.status === 'fail' && !c.id.startsWith('tool:')).map((c) => c.id)).toEqual(['ssm', 'backup:nope']);
  });

  it('a deploy holding the lock is a failure naming the holder', async () => {
    const claw = home();
    const sbx = await openSandbox({ home: claw, seedDir: join(ROOT, 'fixtures', 'sandbox') });
    await acquireLock(sbx.clients.s3, { bucket: BUCKET, holder: 'bob@desk', pid: 4242, target: 'clawdinator-2', rev: 'ab'.repeat(20) });
    const r = await doctor(['--json'], claw);
    const lock = (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.id === 'lock');
    expect(lock).toMatchObject({ status: 'fail', summary: expect.stringContaining('a deploy holds the lock: bob@desk (pid 4242), deploying clawdinator-2') });
  });

  it('bad flags are exit 2 with one line, before anything is checked', async () => {
    const age = await doctor(['--ami-max-age', 'soon']);
    expect(age).toMatchObject({ exitCode: 2, stdout: '' });
    expect(age.stderr).toMatch(/^error: --ami-max-age soon: not a duration\n/);
    const stack = await doctor(['--stack', 'Bad_Stack']);
    expect(stack).toMatchObject({ exitCode: 2, stdout: '' });
    expect(stack.stderr).toMatch(/^error: --stack "Bad_Stack" is not a stack name\n/);
  });

  it('--help has a summary and examples', async () => {
    const r = await runClaw(['doctor', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--ami-max-age <duration>');
    expect(r.stdout).toMatch(/Examples:\n {2}\$ claw doctor\n/);
    const top = await runClaw(['--help']);
    expect(top.stdout).toMatch(/doctor \[options\] +preflight checks, each with its fix/);
  });
});
