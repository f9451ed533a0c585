import type { StackEvent, StackSummary } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import type { CloudFormationApi } from '../../src/aws/clients.js';
import { listImports, operationEvents, readStacks } from '../../src/aws/stacks.js';
import { RemoteError } from '../../src/core/errors.js';

// src/aws/stacks.ts over a small scripted CloudFormation: what is asked (and what is
// not), pages, how far back events are read, concurrency, and the errors AWS gives.

const NOW = new Date('2026-03-06T10:00:00Z');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);
const ok = { $metadata: {} };
const validation = (message: string) => Object.assign(new Error(message), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
const idOf = (name: string) => `arn:aws:cloudformation:eu-central-1:123456789012:stack/${name}/uuid`;

interface Scripted {
  summary: StackSummary;
  /** Newest first. */
  events: StackEvent[];
}

function stack(name: string, status: string, events: [logicalId: string | null, status: string, reason?: string][] = []): Scripted {
  const n = events.length;
  return {
    summary: { StackName: name, StackId: idOf(name), StackStatus: status as StackSummary['StackStatus'], CreationTime: ago(5000), LastUpdatedTime: ago(120) },
    events: events
      .map(([logicalId, s, reason], i) => ({
        StackId: idOf(name),
        StackName: name,
        EventId: `${name}-${i}`,
        LogicalResourceId: logicalId ?? name,
        ResourceType: logicalId === null ? 'AWS::CloudFormation::Stack' : 'AWS::ECS::TaskDefinition',
        ResourceStatus: s as StackEvent['ResourceStatus'],
        ResourceStatusReason: reason,
        Timestamp: ago(200 - (i * 100) / n),
      }))
      .reverse(),
  };
}

interface FakeOptions {
  stacks: Scripted[];
  exports?: Record<string, string>;
  imports?: Record<string, string[]>;
  page?: number;
  /** ListExports may be called (only when an export is in use). */
  exportsExpected?: boolean;
  /** Stacks that vanish between ListStacks and DescribeStackEvents. */
  vanished?: string[];
  delayMs?: number;
}

function fakeCfn(o: FakeOptions) {
  const page = o.page ?? 100;
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const pageOf = <T>(items: T[], token: string | undefined) => {
    const start = token ? Number(token) : 0;
    const next = start + page < items.length ? String(start + page) : undefined;
    return { items: items.slice(start, start + page), next };
  };
  const timed = async <T>(label: string, fn: () => T): Promise<T> => {
    calls.push(label);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, o.delayMs ?? 0));
    inFlight--;
    return fn();
  };
  const cfn: CloudFormationApi = {
    listStacks: (i) =>
      timed(`ListStacks ${i.NextToken ?? ''}`.trim(), () => {
        expect(i.StackStatusFilter).toHaveLength(22);
        expect(i.StackStatusFilter).not.toContain('DELETE_COMPLETE');
        const { items, next } = pageOf(
          o.stacks.map((s) => s.summary),
          i.NextToken,
        );
        return { ...ok, StackSummaries: items, NextToken: next };
      }),
    describeStackEvents: (i) =>
      timed(`DescribeStackEvents ${i.StackName} ${i.NextToken ?? ''}`.trim(), () => {
        const s = o.stacks.find((x) => x.summary.StackId === i.StackName);
        if (!s || o.vanished?.includes(s.summary.StackName!)) throw validation(`Stack [${i.StackName}] does not exist`);
        const { items, next } = pageOf(s.events, i.NextToken);
        return { ...ok, StackEvents: items, NextToken: next };
      }),
    listExports: (i) =>
      timed('ListExports', () => {
        if (!o.exportsExpected) throw new Error('ListExports was not expected');
        const all = Object.entries(o.exports ?? {}).map(([Name, Value]) => ({ Name, Value, ExportingStackId: 'x' }));
        const { items, next } = pageOf(all, i.NextToken);
        return { ...ok, Exports: items, NextToken: next };
      }),
    listImports: (i) =>
      timed(`ListImports ${i.ExportName}`, () => {
        const importers = o.imports?.[i.ExportName!];
        if (!importers) throw validation(`Export '${i.ExportName}' is not imported by any stack.`);
        const { items, next } = pageOf(importers, i.NextToken);
        return { ...ok, Imports: items, NextToken: next };
      }),
  };
  return { cfn, calls, maxInFlight: () => maxInFlight };
}

