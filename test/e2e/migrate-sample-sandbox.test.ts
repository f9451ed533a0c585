import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSandbox } from '../../src/sandbox/index.js';
import { SEED_DIR } from '../contract/backends.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// The sample runbook, fixtures/runbooks/orchestrator-to-vm.yaml, run as a new user
// would from a claw clone: `claw --sandbox migrate run <it> --yes`, approving each
// operator step, to the end. Its steps run in the sandbox's repo with the sandbox's
// claw, tofu, aws and ssh; real ones placed first on PATH must never be called.

const RUNBOOK = 'fixtures/runbooks/orchestrator-to-vm.yaml';
const C3 = 'i-03b5d7f9a1c2e4068';
const ORCHESTRATOR_BUCKET = 'openclaw-lab-backup-orchestrator-123456789012';
const jq = spawnSync('jq', ['--version']).status === 0;
if (!jq && process.env.CI === 'true') throw new Error('jq is required under CI=true (.ci/run installs it)');
if (!jq) console.warn('SKIPPED: the sample runbook needs jq (sudo apt-get install jq); .ci/run installs it');

describe.skipIf(!jq)('the sample runbook on a fresh sandbox, start to finish', { timeout: 240_000 }, () => {
  let home: string;
  let realTools: string;
  const marker = () => join(home, 'real-tool-called');
  const migrate = (...args: string[]) =>
    runClaw(['--sandbox', 'migrate', ...args], { cwd: ROOT, env: { HOME: home, PATH: `${realTools}${delimiter}${process.env.PATH}` }, timeoutMs: 120_000 });
  const sandbox = () => openSandbox({ home: join(home, '.claw'), seedDir: SEED_DIR, faults: false });
  const sandboxHead = () => spawnSync('git', ['rev-parse', 'HEAD'], { cwd: join(home, '.claw', 'sandbox', 'repo'), encoding: 'utf8' }).stdout.trim();

  beforeEach(() => {
    home = tempDir('claw-sample-runbook-');
    // "Real" tofu, aws and ssh that would give the game away: the sandbox's go first.
    realTools = join(home, 'real-bin');
    mkdirSync(realTools);
    for (const tool of ['tofu', 'aws', 'ssh']) {
      writeFileSync(join(realTools, tool), `#!/bin/sh\necho "${tool} $*" >> '${marker()}'\nexit 99\n`);
      chmodSync(join(realTools, tool), 0o755);
    }
  });

  it('runs every phase against the simulated account, pausing at each operator step', async () => {
    const started = new Date().toISOString();
    const first = await migrate('run', RUNBOOK, '--yes');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /sandbox: fixtures\/runbooks\/orchestrator-to-vm\.yaml runs against the simulated account; its steps run in the sandbox's repo/,
    );
    expect(first.stderr).toMatch(/^preflight\/pre-tofu: ok/m);
    expect(first.stderr).toMatch(/^preflight\/pre-aws: ok/m);
    expect(first.stderr).toMatch(/^preflight\/pre-old-host: ok/m);
    expect(first.stderr).toMatch(/^preflight\/pre-registry: ok/m);
    expect(first.stdout).toContain('waiting for operator: c-hand-over-key');

    expect((await migrate('approve', RUNBOOK, 'c-hand-over-key')).exitCode).toBe(0);
    const second = await migrate('run', RUNBOOK, '--yes');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain('waiting for operator: d-login');

    expect((await migrate('approve', RUNBOOK, 'd-login')).exitCode).toBe(0);
    const third = await migrate('run', RUNBOOK, '--yes');
    expect(third.exitCode, third.stderr).toBe(0);
    expect(third.stdout).toContain('waiting for operator: e-unplug');
    expect((await migrate('approve', RUNBOOK, 'e-unplug')).exitCode).toBe(0);

    const status = JSON.parse((await migrate('status', RUNBOOK, '--json')).stdout) as {
      complete: boolean;
      stateFile: string;
      phases: { id: string; status: string }[];
    };
    expect(status.complete).toBe(true);
    expect(status.stateFile).toBe(join(home, '.claw', 'sandbox', 'runbooks', 'orchestrator-to-vm', 'state.json'));
    expect(status.phases.map((p) => [p.id, p.status])).toEqual(['A', 'B', 'C', 'D', 'E'].map((id) => [id, 'done']));

    // Nothing real was called; the progress lives under the sandbox, not in claw's clone.
    expect(existsSync(marker()), existsSync(marker()) ? readFileSync(marker(), 'utf8') : '').toBe(false);
    expect(existsSync(join(home, '.claw', 'sandbox', 'runbooks', 'orchestrator-to-vm', 'state.json'))).toBe(true);
    expect(existsSync(join(ROOT, 'fixtures', '.claw'))).toBe(false);

    // The world as the runbook left it.
    const sbx = await sandbox();
    const head = sandboxHead();
    const vm = sbx.admin.state().instances.find((i) => i.instanceId === C3)!;
    expect(vm.tags['clawdinator:rev']).toBe(head);
    expect(sbx.admin.host(C3)).toMatchObject({
      currentRev: head,
      clawdinator: 'active',
      openclaw: 'active',
      workspace: true,
      reboots: 1,
      deployRecord: { rev: head },
    });
    const pi = sbx.admin.state().sshHosts.find((h) => h.name === 'orchestrator-pi')!.host;
    expect(pi).toMatchObject({ clawdinator: 'inactive', secretFiles: 0 });
    expect(pi.disabled).toEqual(['clawdinator.service', 'openclaw-s3-backup.timer']);
    // The old host's backup reached the bucket the VM restored from: a snapshot written by
    // this run (a new minute's folder, or this minute's written again when the seed's
    // hourly one has the same stamp).
    const written = sbx.admin
      .state()
      .buckets.find((b) => b.name === ORCHESTRATOR_BUCKET)!
      .objects.filter((o) => o.key.startsWith('snapshots/') && o.lastModified >= started);
    expect(written.length).toBeGreaterThan(0);
  });

  it('phase A rolled back destroys the VM; running it again provisions a new one that restores like the first', async () => {
    const a = await migrate('run', RUNBOOK, '--until', 'A', '--yes');
    expect(a.exitCode, a.stderr).toBe(0);
    const back = await migrate('rollback', RUNBOOK, '--yes');
    expect(back.exitCode, back.stderr).toBe(0);
    let sbx = await sandbox();
    expect(sbx.admin.state().instances.find((i) => i.instanceId === C3)!.state).toBe('terminated');

    const again = await migrate('run', RUNBOOK, '--until', 'C', '--yes');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('waiting for operator: c-hand-over-key');
    expect((await migrate('approve', RUNBOOK, 'c-hand-over-key')).exitCode).toBe(0);
    const c = await migrate('run', RUNBOOK, '--until', 'C', '--yes');
    expect(c.exitCode, c.stderr).toBe(0);

    sbx = await sandbox();
    const vms = sbx.admin.state().instances.filter((i) => i.tags.Name === 'clawdinator-3' && i.state === 'running');
    expect(vms).toHaveLength(1);
    expect(vms[0]!.instanceId).not.toBe(C3);
    // Its NixOS config gives the new host the backup lane: the restore found the workspace.
    expect(sbx.admin.host(vms[0]!.instanceId)).toMatchObject({ backupBucket: ORCHESTRATOR_BUCKET, workspace: true, currentRev: sandboxHead() });
    expect(existsSync(marker())).toBe(false);
  });
});
