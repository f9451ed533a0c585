import { describe, expect, it } from 'vitest';
import { runClaw, tempDir, type ClawResult } from '../helpers/claw.js';

// `claw --sandbox bootstrap`: the sandbox's bucket is seeded with a bootstrap pair per
// host (sizes only, no sha256 metadata, as the upstream script left them) and with the
// shared secrets under age-secrets/ (the same files as fixtures/clawdinators).

const calls = (r: ClawResult, op: string) => r.stderr.split('\n').filter((l) => l.startsWith(`aws ${op} `)).length;

describe('claw --sandbox bootstrap', () => {
  it('replaces the seeded bundles (no checksum), then recognises them as unchanged, and verifies them', async () => {
    const env = { CLAW_HOME: `${tempDir()}/.claw` };
    const claw = (...args: string[]) => runClaw(['--sandbox', 'bootstrap', ...args], { env });

    const first = await claw('upload', 'all', '--verbose');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/^ {2}clawdinator-1 +secrets\.tar\.zst +update +[0-9a-f]{12} +\d+ B, 2 secrets; the object has no sha256 metadata$/m);
    expect(calls(first, 's3.PutObject')).toBe(8);

    const again = await claw('upload', 'all', '--verbose');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('nothing to upload: every bundle is unchanged (8)');
    expect(calls(again, 's3.PutObject')).toBe(0);

    // The seeded age-secrets/ hold the same files as the repo: the same bytes, so unchanged.
    const fromS3 = await claw('upload', 'all', '--from-s3', '--verbose');
    expect(fromS3.exitCode).toBe(0);
    expect(fromS3.stdout).toContain('secrets from s3://clawdinator-images-eu1-20260107165216/age-secrets/');
    expect(fromS3.stdout).toContain('nothing to upload: every bundle is unchanged (8)');
    expect(calls(fromS3, 's3.PutObject')).toBe(0);

    const verified = await claw('verify', 'all', '--json');
    expect(verified.exitCode).toBe(0);
    const doc = JSON.parse(verified.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.hosts.map((h: { host: string; ok: boolean }) => [h.host, h.ok])).toEqual([
      ['clawdinator-1', true],
      ['clawdinator-2', true],
      ['clawdinator-babelfish', true],
      ['clawdinator-3', true],
    ]);
  });

  it('an unknown host is bad input naming the known hosts; nothing is read', async () => {
    const r = await runClaw(['--sandbox', 'bootstrap', 'upload', 'clawdinator-9', '--verbose'], { env: { CLAW_HOME: `${tempDir()}/.claw` } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: unknown host "clawdinator-9"');
    expect(r.stderr).toContain('hint: known hosts: clawdinator-1, clawdinator-2, clawdinator-babelfish');
    expect(r.stderr).not.toMatch(/^aws /m);
  });

  it('refuses a host whose bundle lacks a secret the config requires, naming the file, uploading nothing for it', async () => {
    const env = { CLAW_HOME: `${tempDir()}/.claw`, CLAW_BOOTSTRAP_REQUIRED_SECRETS: 'openai-api-key,stripe-key' };
    const r = await runClaw(['--sandbox', 'bootstrap', 'upload', 'clawdinator-1', '--json'], { env });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/secrets\/stripe-key\.age \(required by bootstrapRequiredSecrets\) is missing/);
    const ok = await runClaw(['--sandbox', 'bootstrap', 'upload', 'clawdinator-1', '--dry-run'], {
      env: { ...env, CLAW_BOOTSTRAP_REQUIRED_SECRETS: 'openai-api-key' },
    });
    expect(ok.exitCode).toBe(0);
  });

  it('a limit of the simulated account is said as such, not reported as a bug', async () => {
    const r = await runClaw(['--sandbox', 'bootstrap', 'verify', 'clawdinator-1'], { env: { CLAW_HOME: `${tempDir()}/.claw` } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: sandbox: S3 GetObject .* keeps only this object's size/m);
    expect(r.stderr).toMatch(/^hint: the sandbox does not simulate this/m);
    expect(r.stderr).not.toContain('bug in claw');
  });
});
