import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_REPO, runClaw, spawnClaw, tempDir, type RunOptions } from '../helpers/claw.js';

// `claw --sandbox replace` against the fake tofu (test/helpers/fake-tofu): OpenTofu
// cannot be installed here, so the fake records each call's argv and environment and
// prints what tofu prints. The repo is a copy of fixtures/clawdinators with the infra
// directory where the real clawdinators repo has it (infra/opentofu/aws).

const FAKE_DIR = resolve(import.meta.dirname, '../helpers/fake-tofu');
const NODE_DIR = dirname(process.execPath);

interface Call {
  argv: string[];
  cwd: string;
  chdir: string;
  env: string[];
}

function setup() {
  const root = tempDir('claw-replace-');
  const repo = join(root, 'repo');
  cpSync(FIXTURE_REPO, repo, { recursive: true });
  const infra = join(repo, 'infra', 'opentofu', 'aws');
  mkdirSync(infra, { recursive: true });
  writeFileSync(join(infra, 'main.tf'), '# stand-in: the fake tofu reads ../../../nix/instances.json as the real main.tf does\n');
  const log = join(root, 'tofu.log');
  const env: Record<string, string | undefined> = { CLAW_HOME: join(root, '.claw'), PATH: `${FAKE_DIR}:${NODE_DIR}:${process.env.PATH}`, FAKE_TOFU_LOG: log };
  const claw = (args: string[], more: Record<string, string | undefined> = {}, opts: RunOptions = {}) =>
    runClaw(['--sandbox', '--repo', repo, 'replace', ...args], { ...opts, env: { ...env, ...more } });
  const start = (args: string[], more: Record<string, string | undefined> = {}) =>
    spawnClaw(['--sandbox', '--repo', repo, 'replace', ...args], { env: { ...env, ...more } });
  const calls = (): Call[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Call)
      : [];
  return { infra, claw, start, calls, env, repo };
}

const addr = (h: string) => `-replace=aws_instance.clawdinator["${h}"]`;
let latest: string;
let older: string;

beforeAll(async () => {
  const env = { CLAW_HOME: join(tempDir(), '.claw') };
  const list = await runClaw(['--sandbox', 'ami', 'list', '--json'], { env });
  const doc = JSON.parse(list.stdout) as { latest: { imageId: string }; images: { imageId: string }[] };
  latest = doc.latest.imageId;
  older = doc.images.find((i) => i.imageId !== latest)!.imageId;
});

