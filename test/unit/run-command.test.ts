import { describe, expect, it } from 'vitest';
import type { SsmApi } from '../../src/aws/clients.js';
import { PollBudgetExceeded, PollMeter, runCommand } from '../../src/aws/run-command.js';

// runCommand against a hand-written SsmApi fake (it answers exactly what the test
// scripts, and records every call); sleeps are recorded instead of waited.

type Answer = 'missing' | { Status: string; ResponseCode?: number; StandardOutputContent?: string; StandardErrorContent?: string };

function fakeSsm(answers: Answer[]) {
  const calls: string[] = [];
  const ssm = {
    sendCommand: async (input) => {
      calls.push(`send ${input.DocumentName} ${input.InstanceIds?.join(',')} ${input.Comment}`);
      return { $metadata: {}, Command: { CommandId: 'c-1' } };
    },
    getCommandInvocation: async () => {
      calls.push('get');
      const a = answers.shift() ?? { Status: 'InProgress' };
      if (a === 'missing') throw Object.assign(new Error('UnknownError'), { name: 'InvocationDoesNotExist' });
      return { $metadata: {}, ...a } as never;
    },
    describeInstanceInformation: async () => {
      throw new Error('unused');
    },
    listCommandInvocations: async () => {
      throw new Error('unused');
    },
  } satisfies SsmApi;
  return { ssm, calls };
}

const budget = { initialMs: 10, factor: 2, maxIntervalMs: 40, timeoutMs: 10_000, maxCalls: 6 };
const base = (ssm: SsmApi, meter = new PollMeter(budget), slept: number[] = []) => ({
  ssm,
  instanceId: 'i-0123456789abcdef0',
  commands: ['echo hi'],
  comment: 'claw test',
  meter,
  sleep: async (ms: number) => void slept.push(ms),
});

describe('runCommand', () => {
  it('retries InvocationDoesNotExist and Pending/InProgress until the end, with backoff', async () => {
    const { ssm, calls } = fakeSsm([
      'missing',
      'missing',
      { Status: 'Pending' },
      { Status: 'InProgress' },
      { Status: 'Success', ResponseCode: 0, StandardOutputContent: 'hi\n' },
    ]);
    const slept: number[] = [];
    const r = await runCommand(base(ssm, new PollMeter({ ...budget, maxCalls: 1000 }), slept));
    expect(r).toMatchObject({ commandId: 'c-1', status: 'Success', responseCode: 0, stdout: 'hi\n', truncated: false });
    expect(calls).toEqual(['send AWS-RunShellScript i-0123456789abcdef0 claw test', 'get', 'get', 'get', 'get', 'get']);
    expect(slept).toEqual([10, 20, 40, 40, 40]);
  });

  it('reports Failed / TimedOut as results, not exceptions', async () => {
    const { ssm } = fakeSsm([{ Status: 'TimedOut', ResponseCode: -1 }]);
    expect(await runCommand(base(ssm))).toMatchObject({ status: 'TimedOut', responseCode: -1, stdout: '' });
  });

  it('stops at the budget: PollBudgetExceeded after maxCalls reads, shared by the commands of one host', async () => {
    const meter = new PollMeter(budget);
    const { ssm, calls } = fakeSsm([{ Status: 'Success', ResponseCode: 0 }]);
    await runCommand(base(ssm, meter));
    expect(meter.calls).toBe(1);
    const err = await runCommand(base(ssm, meter)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PollBudgetExceeded);
    expect(meter.calls).toBe(6);
    expect(calls.filter((c) => c === 'get')).toHaveLength(6);
  });

  it('stops at the time budget too', async () => {
    const meter = new PollMeter({ ...budget, timeoutMs: 100, maxCalls: 1000 });
    const { ssm } = fakeSsm([]);
    await expect(runCommand(base(ssm, meter))).rejects.toBeInstanceOf(PollBudgetExceeded);
    expect(meter.waitedMs).toBeLessThanOrEqual(100);
  });

  it('keeps SSM cut of 24,000 characters and says the output was cut', async () => {
    const { ssm } = fakeSsm([{ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'x'.repeat(30_000) }]);
    const r = await runCommand(base(ssm));
    expect(r.stdout).toHaveLength(24_000);
    expect(r.truncated).toBe(true);
  });

  it('an aborted signal stops before anything is sent', async () => {
    const { ssm, calls } = fakeSsm([]);
    const ac = new AbortController();
    ac.abort();
    await expect(runCommand({ ...base(ssm), signal: ac.signal, sleep: undefined })).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toEqual([]);
  });
});
