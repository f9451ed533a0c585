import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { createCloudFormation } from '../../src/sandbox/cloudformation.js';
import { loadFixture } from '../../src/sandbox/fixture.js';
import { openSandbox, sandboxStatePath } from '../../src/sandbox/index.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { seedState } from '../../src/sandbox/seed.js';
import { sandboxState, type SandboxState } from '../../src/sandbox/state.js';
import type { StackRecord } from '../../src/sandbox/state-cloudformation.js';

// The sandbox's CloudFormation (src/sandbox/cloudformation.ts) and its seed, as
// fixtures/sandbox/README.md ("CloudFormation") describes them. What moto can show too
// is in test/contract/cloudformation.contract.test.ts.

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
const NOW = new Date('2026-03-06T12:34:56.000Z');
const MIN = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-sandbox-cfn-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true, maxRetries: 5 });
});

const open = (seedDir = SEED_DIR) => openSandbox({ home, seedDir, now: () => NOW });
const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );

/** A world of the seed plus `extra` stacks, for paging. */
async function worldWith(extra: (state: SandboxState) => void) {
  const state = seedState(await loadFixture(SEED_DIR), NOW);
  extra(state);
  return createCloudFormation({ state, now: () => NOW, persist: async () => undefined });
}

function stack(name: string, o: Partial<StackRecord> = {}): StackRecord {
  return {
    stackId: `arn:aws:cloudformation:eu-central-1:123456789012:stack/${name}/00000000-0000-4000-8000-000000000000`,
    stackName: name,
    status: 'CREATE_COMPLETE',
    creationTime: ago(MIN),
    outputs: [],
    imports: [],
    events: [],
    ...o,
  };
}

describe('the seeded stacks', () => {
  it('ListStacks: every stack, deleted ones too, or those of the filter', async () => {
    const cfn = (await open()).clients.cloudformation;
    const all = (await cfn.listStacks({})).StackSummaries!;
    expect(Object.fromEntries(all.map((s) => [s.StackName, s.StackStatus]))).toEqual({
      CDKToolkit: 'UPDATE_COMPLETE',
      'openclaw-lab-network': 'CREATE_COMPLETE',
      'openclaw-lab-infra': 'UPDATE_ROLLBACK_COMPLETE',
      'openclaw-lab-service': 'UPDATE_COMPLETE',
      'openclaw-lab-canary': 'ROLLBACK_COMPLETE',
      'openclaw-lab-bastion': 'DELETE_COMPLETE',
    });
    const infra = all.find((s) => s.StackName === 'openclaw-lab-infra')!;
    expect(infra).toMatchObject({
      StackId: expect.stringMatching(
        /^arn:aws:cloudformation:eu-central-1:123456789012:stack\/openclaw-lab-infra\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      ),
      CreationTime: new Date(ago(41 * 24 * 60 * MIN)),
      LastUpdatedTime: new Date(ago(130 * MIN)),
    });
    expect(all.find((s) => s.StackName === 'openclaw-lab-bastion')!.DeletionTime).toEqual(new Date(ago(20 * 24 * 60 * MIN)));
    const held = await cfn.listStacks({ StackStatusFilter: ['ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'] });
    expect(held.StackSummaries!.map((s) => s.StackName).sort()).toEqual(['openclaw-lab-canary', 'openclaw-lab-infra']);
  });

  it("DescribeStackEvents: newest first, the stack's own events with its id", async () => {
    const cfn = (await open()).clients.cloudformation;
    const events = (await cfn.describeStackEvents({ StackName: 'openclaw-lab-infra' })).StackEvents!;
    expect(events.map((e) => e.Timestamp!.getTime())).toEqual([...events.map((e) => e.Timestamp!.getTime())].sort((a, b) => b - a));
    expect(events[0]).toMatchObject({
      LogicalResourceId: 'openclaw-lab-infra',
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: 'UPDATE_ROLLBACK_COMPLETE',
      StackName: 'openclaw-lab-infra',
    });
    expect(events[0]!.PhysicalResourceId).toBe(events[0]!.StackId);
    const rollback = events.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')!;
    expect(rollback.ResourceStatusReason).toBe('Export openclaw-lab-infra:TaskDefinitionArn cannot be updated as it is in use by openclaw-lab-service');
    expect(events.find((e) => e.LogicalResourceId === 'TaskDefinition')!.PhysicalResourceId).toBe(
      'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:43',
    );
  });

  it('ListExports and ListImports tell the story of the export in use', async () => {
    const cfn = (await open()).clients.cloudformation;
    const exports = (await cfn.listExports({})).Exports!;
    expect(exports.map((e) => e.Name)).toEqual([
      'openclaw-lab-infra:ClusterName',
      'openclaw-lab-infra:TaskDefinitionArn',
      'openclaw-lab-network:PrivateSubnetIds',
      'openclaw-lab-network:VpcId',
    ]);
    expect(exports[1]).toMatchObject({
      Value: 'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42',
      ExportingStackId: expect.stringContaining(':stack/openclaw-lab-infra/'),
    });
    expect((await cfn.listImports({ ExportName: 'openclaw-lab-infra:TaskDefinitionArn' })).Imports).toEqual(['openclaw-lab-service']);
    expect((await cfn.listImports({ ExportName: 'openclaw-lab-network:PrivateSubnetIds' })).Imports).toEqual(['openclaw-lab-infra', 'openclaw-lab-service']);
  });

  it('the same ids after a reseed', async () => {
    const first = (await (await open()).clients.cloudformation.listStacks({})).StackSummaries!.map((s) => s.StackId);
    await rm(sandboxStatePath(home));
    const again = (await (await open()).clients.cloudformation.listStacks({})).StackSummaries!.map((s) => s.StackId);
    expect(again).toEqual(first);
  });
});