describe('claw --sandbox replace (fake tofu)', () => {
  it('one host: plan with the latest AMI and one -replace, show -json, apply of that saved plan; output streamed', async () => {
    const { infra, claw, calls } = setup();
    const r = await claw(['clawdinator-1', '--yes'], { AWS_ACCESS_KEY_ID: 'AKIAREAL', TF_CLI_ARGS_plan: '-destroy' });
    expect(r.exitCode, r.stderr).toBe(0);
    const [plan, show, apply, ...more] = calls();
    expect(more).toEqual([]);
    const planFile = plan!.argv.find((a) => a.startsWith('-out='))!.slice('-out='.length);
    expect(planFile).toMatch(/^\/.*\/claw-replace-[^/]+\/replace\.tfplan$/);
    expect(plan!.argv).toEqual([
      `-chdir=${infra}`,
      'plan',
      '-input=false',
      '-no-color',
      `-out=${planFile}`,
      `-var=ami_id=${latest}`,
      '-var=aws_region=eu-central-1',
      addr('clawdinator-1'),
    ]);
    expect(show!.argv).toEqual([`-chdir=${infra}`, 'show', '-json', planFile]);
    expect(apply!.argv).toEqual([`-chdir=${infra}`, 'apply', '-input=false', '-no-color', planFile]);
    expect(existsSync(dirname(planFile))).toBe(false); // the plan (it holds variables) is removed
    // The plan shown is the argv run, quoted for a shell.
    expect(r.stdout).toContain(
      `  1. tofu -chdir=${infra} plan -input=false -no-color -out=${planFile} -var=ami_id=${latest} -var=aws_region=eu-central-1 '-replace=aws_instance.clawdinator["clawdinator-1"]'`,
    );
    expect(r.stdout).toContain(`tofu's plan: 1 to replace\n  aws_instance.clawdinator["clawdinator-1"]: replace (destroy, then create)`);
    expect(r.stdout).toContain(`replaced clawdinator-1 with ${latest} (1 to replace)`);
    expect(r.stderr).toContain('tofu: Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
    // Sandbox: no AWS credentials reach tofu; TF_CLI_ARGS* never do.
    expect(plan!.env).not.toContain('AWS_ACCESS_KEY_ID');
    expect(plan!.env).not.toContain('TF_CLI_ARGS_plan');
    expect(plan!.env).toContain('TF_IN_AUTOMATION');
    expect(r.stderr).toContain('warning: not passing TF_CLI_ARGS_plan to tofu');
  });

  it('a comma list: one -replace per host', async () => {
    const { claw, calls } = setup();
    const r = await claw(['clawdinator-2,clawdinator-babelfish', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(calls()[0]!.argv.filter((a) => a.startsWith('-replace='))).toEqual([addr('clawdinator-2'), addr('clawdinator-babelfish')]);
  });

  it('all: a plain apply with the AMI variable; every stale instance is replaced', async () => {
    const { claw, calls } = setup();
    const r = await claw(['all', '--yes'], { FAKE_TOFU_STALE: 'all' });
    expect(r.exitCode, r.stderr).toBe(0);
    const [plan, , apply] = calls();
    expect(plan!.argv.some((a) => a.startsWith('-replace'))).toBe(false);
    expect(plan!.argv).toContain(`-var=ami_id=${latest}`);
    expect(apply!.argv[1]).toBe('apply');
    expect(r.stdout).toContain("tofu's plan: 4 to replace");
  });

  it('all with nothing to change: no apply', async () => {
    const { claw, calls } = setup();
    const r = await claw(['all', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(calls().map((c) => c.argv[1])).toEqual(['plan', 'show']);
    expect(r.stdout).toContain("nothing to apply: tofu's plan has no changes");
  });

  it('--ami: an existing AMI overrides the latest; a missing or malformed one is bad input and runs nothing', async () => {
    const { claw, calls } = setup();
    const ok = await claw(['clawdinator-1', '--ami', older, '--dry-run']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`-var=ami_id=${older}`);
    expect(ok.stdout).toContain(`ami:     ${older}, override from flag --ami`);
    const missing = await claw(['clawdinator-1', '--ami', 'ami-0123456789abcdef0', '--yes']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('error: AMI ami-0123456789abcdef0 (from flag --ami) does not exist');
    const bad = await claw(['clawdinator-1', '--ami', 'ami-$(id)', '--yes']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not an AMI id');
    expect(calls()).toEqual([]);
  });

  it('--dry-run prints the exact argv and runs nothing', async () => {
    const { infra, claw, calls } = setup();
    const r = await claw(['clawdinator-2', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`tofu -chdir=${infra} plan -input=false -no-color`);
    expect(r.stdout).toContain(`-var=ami_id=${latest} -var=aws_region=eu-central-1 '-replace=aws_instance.clawdinator["clawdinator-2"]'`);
    expect(r.stdout).toContain('dry run: nothing was run');
    expect(calls()).toEqual([]);
  });

  it('no terminal and no --yes: refused (exit 3) before tofu runs', async () => {
    const { claw, calls } = setup();
    const r = await claw(['clawdinator-1']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: refusing without a terminal: Replace clawdinator-1');
    expect(r.stderr).toContain('hint: pass --yes to confirm');
    expect(calls()).toEqual([]);
  });

  it("tofu's plan destroying another host (the shared AMI variable): refused, nothing applied", async () => {
    const { claw, calls } = setup();
    const r = await claw(['clawdinator-1', '--yes'], { FAKE_TOFU_STALE: 'clawdinator-2' });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(
      'error: tofu\'s plan would also destroy what the target does not name: aws_instance.clawdinator["clawdinator-2"]; nothing was applied',
    );
    expect(r.stdout).toContain('aws_instance.clawdinator["clawdinator-2"]: replace (destroy, then create)   <- not in the target');
    expect(calls().map((c) => c.argv[1])).toEqual(['plan', 'show']);
  });

  it("a failing apply: exit 1 with tofu's error line, its output streamed", async () => {
    const { claw } = setup();
    const r = await claw(['clawdinator-1', '--yes'], { FAKE_TOFU_FAIL: 'apply' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      'error: `tofu apply` failed (exit code 1): Error: creating EC2 Instance: operation error EC2: RunInstances, InvalidAMIID.NotFound',
    );
    expect(r.stderr).toContain('tofu: aws_instance.clawdinator["clawdinator-1"]: Creating...');
    expect(r.stderr).toContain('tofu: │ on main.tf line 301, in resource "aws_instance" "clawdinator":');
    expect(r.stdout).not.toContain('replaced');
  });

  it('a failing plan: exit 1, nothing applied; an uninitialised directory says to run tofu init', async () => {
    const { claw, calls, infra } = setup();
    const r = await claw(['clawdinator-1', '--yes'], { FAKE_TOFU_FAIL: 'plan' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: `tofu plan` failed (exit code 1): Error: No valid credential sources found');
    const u = await claw(['clawdinator-1', '--yes'], { FAKE_TOFU_FAIL: 'uninitialized' });
    expect(u.exitCode).toBe(1);
    expect(u.stderr).toContain(`hint: run \`tofu -chdir=${infra} init\` (with the backend configuration) first`);
    expect(calls().map((c) => c.argv[1])).toEqual(['plan', 'plan']);
  });

  it('tofu missing from PATH: a clear error naming it and how to install it', async () => {
    const { claw } = setup();
    const r = await claw(['clawdinator-1', '--yes'], { PATH: NODE_DIR });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: `tofu` not found on PATH');
    expect(r.stderr).toContain('hint: install OpenTofu');
  });

  it('against AWS a missing infra directory is bad input naming the config key (nothing asked of AWS)', async () => {
    const { calls, env } = setup();
    const r = await runClaw(['replace', 'clawdinator-1', '--yes', '--repo', FIXTURE_REPO], {
      env: { ...env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: infra directory ${join(FIXTURE_REPO, 'infra/opentofu/aws')} does not exist (config key infraDir`);
    expect(calls()).toEqual([]);
  });

  it('on the sandbox without an infra directory (its sample repo) OpenTofu is simulated: the instance is replaced from the AMI, as status and the dashboard show', async () => {
    const home = join(tempDir('claw-replace-sim-'), '.claw');
    const env = { CLAW_HOME: home };
    const r = await runClaw(['--sandbox', 'replace', 'clawdinator-babelfish', '--yes'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^infra: {3}\S+\/sandbox\/repo\/infra\/opentofu\/aws \(not in the sample repo: OpenTofu is simulated against the sandbox account\)$/m,
    );
    expect(r.stdout).toContain(`tofu's plan: 1 to replace\n  aws_instance.clawdinator["clawdinator-babelfish"]: replace (destroy, then create)`);
    expect(r.stderr).toMatch(/^tofu: aws_instance\.clawdinator\["clawdinator-babelfish"\]: Destroying\.\.\. \[id=i-0c9a2b4d6e8f10a37\]$/m);
    expect(r.stderr).toContain('tofu: Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
    expect(r.stdout).toContain(`replaced clawdinator-babelfish with ${latest}`);
    const status = JSON.parse((await runClaw(['--sandbox', 'status', '--json'], { env })).stdout) as {
      hosts: { host: string; instanceId: string; imageId: string; imageIsLatest: boolean; ssmPing: string; drift: unknown[] }[];
    };
    const bf = status.hosts.find((h) => h.host === 'clawdinator-babelfish')!;
    expect(bf).toMatchObject({ imageId: latest, imageIsLatest: true, ssmPing: 'online', drift: [] });
    expect(bf.instanceId).not.toBe('i-0c9a2b4d6e8f10a37');
    const dashboard = JSON.parse((await runClaw(['--sandbox', 'tui', '--json'], { env })).stdout) as {
      fleet: { hosts: { host: string; instanceId: string }[] };
    };
    expect(dashboard.fleet.hosts.find((h) => h.host === 'clawdinator-babelfish')!.instanceId).toBe(bf.instanceId);
  });

  it.each([['x;reboot'], ['$(id)'], ['clawdinator-1;reboot'], ['`id`'], ['clawdinator-1 all'], ['aws_instance.clawdinator["x"]'], ['-rf']])(
    'injection attempt %s: exit 2, tofu never runs',
    async (target) => {
      const { claw, calls } = setup();
      const r = await claw([target, '--yes']);
      expect(r.exitCode).toBe(2);
      expect(calls()).toEqual([]);
    },
  );

  it('unknown host and a bot replacing itself: refused before anything runs', async () => {
    const { claw, calls } = setup();
    const unknown = await claw(['clawdinator-9', '--yes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('hint: known hosts: clawdinator-1, clawdinator-2, clawdinator-babelfish');
    const self = await claw(['all', '--yes'], { CLAW_CALLER: 'clawdinator-2' });
    expect(self.exitCode).toBe(3);
    expect(self.stderr).toContain('target includes caller clawdinator-2');
    expect(calls()).toEqual([]);
  });

  it('Ctrl-C while tofu plans: tofu is stopped, exit 130, nothing applied', async () => {
    const { start, calls } = setup();
    const run = start(['clawdinator-1', '--yes'], { FAKE_TOFU_STEP_MS: '8000' });
    // Ctrl-C once tofu is planning (its first lines, echoed by claw), not after a guessed delay.
    const planning = /^tofu: .*Refreshing state/m;
    await run.waitFor((o) => planning.test(o.stderr));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.exitCode).toBe(130);
    expect(calls().map((c) => c.argv[1])).toContain('plan');
    expect(calls().map((c) => c.argv[1])).not.toContain('apply');
  });

  it('a second replace while the first holds the deploy lock is refused naming the holder', async () => {
    const { claw, start, calls } = setup();
    const first = start(['clawdinator-1', '--yes'], { FAKE_TOFU_STEP_MS: '1500' });
    await first.waitFor((o) => /^tofu: .*Refreshing state/m.test(o.stderr)); // it holds the lock by now
    const second = await claw(['clawdinator-2', '--yes']);
    expect(second.exitCode).toBe(3);
    expect(second.stderr).toMatch(/error: the deploy lock is held by .*, deploying replace clawdinator-1 at ami-/);
    expect(second.stderr).not.toContain('running: tofu');
    expect((await first.done).exitCode).toBe(0);
    expect(calls().filter((c) => c.argv[1] === 'plan')).toHaveLength(1);
  });
});
