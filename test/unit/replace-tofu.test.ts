import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import { TofuError, TofuMissingError, runTofu, tofuEnv, tofuKeyLine } from '../../src/nix/tofu.js';
import { ToolMissingError } from '../../src/nix/exec.js';
import { FIXTURE_REPO, tempDir } from '../helpers/claw.js';

// src/nix/tofu.ts against the fake tofu (test/helpers/fake-tofu/tofu): OpenTofu has no
// Debian package and there is no network here, so the real one cannot be installed.

const FAKE = resolve(import.meta.dirname, '../helpers/fake-tofu/tofu');

function infra(): { dir: string; log: string } {
  const root = tempDir('claw-tofu-');
  cpSync(join(FIXTURE_REPO, 'nix'), join(root, 'nix'), { recursive: true });
  const dir = join(root, 'infra', 'opentofu', 'aws');
  mkdirSync(dir, { recursive: true });
  return { dir, log: join(root, 'tofu.log') };
}

const calls = (log: string) =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { argv: string[]; env: string[] })
    : [];

describe('tofuEnv', () => {
  it('drops TF_CLI_ARGS* (they would add unseen arguments) and sets TF_IN_AUTOMATION', () => {
    const { env, dropped } = tofuEnv(
      { PATH: '/bin', TF_CLI_ARGS: '-destroy', TF_CLI_ARGS_apply: '-replace=x', TF_VAR_ssh_public_key: 'k', AWS_PROFILE: 'prod', GONE: undefined },
      { sandbox: false },
    );
    expect(env).toEqual({ PATH: '/bin', TF_VAR_ssh_public_key: 'k', AWS_PROFILE: 'prod', TF_IN_AUTOMATION: '1' });
    expect(dropped).toEqual(['TF_CLI_ARGS', 'TF_CLI_ARGS_apply']);
  });

  it('in the sandbox: no AWS credential source at all', () => {
    const { env, dropped } = tofuEnv(
      { PATH: '/bin', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', AWS_PROFILE: 'prod', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' },
      { sandbox: true },
    );
    expect(
      Object.keys(env)
        .filter((k) => k.startsWith('AWS_'))
        .sort(),
    ).toEqual(['AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_SHARED_CREDENTIALS_FILE']);
    expect(env.AWS_SHARED_CREDENTIALS_FILE).toBe('/dev/null');
    expect(dropped).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_SECRET_ACCESS_KEY', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
  });
});

describe('tofuKeyLine', () => {
  it("unwraps tofu's error box", () => {
    expect(tofuKeyLine(['x: Creating...', '╷', '│ Error: creating EC2 Instance: boom', '│', '│   with aws_instance.clawdinator["a"],', '╵'])).toBe(
      'Error: creating EC2 Instance: boom',
    );
    expect(tofuKeyLine(['just a line', ''])).toBe('just a line');
  });
});

describe('runTofu (fake tofu)', () => {
  it('runs argv as given, with only the environment given, and hands over every line', async () => {
    const { dir, log } = infra();
    const lines: [string, string][] = [];
    const plan = join(dir, '..', 'p.tfplan');
    await runTofu([`-chdir=${dir}`, 'plan', '-input=false', `-out=${plan}`, '-var=ami_id=ami-0123abcd', '-replace=aws_instance.clawdinator["clawdinator-1"]'], {
      bin: FAKE,
      env: { PATH: process.env.PATH, FAKE_TOFU_LOG: log, TF_IN_AUTOMATION: '1' },
      onLine: (l, s) => lines.push([s, l]),
    });
    const [call] = calls(log);
    expect(call!.argv.at(-1)).toBe('-replace=aws_instance.clawdinator["clawdinator-1"]');
    expect(call!.env).toEqual(['TF_IN_AUTOMATION']);
    expect(lines).toContainEqual(['stdout', 'Plan: 1 to add, 0 to change, 1 to destroy.']);
    expect(existsSync(plan)).toBe(true);
  });

  it("a failure is a TofuError (exit 1) with tofu's key line and last lines", async () => {
    const { dir, log } = infra();
    const err = await runTofu([`-chdir=${dir}`, 'plan', '-var=ami_id=ami-0123abcd'], {
      bin: FAKE,
      env: { PATH: process.env.PATH, FAKE_TOFU_LOG: log, FAKE_TOFU_FAIL: 'plan' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TofuError);
    const e = err as TofuError;
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe('`tofu plan` failed (exit code 1): Error: No valid credential sources found');
    expect(e.tail).toContain('│ Error: No valid credential sources found');
    expect(e.tail.some((l) => l.includes('Refreshing state'))).toBe(true);
  });

  it('a missing binary is a ToolMissingError naming it, with an OpenTofu install hint', async () => {
    const err = await runTofu(['version'], { bin: 'tofu', env: { PATH: '/nonexistent' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TofuMissingError);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as TofuMissingError).message).toBe('`tofu` not found on PATH');
    expect((err as TofuMissingError).hint).toMatch(/install OpenTofu/);
  });

  it('a missing plan file is a TofuError with no hint; an uninitialised directory gets the init hint', async () => {
    const { dir } = infra();
    const env = { PATH: process.env.PATH };
    const missing = await runTofu([`-chdir=${dir}`, 'apply', '/nonexistent.tfplan'], { bin: FAKE, env }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TofuError);
    expect((missing as TofuError).message).toMatch(/Failed to load/);
    expect((missing as TofuError).hint).toBeUndefined();
    const uninit = await runTofu([`-chdir=${dir}`, 'plan', '-var=ami_id=ami-0123abcd'], { bin: FAKE, env: { ...env, FAKE_TOFU_FAIL: 'uninitialized' } }).catch(
      (e: unknown) => e,
    );
    expect((uninit as TofuError).hint).toBe(`run \`${FAKE} -chdir=${dir} init\` (with the backend configuration) first`);
  });

  it('an abort signal stops tofu (plan and show only)', async () => {
    const { dir } = infra();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const err = await runTofu([`-chdir=${dir}`, 'plan', '-var=ami_id=ami-0123abcd'], {
      bin: FAKE,
      env: { PATH: process.env.PATH, FAKE_TOFU_STEP_MS: '5000' },
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
  });
});