describe('errors, as AWS answers them', () => {
  it('an unknown stack, a deleted one by name (by id it is found), a missing name', async () => {
    const cfn = (await open()).clients.cloudformation;
    const unknown = await errorOf(cfn.describeStackEvents({ StackName: 'nope' }));
    expect({ name: unknown.name, message: unknown.message, status: unknown.$metadata?.httpStatusCode }).toEqual({
      name: 'ValidationError',
      message: 'Stack [nope] does not exist',
      status: 400,
    });
    expect((await errorOf(cfn.describeStackEvents({ StackName: 'openclaw-lab-bastion' }))).message).toBe('Stack [openclaw-lab-bastion] does not exist');
    const bastion = (await cfn.listStacks({ StackStatusFilter: ['DELETE_COMPLETE'] })).StackSummaries![0]!;
    expect((await cfn.describeStackEvents({ StackName: bastion.StackId })).StackEvents![0]!.ResourceStatus).toBe('DELETE_COMPLETE');
    expect((await errorOf(cfn.describeStackEvents({ StackName: undefined }))).name).toBe('ValidationError');
  });

  it('an export nothing imports (or that does not exist), an unknown status filter', async () => {
    const cfn = (await open()).clients.cloudformation;
    const none = await errorOf(cfn.listImports({ ExportName: 'openclaw-lab-infra:ClusterName-nope' }));
    expect({ name: none.name, message: none.message }).toEqual({
      name: 'ValidationError',
      message: "Export 'openclaw-lab-infra:ClusterName-nope' is not imported by any stack.",
    });
    const bad = await errorOf(cfn.listStacks({ StackStatusFilter: ['BROKEN' as 'CREATE_COMPLETE'] }));
    expect(bad.name).toBe('ValidationError');
    expect(bad.message).toMatch(/^1 validation error detected: Value '\[BROKEN\]' at 'stackStatusFilter'/);
  });

  it('parameters it does not simulate are SandboxUnsupportedError; other regions OptInRequired', async () => {
    const sb = await open();
    await expect(sb.clients.cloudformation.listStacks({ Foo: 1 } as object)).rejects.toBeInstanceOf(SandboxUnsupportedError);
    await expect(sb.clients.cloudformation.describeStackEvents({ StackName: 'openclaw-lab-infra', Extra: true } as never)).rejects.toThrow(
      /DescribeStackEvents does not implement parameter "Extra"/,
    );
    const far = await errorOf(sb.clientsFor('us-east-1').cloudformation.listStacks({}));
    expect(far.name).toBe('OptInRequired');
  });
});

