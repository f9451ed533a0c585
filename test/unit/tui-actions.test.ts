import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/cli/context.js';
import { backupNow, planDeploy, runDeploy, spotLines } from '../../src/commands/tui/actions.js';
import { dashboardReader } from '../../src/commands/tui/data.js';
import type { ClawEvent } from '../../src/core/events.js';
import { writeFaults } from '../../src/sandbox/faults-store.js';
import { openSandbox, sandboxFaultsPath } from '../../src/sandbox/index.js';

// The dashboard's services on the simulated account, through the same pipeline as the
// commands, with nothing written to the terminal (the streams here throw if written to).

const REV = '0123456789abcdef0123456789abcdef01234567';
const SEED = join(import.meta.dirname, '../../fixtures/sandbox');

function sandboxContext(): Context {
  const home = mkdtempSync(join(tmpdir(), 'claw-tui-'));
  const mute = {
    write: () => {
      throw new Error('the dashboard wrote to the terminal');
    },
    isTTY: false,
  } as unknown as NodeJS.WriteStream;
  return createContext(
    { sandbox: true },
    { env: { CLAW_HOME: home, HOME: home }, cwd: home, stdout: mute, stderr: mute, stdinIsTTY: false, signal: new AbortController().signal },
  );
}

/** HEAD of the sandbox's own sample repo (a git checkout under CLAW_HOME). */
const sandboxHead = (ctx: Context) => execFileSync('git', ['-C', join(ctx.home, 'sandbox', 'repo'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

describe('claw tui services on the sandbox', () => {
  it('sandbox faults set while the dashboard runs apply from its next refresh, which reports them; cleared, the one after is clean', async () => {
    const ctx = sandboxContext();
    const read = dashboardReader(ctx);
    const clean = await read({ account: false });
    expect(clean.faults).toBeNull();
    expect(clean.fleet.ok).toBe(true);
    await writeFaults(sandboxFaultsPath(ctx.home), { version: 1, rate: 1, seed: 3, attempts: 1, runs: 0 });
    const faulty = await read({ account: false });
    expect(faulty.faults).toEqual({ rate: 1, attempts: 1, seed: 3 });
    expect(faulty.fleet.ok).toBe(false);
    await rm(sandboxFaultsPath(ctx.home));
    const again = await read({ account: false });
    expect(again.faults).toBeNull();
    expect(again.fleet.ok).toBe(true);
  });

  it('reads the dashboard in one batch: fleet, AMIs a prune would remove, lock, history, HEAD, account, backups', async () => {
    const ctx = sandboxContext();
    const read = dashboardReader(ctx, { stack: 'lab' });
    const r = await read({ account: true });
    expect(r.fleet.ok && r.fleet.value.report.hosts.map((h) => h.host)).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-3']);
    expect(r.retention.ok && r.retention.value.images.filter((i) => i.action === 'prune')).toHaveLength(2);
    expect(r).toMatchObject({
      lock: { ok: true, value: { kind: 'free' } },
      history: { ok: true, value: [] },
      head: { ok: true, value: { rev: sandboxHead(ctx), note: 'HEAD' } },
      account: { ok: true, value: '123456789012' },
    });
    expect(r.backup).toMatchObject({ ok: true, value: { stack: 'lab', hosts: [expect.objectContaining({ name: 'openclaw-lab' })] } });
    // One batch: instances (fleet, OpenClaw, AMIs in use), AMIs, SSM, lock, history, the
    // bucket's latest/ (the history lists 7 d, 90 d, then all back while it has fewer
    // records than it shows); STS for the account and the backup bucket's name, the first time only.
    const first = ctx.requests();
    expect(first).toEqual({
      'ec2.DescribeImages': 1,
      'ec2.DescribeInstances': 3,
      'ssm.DescribeInstanceInformation': 1,
      's3.GetObject': 1,
      's3.ListObjectsV2': 4,
      'sts.GetCallerIdentity': 2,
    });
    await read({ account: false });
    const second = Object.fromEntries(Object.entries(ctx.requests()).map(([k, v]) => [k, v - (first[k] ?? 0)]));
    expect(second).toMatchObject({
      'ec2.DescribeImages': 1,
      'ec2.DescribeInstances': 3,
      'ssm.DescribeInstanceInformation': 1,
      's3.GetObject': 1,
      's3.ListObjectsV2': 4,
      'sts.GetCallerIdentity': 0,
    });
  });

  it('plans a deploy as `claw deploy --dry-run` does, and refuses to run a plan other than the one shown', async () => {
    const ctx = sandboxContext();
    // The default rev: HEAD of the sandbox's own repo, found on its simulated remote.
    const head = sandboxHead(ctx);
    const plan = await planDeploy(ctx, 'clawdinator-1', undefined);
    expect(plan.sha).toBe(head);
    expect(plan.planText).toMatch(new RegExp(`^deploy: clawdinator-1\nrev: {4}${head} \\(HEAD, on origin refs/heads/main\\)`));
    // The seeded fleet runs an older commit of that repo (tagged sample/fleet-rev).
    const fleet = execFileSync('git', ['-C', join(ctx.home, 'sandbox', 'repo'), 'rev-parse', 'sample/fleet-rev^{commit}'], { encoding: 'utf8' }).trim();
    expect(plan.planText).toMatch(new RegExp(`canary +clawdinator-1 +i-0a3f5c9e2b7d41c08 +${fleet.slice(0, 12)} -> ${head.slice(0, 12)}`));
    expect(plan.text).toBe(plan.planText); // no warning

    const events: ClawEvent[] = [];
    // The same request plans the same run; another rev, another run.
    expect((await planDeploy(ctx, 'clawdinator-1', undefined)).fingerprint).toBe(plan.fingerprint);
    expect((await planDeploy(ctx, 'clawdinator-1', fleet)).fingerprint).not.toBe(plan.fingerprint);
    const out = await runDeploy(ctx, {
      host: 'clawdinator-1',
      sha: head,
      fingerprint: `${plan.fingerprint}0`,
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
    });
    expect(out).toMatchObject({ status: 'failed', message: 'the plan changed since it was shown (the fleet or the rev moved); nothing was done', result: [] });
    expect(events.filter((e) => e.type !== 'warning')).toEqual([]);
    const sandbox = await openSandbox({ home: ctx.home, seedDir: SEED });
    const inst = sandbox.admin.state().instances.find((i) => i.instanceId === 'i-0a3f5c9e2b7d41c08');
    expect(inst?.tags['clawdinator:rev']).toBe(fleet);

    // The fleet moves after the plan was shown (another operator deployed the first commit):
    // the plan shown is no longer the run, so the shown fingerprint runs nothing.
    const first = execFileSync('git', ['-C', join(ctx.home, 'sandbox', 'repo'), 'rev-list', '--max-parents=0', 'HEAD'], { encoding: 'utf8' }).trim();
    await sandbox.clients.ec2.createTags({ Resources: ['i-0a3f5c9e2b7d41c08'], Tags: [{ Key: 'clawdinator:rev', Value: first }] });
    const moved = await runDeploy(ctx, {
      host: 'clawdinator-1',
      sha: head,
      fingerprint: plan.fingerprint,
      signal: new AbortController().signal,
      emit: () => {},
    });
    expect(moved).toMatchObject({ status: 'failed', message: 'the plan changed since it was shown (the fleet or the rev moved); nothing was done' });
    const after = (await openSandbox({ home: ctx.home, seedDir: SEED })).admin.state().instances.find((i) => i.instanceId === 'i-0a3f5c9e2b7d41c08');
    expect(after?.tags['clawdinator:rev']).toBe(first);
  });

  it("a plan that cannot be made is the deploy's own error", async () => {
    await expect(planDeploy(sandboxContext(), 'clawdinator-9', REV)).rejects.toThrow(/unknown host "clawdinator-9"/);
    const ctx = sandboxContext();
    await (await openSandbox({ home: ctx.home, seedDir: SEED })).admin.setPingStatus('i-0c9a2b4d6e8f10a37', 'ConnectionLost');
    await expect(planDeploy(ctx, 'clawdinator-babelfish', undefined)).rejects.toThrow(/SSM cannot reach clawdinator-babelfish/);
  });

  it('spot prices as `claw spot prices` prints them; backup now of the OpenClaw host', async () => {
    const ctx = sandboxContext();
    const lines = await spotLines(ctx);
    expect(lines[0]).toBe('spot prices in eu-central-1 (Linux/UNIX, now), cheapest first');
    expect(lines).toContainEqual(expect.stringMatching(/^eu-central-1b +t4g\.small +2 +2048 +0\.\d{6} +\d+\.\d\d +\* cheapest$/));
    expect(await backupNow(ctx, 'openclaw-lab', 'lab')).toMatch(
      /^backup of openclaw-lab done: new snapshot \d{4}-\d\d-\d\d-\d\d-\d\d in s3:\/\/openclaw-lab-backup-lab-123456789012\/snapshots\/$/,
    );
  });
});
