import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  ListCommandInvocationsCommand,
  type ListCommandInvocationsCommandOutput,
  SendCommandCommand,
  type SendCommandCommandInput,
  type SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { SsmApi } from '../../src/aws/clients.js';
import { rawMotoClients, ssmApiOver } from './moto-clients.js';

// Replays the recorded (AWS-shaped, modelled on the API reference: see the file's
// _comment) Run Command answers through an SDK client mocked with aws-sdk-client-mock:
// SendCommand answers the recorded Command, the first GetCommandInvocation of each
// invocation throws InvocationDoesNotExist, the next ones walk the scenario's answers.

export type Scenario = 'success' | 'failed' | 'truncated' | 'undeliverable' | 'agentRestart';

type Json = Record<string, unknown>;
interface Recorded {
  sendCommand: { Command: Json };
  scenarios: Record<Scenario, (Json & { stdoutRepeat?: string })[]>;
  listCommandInvocations: { CommandInvocations: Json[] };
}

export const recorded = JSON.parse(readFileSync(new URL('./recorded/ssm-run-command.json', import.meta.url), 'utf8')) as Recorded;

const DATE_FIELDS = new Set(['ExpiresAfter', 'RequestedDateTime', 'ResponseStartDateTime', 'ResponseFinishDateTime']);

/** The recorded JSON as the SDK hands it out: Date objects, placeholders filled in. */
export function materialise<T>(value: T, fill: Record<string, unknown>): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      if (key && DATE_FIELDS.has(key)) return new Date(v);
      return v in fill ? fill[v] : v;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}

export function recordedSsm(): { ssm: SsmApi; next(s: Scenario): void; close(): void } {
  const raw = rawMotoClients('http://127.0.0.1:9'); // never contacted: send() is mocked
  const mock = mockClient(raw.ssm);
  let scenario: Scenario = 'success';
  const commands = new Map<string, { scenario: Scenario; input: SendCommandCommandInput; reads: number }>();

  mock.on(SendCommandCommand).callsFake((input: SendCommandCommandInput): SendCommandCommandOutput => {
    const id = randomUUID();
    commands.set(id, { scenario, input, reads: 0 });
    const fill = { '<CommandId>': id, '<Comment>': input.Comment ?? '', '<InstanceId>': input.InstanceIds?.[0] };
    const command = materialise(recorded.sendCommand.Command, fill);
    return { $metadata: { httpStatusCode: 200 }, Command: { ...command, Parameters: input.Parameters, InstanceIds: input.InstanceIds } };
  });
  mock.on(GetCommandInvocationCommand).callsFake((input: { CommandId: string; InstanceId: string }): GetCommandInvocationCommandOutput => {
    const sent = commands.get(input.CommandId);
    if (!sent || !sent.input.InstanceIds?.includes(input.InstanceId) || sent.reads++ === 0) {
      throw new InvocationDoesNotExist({ message: '', $metadata: { httpStatusCode: 400 } });
    }
    const steps = recorded.scenarios[sent.scenario];
    const { stdoutRepeat, ...step } = steps[Math.min(sent.reads - 2, steps.length - 1)]!;
    const fill = { '<CommandId>': input.CommandId, '<Comment>': sent.input.Comment ?? '', '<InstanceId>': input.InstanceId };
    const out = materialise(step, fill) as unknown as GetCommandInvocationCommandOutput;
    if (stdoutRepeat !== undefined) out.StandardOutputContent = stdoutRepeat.repeat(24_000);
    return { ...out, $metadata: { httpStatusCode: 200 } };
  });
  mock.on(ListCommandInvocationsCommand).callsFake((input: { CommandId?: string }): ListCommandInvocationsCommandOutput => {
    const sent = input.CommandId === undefined ? undefined : commands.get(input.CommandId);
    const fill = { '<CommandId>': input.CommandId, '<Comment>': sent?.input.Comment ?? '', '<InstanceId>': sent?.input.InstanceIds?.[0] };
    return { $metadata: { httpStatusCode: 200 }, ...materialise(recorded.listCommandInvocations, fill) } as ListCommandInvocationsCommandOutput;
  });
  return {
    ssm: ssmApiOver(raw.ssm),
    next: (s) => void (scenario = s),
    close: () => {
      mock.restore();
      raw.ssm.destroy();
    },
  };
}