describe('pages of 100, tokens bound to their request', () => {
  it('ListStacks and ListExports page to the end, each item once', async () => {
    const cfn = await worldWith((s) => {
      for (let i = 0; i < 230; i++)
        s.stacks.push(stack(`bulk-${String(i).padStart(3, '0')}`, { outputs: [{ key: 'O', value: String(i), exportName: `bulk-${i}:O` }] }));
    });
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await cfn.listStacks({ StackStatusFilter: ['CREATE_COMPLETE'], NextToken: token });
      names.push(...out.StackSummaries!.map((s) => s.StackName!));
      expect(out.StackSummaries!.length).toBeLessThanOrEqual(100);
      token = out.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(new Set(names).size).toBe(231); // the seeded openclaw-lab-network too
    const first = await cfn.listExports({});
    expect(first.Exports).toHaveLength(100);
    const rest = await cfn.listExports({ NextToken: first.NextToken });
    const last = await cfn.listExports({ NextToken: rest.NextToken });
    expect(last.NextToken).toBeUndefined();
    expect(first.Exports!.length + rest.Exports!.length + last.Exports!.length).toBe(234);
    // A token of another request is refused, as on AWS.
    await expect(cfn.listStacks({ NextToken: first.NextToken })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('DescribeStackEvents pages newest first; a token is bound to its stack', async () => {
    const events = Array.from({ length: 150 }, (_, i) => ({
      eventId: `e${i}`,
      timestamp: ago((150 - i) * MIN),
      logicalResourceId: 'R',
      resourceType: 'AWS::SQS::Queue',
      resourceStatus: 'UPDATE_COMPLETE',
    }));
    const cfn = await worldWith((s) => s.stacks.push(stack('busy', { events })));
    const one = await cfn.describeStackEvents({ StackName: 'busy' });
    expect(one.StackEvents!.map((e) => e.EventId).slice(0, 2)).toEqual(['e149', 'e148']);
    const two = await cfn.describeStackEvents({ StackName: 'busy', NextToken: one.NextToken });
    expect(two.StackEvents!.map((e) => e.EventId)).toEqual(Array.from({ length: 50 }, (_, i) => `e${49 - i}`));
    expect(two.NextToken).toBeUndefined();
    await expect(cfn.describeStackEvents({ StackName: 'openclaw-lab-infra', NextToken: one.NextToken })).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('the seed file', () => {
  async function seedWith(change: (cf: { stacks: Record<string, unknown>[] }) => void): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'claw-seed-cfn-'));
    await cp(SEED_DIR, dir, { recursive: true });
    const cf = JSON.parse(await readFile(join(SEED_DIR, 'cloudformation.json'), 'utf8')) as { stacks: Record<string, unknown>[] };
    change(cf);
    await writeFile(join(dir, 'cloudformation.json'), JSON.stringify(cf));
    return dir;
  }
  const byName = (cf: { stacks: Record<string, unknown>[] }, name: string) => cf.stacks.find((s) => s.name === name)!;

  it('refuses imports of exports nobody has, events out of order, deleted without DELETE_COMPLETE, duplicates', async () => {
    const cases: [(cf: { stacks: Record<string, unknown>[] }) => void, RegExp][] = [
      [
        (cf) => void (byName(cf, 'openclaw-lab-service').imports as string[]).push('nope:X'),
        /stack openclaw-lab-service imports nope:X, which no stack exports/,
      ],
      [
        (cf) => void (byName(cf, 'openclaw-lab-canary').events as unknown[]).reverse(),
        /event \d+ is older than the one before it \(list events oldest first\)/,
      ],
      [(cf) => void (byName(cf, 'openclaw-lab-canary').deleted = '1h'), /"deleted" goes with status DELETE_COMPLETE/],
      [(cf) => void cf.stacks.push({ ...byName(cf, 'CDKToolkit') }), /duplicate stack CDKToolkit/],
      [
        (cf) => void (byName(cf, 'CDKToolkit').outputs = [{ key: 'K', value: 'v', export: 'openclaw-lab-network:VpcId' }]),
        /duplicate export openclaw-lab-network:VpcId/,
      ],
      [(cf) => void ((byName(cf, 'CDKToolkit').events as Record<string, unknown>[])[0]!.type = 'AWS::S3::Bucket'), /needs both "logicalId" and "type"/],
    ];
    for (const [change, message] of cases) {
      const dir = await seedWith(change);
      const err = await openSandbox({ home: await mkdtemp(join(tmpdir(), 'claw-seed-home-')), seedDir: dir, now: () => NOW }).catch((e: unknown) => e);
      expect(err, String(message)).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(message);
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it('a state file from before CloudFormation loads, with no stacks', async () => {
    await open();
    const raw = JSON.parse(await readFile(sandboxStatePath(home), 'utf8')) as Record<string, unknown>;
    delete raw.stacks;
    expect(sandboxState.parse(raw).stacks).toEqual([]);
  });
});
