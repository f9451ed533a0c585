import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SsmApi } from '../../src/aws/clients.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { SEED_DIR } from './backends.js';
import { recorded, recordedSsm, type Scenario } from './ssm-recorded.js';
import { DOC, runToEnd } from './ssm-run.js';

// The Run Command contract: the lifecycle a client sees (InvocationDoesNotExist first,
// Pending, InProgress, the end), failures, AWS's 24,000-character cut, an undeliverable
// host and a result lost to an SSM agent restart. moto cannot show any of it (its
// commands are "Success" at once and run nothing; ListCommandInvocations is missing:
// pinned in ssm-run-command-moto.contract.test.ts), so the suite runs against the
// sandbox and against an SDK client mocked with aws-sdk-client-mock that replays
// AWS-shaped answers modelled on the API reference (recorded/ssm-run-command.json,
// not captured from a live account; its _comment says how each was modelled).

const ONE = 'i-0a3f5c9e2b7d41c08';
const BABELFISH = 'i-0c9a2b4d6e8f10a37'; // ping ConnectionLost in the sandbox seed
const REV = '0123456789abcdef0123456789abcdef01234567';
const SWITCH = `systemd-run --unit claw-switch-${REV} --remain-after-exit /run/current-system/sw/bin/nixos-rebuild switch --accept-flake-config --flake 'github:openclaw/clawdinators/${REV}#clawdinator-1'`;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RcBackend {
  ssm: SsmApi;
  /** Set the scene for the next command (sandbox: admin faults; replay: which recording). */
  prepare(s: Scenario): Promise<void>;
  close(): Promise<void>;
}

const rcBackends: Record<string, () => Promise<RcBackend>> = {
  sandbox: async () => {
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-rc-'));
    const sb = await openSandbox({ home, seedDir: SEED_DIR });
    return {
      ssm: sb.clients.ssm,
      prepare: async (s) => {
        await sb.admin.setServiceState(ONE, s === 'failed' ? 'inactive' : 'active');
        if (s === 'agentRestart') await sb.admin.agentRestartOnNextSwitch(ONE);
        if (s === 'undeliverable') await sb.admin.setPingStatus(BABELFISH, 'ConnectionLost');
      },
      close: () => rm(home, { recursive: true, force: true, maxRetries: 5 }),
    };
  },
  'recorded AWS (aws-sdk-client-mock)': async () => {
    const r = recordedSsm();
    return { ssm: r.ssm, prepare: async (s) => r.next(s), close: async () => r.close() };
  },
};