const IN_USE = 'Export infra:TaskDefinitionArn cannot be updated as it is in use by svc';
const infra = stack('infra', 'UPDATE_ROLLBACK_COMPLETE', [
  [null, 'CREATE_IN_PROGRESS', 'User Initiated'],
  [null, 'CREATE_COMPLETE'],
  [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
  ['TaskDefinition', 'UPDATE_COMPLETE'],
  [null, 'UPDATE_ROLLBACK_IN_PROGRESS', IN_USE],
  [null, 'UPDATE_ROLLBACK_COMPLETE'],
]);
const query = { prefixes: [], now: NOW, stalledAfterMs: 3_600_000 };

describe('readStacks', () => {
  it("lists every page, reads the stuck stacks' events, then the exports in use: importers and values", async () => {
    const f = fakeCfn({
      stacks: [stack('net', 'CREATE_COMPLETE'), infra, stack('svc', 'UPDATE_COMPLETE')],
      exports: { 'infra:TaskDefinitionArn': 'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42', 'net:VpcId': 'vpc-1' },
      imports: { 'infra:TaskDefinitionArn': ['svc', 'svc-2'] },
      page: 2,
      exportsExpected: true,
    });
    const report = await readStacks(f.cfn, query);
    expect(report.checked).toBe(3);
    expect(report.stacks).toHaveLength(1);
    expect(report.stacks[0]!.exportsInUse).toEqual([
      {
        exportName: 'infra:TaskDefinitionArn',
        operation: 'update',
        value: 'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42',
        valueKind: 'task-definition-revision',
        valueNote: expect.stringContaining('task-definition revision ARN'),
        importers: ['svc', 'svc-2'],
      },
    ]);
    // Events stop at the page holding the start of the latest operation (UPDATE_IN_PROGRESS on the 2nd page).
    expect(f.calls.filter((c) => c.startsWith('DescribeStackEvents'))).toEqual([
      `DescribeStackEvents ${idOf('infra')}`,
      `DescribeStackEvents ${idOf('infra')} 2`,
    ]);
    expect(f.calls.filter((c) => c.startsWith('ListStacks'))).toEqual(['ListStacks', 'ListStacks 2']);
    expect(f.calls.filter((c) => c.startsWith('ListImports'))).toEqual(['ListImports infra:TaskDefinitionArn']);
    expect(f.calls.filter((c) => c === 'ListExports')).toHaveLength(1);
  });

  it('healthy stacks: no events, exports or imports asked for', async () => {
    const f = fakeCfn({ stacks: [stack('a', 'CREATE_COMPLETE'), stack('b', 'UPDATE_COMPLETE'), stack('c', 'REVIEW_IN_PROGRESS')] });
    expect(await readStacks(f.cfn, query)).toEqual({ checked: 3, stacks: [] });
    expect(f.calls).toEqual(['ListStacks']);
  });

  it('a stuck stack without an export in use does not ask ListExports', async () => {
    const f = fakeCfn({
      stacks: [
        stack('canary', 'ROLLBACK_COMPLETE', [
          [null, 'CREATE_IN_PROGRESS', 'User Initiated'],
          ['I', 'CREATE_FAILED', 'no such AMI'],
          [null, 'ROLLBACK_COMPLETE'],
        ]),
      ],
    });
    const report = await readStacks(f.cfn, query);
    expect(report.stacks[0]).toMatchObject({ stackName: 'canary', reason: 'no such AMI', exportsInUse: [] });
    expect(f.calls.some((c) => c === 'ListExports' || c.startsWith('ListImports'))).toBe(false);
  });

  it('--stack-prefix narrows what is checked', async () => {
    const f = fakeCfn({
      stacks: [stack('openclaw-lab-a', 'CREATE_COMPLETE'), stack('other', 'ROLLBACK_COMPLETE'), stack('openclaw-lab-b', 'UPDATE_COMPLETE')],
    });
    expect(await readStacks(f.cfn, { ...query, prefixes: ['openclaw-lab-'] })).toEqual({ checked: 2, stacks: [] });
  });

  it('a stack deleted after it was listed is left out, and not counted', async () => {
    const f = fakeCfn({ stacks: [stack('gone', 'ROLLBACK_COMPLETE'), stack('net', 'CREATE_COMPLETE')], vanished: ['gone'] });
    expect(await readStacks(f.cfn, query)).toEqual({ checked: 1, stacks: [] });
  });

  it('at most `concurrency` stacks read at once', async () => {
    const stacks = Array.from({ length: 9 }, (_, i) =>
      stack(`s${i}`, 'UPDATE_ROLLBACK_COMPLETE', [
        [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
        [null, 'UPDATE_ROLLBACK_COMPLETE'],
      ]),
    );
    const f = fakeCfn({ stacks, delayMs: 5 });
    const report = await readStacks(f.cfn, { ...query, concurrency: 3 });
    expect(report.stacks).toHaveLength(9);
    expect(f.maxInFlight()).toBe(3);
  });

  it('other AWS errors are not swallowed', async () => {
    const cfn = {
      listStacks: () => Promise.reject(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' })),
    } as unknown as CloudFormationApi;
    await expect(readStacks(cfn, query)).rejects.toThrow('User is not authorized');
  });
});

describe('operationEvents', () => {
  it('reads on until the start of the latest operation, or the last page', async () => {
    const long = stack('long', 'UPDATE_ROLLBACK_FAILED', [
      [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
      ...Array.from({ length: 7 }, (_, i) => [`R${i}`, 'UPDATE_FAILED', 'x'] as [string, string, string]),
      [null, 'UPDATE_ROLLBACK_FAILED'],
    ]);
    const f = fakeCfn({ stacks: [long], page: 3 });
    expect(await operationEvents(f.cfn, { stackName: 'long', stackId: idOf('long') } as never)).toHaveLength(9);
    expect(f.calls).toHaveLength(3);
    const none = fakeCfn({
      stacks: [
        stack('x', 'ROLLBACK_COMPLETE', [
          ['R', 'CREATE_FAILED', 'y'],
          [null, 'ROLLBACK_COMPLETE'],
        ]),
      ],
      page: 1,
    });
    expect(await operationEvents(none.cfn, { stackName: 'x', stackId: idOf('x') } as never)).toHaveLength(2);
  });

  it('a token that repeats is a broken answer, not an endless history', async () => {
    const cfn = { describeStackEvents: async () => ({ ...ok, StackEvents: [], NextToken: 'same' }) } as unknown as CloudFormationApi;
    await expect(operationEvents(cfn, { stackName: 'x', stackId: 'x' } as never)).rejects.toBeInstanceOf(RemoteError);
  });
});

describe('listImports', () => {
  it('"not imported by any stack" means none; every page otherwise; other errors propagate', async () => {
    const f = fakeCfn({ stacks: [], imports: { 'a:X': ['s1', 's2', 's3'] }, page: 2 });
    expect(await listImports(f.cfn, 'a:X')).toEqual(['s1', 's2', 's3']);
    expect(await listImports(f.cfn, 'a:Y')).toEqual([]);
    const denied = { listImports: () => Promise.reject(validation('Export a:X is something else entirely')) } as unknown as CloudFormationApi;
    await expect(listImports(denied, 'a:X')).rejects.toThrow('something else entirely');
  });
});
