import type { DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import type { SendCommandCommandInput } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import type { Ec2Api, SsmApi } from '../../src/aws/clients.js';
import { runSsmStep, ssmStepComment } from '../../src/aws/runbook-ssm.js';
import { UsageError } from '../../src/core/errors.js';

// The runbook `ssm` step against hand-written EC2 and SSM fakes that throw on any call
// nobody expected. (moto's SSM always answers "Success" and lacks the instance
// information API, so the outcomes below are scripted here; the sandbox e2e covers the
// same code end to end.)

function strict<T extends object>(name: string, impl: Partial<T>): T {
  return new Proxy(impl, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof T];
      if (prop === 'then') return undefined;
      return () => {
        throw new Error(`unexpected ${name}.${String(prop)}`);
      };
    },
  }) as T;
}

type Inst = { id: string; name: string; state?: string };

function fakes(instances: Inst[], o: { ping?: string; answers?: object[] } = {}) {
  const calls: string[] = [];
  const sent: SendCommandCommandInput[] = [];
  const ec2 = strict<Ec2Api>('ec2', {
    describeInstances: async (input: DescribeInstancesCommandInput) => {
      calls.push(`ec2.describeInstances ${JSON.stringify(input.Filters)}`);
      return {
        $metadata: {},
        Reservations: [
          {
            Instances: instances.map((i) => ({
              InstanceId: i.id,
              State: { Name: (i.state ?? 'running') as 'running' },
              Tags: [
                { Key: 'app', Value: 'clawdinator' },
                { Key: 'Name', Value: i.name },
              ],
            })),
          },
        ],
      };
    },
  });
  const answers = [...(o.answers ?? [])];
  const ssm = strict<SsmApi>('ssm', {
    describeInstanceInformation: async () => {
      calls.push('ssm.describeInstanceInformation');
      return { $metadata: {}, InstanceInformationList: instances.map((i) => ({ InstanceId: i.id, PingStatus: (o.ping ?? 'Online') as 'Online' })) };
    },
    sendCommand: async (input) => {
      calls.push('ssm.sendCommand');
      sent.push(input as SendCommandCommandInput);
      return { $metadata: {}, Command: { CommandId: 'cmd-1' } };
    },
    getCommandInvocation: async () => {
      calls.push('ssm.getCommandInvocation');
      const a = answers.shift();
      if (!a) throw Object.assign(new Error('no such invocation'), { name: 'InvocationDoesNotExist' });
      return { $metadata: {}, ...a };
    },
  });
  return { ec2, ssm, calls, sent };
}

const budget = { initialMs: 1, factor: 2, maxIntervalMs: 4, timeoutMs: 1_000, maxCalls: 20 };

async function step(f: ReturnType<typeof fakes>, host = 'clawdinator-3', commands = ['systemctl is-active clawdinator', 'uptime']) {
  const lines: string[] = [];
  const result = await runSsmStep({
    ec2: f.ec2,
    ssm: f.ssm,
    instanceTag: { key: 'app', value: 'clawdinator' },
    host,
    commands,
    timeoutMs: 120_000,
    comment: ssmStepComment('orchestrator-to-vm', 'b-health'),
    budget,
    sleep: async () => undefined,
    output: (l) => void lines.push(l),
  });
  return { result, lines };
}

describe('runbook ssm step', () => {
  it("resolves the host to its one running instance, sends the runbook's lines, and reports the output", async () => {
    const f = fakes(
      [
        { id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3' },
        { id: 'i-0bbbbbbbbbbbbbbb1', name: 'clawdinator-1' },
      ],
      {
        answers: [
          { Status: 'InProgress' },
          { Status: 'Success', ResponseCode: 0, StandardOutputContent: 'active\n 10:00 up 2 days\n', StandardErrorContent: '' },
        ],
      },
    );
    const { result, lines } = await step(f);
    expect(result).toEqual({ ok: true, exitCode: 0, instanceId: 'i-0aaaaaaaaaaaaaaa3' });
    expect(f.sent).toEqual([
      expect.objectContaining({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-0aaaaaaaaaaaaaaa3'],
        Parameters: { commands: ['systemctl is-active clawdinator', 'uptime'], executionTimeout: ['120'] },
        Comment: 'claw migrate orchestrator-to-vm b-health',
      }),
    ]);
    expect(lines).toEqual(['ssm: clawdinator-3 is i-0aaaaaaaaaaaaaaa3; sending 2 command lines', 'active', ' 10:00 up 2 days']);
    expect(f.calls[0]).toContain('"tag:app"');
  });

  it("a failing command is a failed step with the host's exit code and its stderr", async () => {
    const f = fakes([{ id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3' }], {
      answers: [{ Status: 'Failed', ResponseCode: 3, StandardOutputContent: 'inactive\n', StandardErrorContent: 'failed to run commands: exit status 3' }],
    });
    const { result, lines } = await step(f);
    expect(result).toEqual({ ok: false, exitCode: 3, error: 'exit code 3 on clawdinator-3', instanceId: 'i-0aaaaaaaaaaaaaaa3' });
    expect(lines.slice(1)).toEqual(['inactive', 'failed to run commands: exit status 3']);
  });

  it('a timed-out command fails without an exit code', async () => {
    const f = fakes([{ id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3' }], {
      answers: [{ Status: 'TimedOut', ResponseCode: -1, StatusDetails: 'ExecutionTimedOut' }],
    });
    expect((await step(f)).result).toMatchObject({ ok: false, exitCode: undefined, error: 'TimedOut on clawdinator-3 (ExecutionTimedOut)' });
  });

  it('no instance, several, a stopped one, or SSM not reaching it: failed before anything is sent', async () => {
    for (const [instances, ping, why] of [
      [[], 'Online', /clawdinator-3: no instance tagged app=clawdinator and Name=clawdinator-3/],
      [
        [
          { id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3' },
          { id: 'i-0ccccccccccccccc3', name: 'clawdinator-3' },
        ],
        'Online',
        /2 instances .*expected exactly one/,
      ],
      [[{ id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3', state: 'stopped' }], 'Online', /is stopped, not running/],
      [[{ id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3' }], 'ConnectionLost', /SSM cannot reach clawdinator-3 \(i-0aaaaaaaaaaaaaaa3: connection-lost\)/],
    ] as [Inst[], string, RegExp][]) {
      const f = fakes(instances, { ping });
      const { result } = await step(f);
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(why);
      expect(f.sent).toEqual([]);
    }
  });

  it('never polls past its budget: a command that never ends fails the step', async () => {
    const f = fakes([{ id: 'i-0aaaaaaaaaaaaaaa3', name: 'clawdinator-3' }], { answers: Array.from({ length: 50 }, () => ({ Status: 'InProgress' })) });
    const { result } = await step(f);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/no result from i-0aaaaaaaaaaaaaaa3 within the poll budget \(20 calls/) });
  });

  it('refuses a host that is not a hostname before any call', async () => {
    const f = fakes([]);
    await expect(step(f, 'x;reboot')).rejects.toThrow(UsageError);
    expect(f.calls).toEqual([]);
  });
});