for (const [name, open] of Object.entries(rcBackends)) {
  describe(`SSM Run Command [${name}]`, () => {
    let b: RcBackend;
    beforeAll(async () => {
      b = await open();
    });
    afterAll(async () => b.close());

    it('SendCommand answers the command Pending, echoing what was asked', async () => {
      await b.prepare('success');
      const out = await b.ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo hello'] }, Comment: 'claw test' });
      const c = out.Command!;
      expect(c.CommandId).toMatch(UUID);
      expect(c).toMatchObject({
        DocumentName: DOC,
        DocumentVersion: '$DEFAULT',
        Comment: 'claw test',
        InstanceIds: [ONE],
        Parameters: { commands: ['echo hello'] },
        Status: 'Pending',
        StatusDetails: 'Pending',
        TargetCount: 1,
        CompletedCount: 0,
        ErrorCount: 0,
        TimeoutSeconds: 3600,
        MaxConcurrency: '50',
        MaxErrors: '0',
      });
      expect(c.RequestedDateTime).toBeInstanceOf(Date);
      expect(c.ExpiresAfter!.getTime()).toBeGreaterThan(c.RequestedDateTime!.getTime());
    });

    it('an invocation is not there at first, then Pending, InProgress, and Success with its output', async () => {
      await b.prepare('success');
      const r = await runToEnd(b.ssm, ONE, ['echo hello'], 'claw test');
      expect(r.seen).toEqual(['InvocationDoesNotExist', 'Pending', 'InProgress', 'Success']);
      const [pending, running, done] = r.views;
      expect(pending).toMatchObject({ Status: 'Pending', ResponseCode: -1, ExecutionStartDateTime: '', ExecutionEndDateTime: '', StandardOutputContent: '' });
      expect(running).toMatchObject({ Status: 'InProgress', ResponseCode: -1, ExecutionEndDateTime: '', StandardOutputContent: '' });
      expect(running!.ExecutionStartDateTime).toMatch(ISO);
      expect(done).toMatchObject({
        CommandId: r.commandId,
        InstanceId: ONE,
        Comment: 'claw test',
        DocumentName: DOC,
        PluginName: 'aws:runShellScript',
        Status: 'Success',
        StatusDetails: 'Success',
        ResponseCode: 0,
        StandardOutputContent: 'hello\n',
        StandardErrorContent: '',
      });
      expect(done!.ExecutionStartDateTime).toMatch(ISO);
      expect(done!.ExecutionEndDateTime).toMatch(ISO);
      expect(done!.ExecutionElapsedTime).toMatch(/^PT\d+(\.\d+)?S$/);
    });

    it("a failing script ends Failed with its exit status, and the agent's line on stderr", async () => {
      await b.prepare('failed');
      const { out } = await runToEnd(b.ssm, ONE, ['set -e', 'systemctl is-active clawdinator']);
      expect(out).toMatchObject({
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: 3,
        StandardOutputContent: 'inactive\n',
        StandardErrorContent: 'failed to run commands: exit status 3',
      });
    });

    it('inline stdout is cut at 24,000 characters', async () => {
      await b.prepare('truncated');
      const { out } = await runToEnd(b.ssm, ONE, [`echo ${'x'.repeat(30_000)}`]);
      expect(out.Status).toBe('Success');
      expect(out.StandardOutputContent).toHaveLength(24_000);
      expect(out.StandardOutputContent).toMatch(/^x+$/);
    });

    it('a host whose agent is not connected: Pending until the command ends Failed / Undeliverable', async () => {
      await b.prepare('undeliverable');
      const r = await runToEnd(b.ssm, BABELFISH, ['echo hello']);
      expect(r.seen).toEqual(['InvocationDoesNotExist', 'Pending', 'Pending', 'Failed']);
      expect(r.out).toMatchObject({ StatusDetails: 'Undeliverable', ResponseCode: -1, ExecutionStartDateTime: '', StandardOutputContent: '' });
    });

    it("an agent restart during the switch: the invocation ends Failed with no result (the sandbox's model)", async () => {
      await b.prepare('agentRestart');
      const r = await runToEnd(b.ssm, ONE, ['set -eu', SWITCH]);
      expect(r.seen).toEqual(['InvocationDoesNotExist', 'Pending', 'InProgress', 'Failed']);
      expect(r.out).toMatchObject({ StatusDetails: 'Undeliverable', ResponseCode: -1, StandardOutputContent: '', StandardErrorContent: '' });
    });

    it('ListCommandInvocations with Details: the invocation and its aws:runShellScript plugin output', async () => {
      await b.prepare('success');
      const r = await runToEnd(b.ssm, ONE, ['echo hello'], 'listed');
      const list = await b.ssm.listCommandInvocations({ CommandId: r.commandId, Details: true });
      const [inv] = list.CommandInvocations!;
      expect(inv).toMatchObject({ CommandId: r.commandId, InstanceId: ONE, Comment: 'listed', DocumentName: DOC, Status: 'Success', StatusDetails: 'Success' });
      expect(inv!.RequestedDateTime).toBeInstanceOf(Date);
      expect(inv!.CommandPlugins).toEqual([expect.objectContaining({ Name: 'aws:runShellScript', Status: 'Success', ResponseCode: 0, Output: 'hello\n' })]);
      expect(inv!.CommandPlugins![0]!.ResponseFinishDateTime).toBeInstanceOf(Date);
    });
  });
}

describe('SSM Run Command: the sandbox answers have the shape of the recorded AWS answers', () => {
  const typeOf = (v: unknown) => (v instanceof Date ? 'Date' : Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  const shape = (o: object) =>
    Object.fromEntries(
      Object.entries(o)
        .filter(([k]) => k !== '$metadata')
        .map(([k, v]) => [k, typeOf(v)]),
    );

  it('SendCommand, GetCommandInvocation and ListCommandInvocations: every field AWS sends, with its type', async () => {
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-rc-'));
    const sb = await openSandbox({ home, seedDir: SEED_DIR });
    const replay = recordedSsm();
    const sides = [];
    for (const ssm of [sb.clients.ssm, replay.ssm]) {
      const sent = await ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo hello'] } });
      const r = await runToEnd(ssm, ONE, ['echo hello']);
      const inv = (await ssm.listCommandInvocations({ CommandId: r.commandId, Details: true })).CommandInvocations![0]!;
      sides.push({ command: shape(sent.Command!), invocation: shape(r.out), listed: shape(inv), plugin: shape(inv.CommandPlugins![0]!) });
    }
    expect(sides[0]).toEqual(sides[1]);
    expect(Object.keys(sides[1]!.invocation)).toEqual(Object.keys(recorded.scenarios.success[2]!));
    replay.close();
    await rm(home, { recursive: true, force: true, maxRetries: 5 });
  });
});
