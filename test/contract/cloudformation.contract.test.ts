import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  ListExportsCommand,
  ListImportsCommand,
  ListStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudFormationApi } from '../../src/aws/clients.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import { readStacks } from '../../src/aws/stacks.js';
import { LISTED_STATUSES } from '../../src/core/stack-status.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { expectAwsError, motoEndpoint, SEED_DIR, unique } from './backends.js';
import { narrowClients, REGION } from './moto-clients.js';

// The CloudFormation contract (ListStacks, DescribeStackEvents, ListExports, ListImports)
// through claw's production SDK clients. Stacks, events and exports: the same tests
// against the sandbox's seeded stacks and stacks this file creates on moto. moto 5.2.1
// has no ListImports (pinned at the end) and never rolls a stack back, so ListImports and
// the failure reasons run against the sandbox and against AWS-shaped answers replayed
// with aws-sdk-client-mock (test/contract/recorded/cloudformation-stuck.json).

const moto = motoEndpoint();
if (!moto.endpoint) console.warn(`!! SKIPPED: CloudFormation contract against moto: ${moto.reason}`);

const STACK_ID_RE = /^arn:aws:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]*\/[0-9a-f-]{36}$/;

interface StacksBackend {
  cfn: CloudFormationApi;
  /** A healthy producer with one export, a stack importing it, and a deleted stack. */
  producer: string;
  exportName: string;
  exportValue: string;
  consumer: string;
  deleted: string;
  /** A prefix that selects exactly the producer and the consumer among the live stacks. */
  prefix: string[];
  close(): Promise<void>;
}

const template = (resource: object, outputs?: object) =>
  JSON.stringify({ Resources: { P: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', ...resource } } }, ...(outputs && { Outputs: outputs }) });

const stackBackends: Record<string, () => Promise<StacksBackend>> = {
  sandbox: async () => {
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-cfn-'));
    const sandbox = await openSandbox({ home, seedDir: SEED_DIR });
    return {
      cfn: sandbox.clients.cloudformation,
      producer: 'openclaw-lab-network',
      exportName: 'openclaw-lab-network:VpcId',
      exportValue: 'vpc-0c1d2e3f4a5b6c7d8',
      consumer: 'openclaw-lab-infra',
      deleted: 'openclaw-lab-bastion',
      prefix: ['openclaw-lab-network', 'openclaw-lab-service'],
      close: () => rm(home, { recursive: true, force: true, maxRetries: 5 }),
    };
  },
  ...(moto.endpoint && {
    moto: async (): Promise<StacksBackend> => {
      const raw = new CloudFormationClient({
        endpoint: moto.endpoint!,
        region: REGION,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      const run = unique('cfn');
      const b = {
        producer: `${run}-producer`,
        exportName: `${run}-producer:VpcId`,
        exportValue: 'vpc-0c1d2e3f4a5b6c7d8',
        consumer: `${run}-consumer`,
        deleted: `${run}-gone`,
      };
      await raw.send(
        new CreateStackCommand({
          StackName: b.producer,
          TemplateBody: template({ Name: `/${run}/p`, Value: 'x' }, { VpcId: { Value: b.exportValue, Export: { Name: b.exportName } } }),
        }),
      );
      await raw.send(
        new CreateStackCommand({ StackName: b.consumer, TemplateBody: template({ Name: `/${run}/c`, Value: { 'Fn::ImportValue': b.exportName } }) }),
      );
      await raw.send(new CreateStackCommand({ StackName: b.deleted, TemplateBody: template({ Name: `/${run}/g`, Value: 'x' }) }));
      await raw.send(new DeleteStackCommand({ StackName: b.deleted }));
      raw.destroy();
      return { ...b, cfn: narrowClients(moto.endpoint!).cloudformation, prefix: [run], close: async () => undefined };
    },
  }),
};

for (const [name, open] of Object.entries(stackBackends)) {
  describe(`CloudFormation stacks, events, exports [${name}]`, () => {
    let b: StacksBackend;
    beforeAll(async () => {
      b = await open();
    });
    afterAll(async () => b.close());

    it('ListStacks with a status filter: the summaries claw reads', async () => {
      const out = await b.cfn.listStacks({ StackStatusFilter: ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'] });
      const producer = out.StackSummaries!.find((s) => s.StackName === b.producer)!;
      expect(producer).toMatchObject({
        StackName: b.producer,
        StackStatus: 'CREATE_COMPLETE',
        StackId: expect.stringMatching(STACK_ID_RE),
        CreationTime: expect.any(Date),
      });
      expect(out.StackSummaries!.every((s) => ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'].includes(s.StackStatus!))).toBe(true);
    });

    it("a deleted stack is listed as DELETE_COMPLETE without a filter, and not with claw's filter", async () => {
      const all = (await b.cfn.listStacks({})).StackSummaries!;
      expect(all.find((s) => s.StackName === b.deleted)?.StackStatus).toBe('DELETE_COMPLETE');
      const listed = (await b.cfn.listStacks({ StackStatusFilter: LISTED_STATUSES as StackStatus[] })).StackSummaries!;
      expect(listed.some((s) => s.StackName === b.deleted)).toBe(false);
      expect(listed.some((s) => s.StackName === b.producer)).toBe(true);
    });

    it("DescribeStackEvents: newest first, from the stack's own CREATE_IN_PROGRESS (User Initiated) to CREATE_COMPLETE", async () => {
      const events = (await b.cfn.describeStackEvents({ StackName: b.producer })).StackEvents!;
      const own = events.filter((e) => e.LogicalResourceId === b.producer && e.ResourceType === 'AWS::CloudFormation::Stack');
      expect(own[0]).toMatchObject({ ResourceStatus: 'CREATE_COMPLETE', StackName: b.producer });
      expect(own.at(-1)).toMatchObject({ ResourceStatus: 'CREATE_IN_PROGRESS', ResourceStatusReason: 'User Initiated' });
      expect(own[0]!.PhysicalResourceId).toBe(own[0]!.StackId);
      const times = events.map((e) => e.Timestamp!.getTime());
      expect(times).toEqual([...times].sort((x, y) => y - x));
      for (const e of events) expect(e.EventId).toEqual(expect.any(String));
    });

    it('ListExports: the export with its value and the exporting stack', async () => {
      const exports = (await b.cfn.listExports({})).Exports!;
      const mine = exports.find((e) => e.Name === b.exportName)!;
      const producerId = (await b.cfn.listStacks({ StackStatusFilter: ['CREATE_COMPLETE'] })).StackSummaries!.find((s) => s.StackName === b.producer)!.StackId;
      expect(mine).toEqual({ Name: b.exportName, Value: b.exportValue, ExportingStackId: producerId });
    });

    it('an unknown stack is ValidationError (400)', async () => {
      const err = await expectAwsError(b.cfn.describeStackEvents({ StackName: `nope-${unique()}` }), 'ValidationError', 400);
      expect(err.message).toMatch(/does not exist/);
    });

    it("claw's read of healthy stacks: nothing held", async () => {
      const report = await readStacks(b.cfn, { prefixes: b.prefix, now: new Date(), stalledAfterMs: 3_600_000 });
      expect(report).toEqual({ checked: 2, stacks: [] });
    });
  });
}

// ListImports and the failure reasons: the sandbox and recorded AWS answers.

interface Recorded {
  listStacks: Record<string, unknown>[];
  describeStackEvents: Record<string, Record<string, unknown>[]>;
  listExports: Record<string, unknown>;
  listImports: Record<string, string[]>;
}
const recorded = JSON.parse(readFileSync(new URL('./recorded/cloudformation-stuck.json', import.meta.url), 'utf8')) as Recorded;
const DATE_FIELDS = new Set(['CreationTime', 'LastUpdatedTime', 'DeletionTime', 'Timestamp']);
/** The recorded JSON as the SDK hands it out: Date objects, stack ids filled in. */
function materialise<T>(value: T): T {
  const ids: Record<string, string> = {};
  for (const page of recorded.listStacks)
    for (const s of page.StackSummaries as { StackName: string; StackId: string }[]) ids[`<${s.StackName.replace('shop-', '')}>`] = s.StackId;
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key && DATE_FIELDS.has(key) ? new Date(v) : (ids[v] ?? v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}

interface ImportsBackend {
  cfn: CloudFormationApi;
  imported: { exportName: string; importers: string[] };
  notImported: string;
  stuck: { producer: string; exportName: string; valueKind: string; importers: string[]; reason: RegExp };
  close(): Promise<void>;
}

const importsBackends: Record<string, () => Promise<ImportsBackend>> = {
  sandbox: async () => {
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-cfn-imports-'));
    const sandbox = await openSandbox({ home, seedDir: SEED_DIR });
    return {
      cfn: sandbox.clients.cloudformation,
      imported: { exportName: 'openclaw-lab-network:PrivateSubnetIds', importers: ['openclaw-lab-infra', 'openclaw-lab-service'] },
      notImported: 'openclaw-lab-network:Nothing',
      stuck: {
        producer: 'openclaw-lab-infra',
        exportName: 'openclaw-lab-infra:TaskDefinitionArn',
        valueKind: 'task-definition-revision',
        importers: ['openclaw-lab-service'],
        reason: /^Export openclaw-lab-infra:TaskDefinitionArn cannot be updated as it is in use by openclaw-lab-service$/,
      },
      close: () => rm(home, { recursive: true, force: true, maxRetries: 5 }),
    };
  },
  'recorded AWS (aws-sdk-client-mock)': async () => {
    // Every CloudFormationClient of this file is mocked while this backend is open,
    // including the one claw's createSdkClients makes: its code path runs, AWS does not.
    const mock = mockClient(CloudFormationClient);
    mock.on(ListStacksCommand).callsFake((i: { NextToken?: string }) => ({
      $metadata: { httpStatusCode: 200, requestId: 'recorded' },
      ...materialise(recorded.listStacks[i.NextToken ? 1 : 0]!),
    }));
    mock.on(DescribeStackEventsCommand).callsFake((i: { StackName: string }) => {
      const name = Object.keys(recorded.describeStackEvents).find((n) => i.StackName === n || i.StackName.includes(`:stack/${n}/`));
      if (!name)
        throw new CloudFormationServiceException({
          name: 'ValidationError',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `Stack [${i.StackName}] does not exist`,
        });
      return { $metadata: { httpStatusCode: 200, requestId: 'recorded' }, StackEvents: materialise(recorded.describeStackEvents[name]!) };
    });
    mock.on(ListExportsCommand).resolves({ $metadata: { httpStatusCode: 200, requestId: 'recorded' }, ...materialise(recorded.listExports) });
    mock.on(ListImportsCommand).callsFake((i: { ExportName: string }) => {
      const imports = recorded.listImports[i.ExportName];
      if (!imports)
        throw new CloudFormationServiceException({
          name: 'ValidationError',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `Export '${i.ExportName}' is not imported by any stack.`,
        });
      return { $metadata: { httpStatusCode: 200, requestId: 'recorded' }, Imports: imports };
    });
    const clients = createSdkClients({
      region: 'eu-west-1',
      endpointUrl: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
      maxAttempts: 1,
    });
    return {
      cfn: clients.cloudformation,
      imported: { exportName: 'shop-network:VpcId', importers: ['shop-infra', 'shop-web', 'shop-worker'] },
      notImported: 'shop-network:Nothing',
      stuck: {
        producer: 'shop-infra',
        exportName: 'shop-infra:ExportsOutputRefImageIdAB12CD34',
        valueKind: 'ami-id',
        importers: ['shop-web', 'shop-worker'],
        reason: /^Update canceled\. Cannot update export shop-infra:ExportsOutputRefImageIdAB12CD34 as it is in use by shop-web\.$/,
      },
      close: async () => mock.restore(),
    };
  },
};

for (const [name, open] of Object.entries(importsBackends)) {
  describe(`CloudFormation ListImports and failure reasons [${name}]`, () => {
    let b: ImportsBackend;
    beforeAll(async () => {
      b = await open();
    });
    afterAll(async () => b.close());

    it('ListImports names the importing stacks', async () => {
      expect([...(await b.cfn.listImports({ ExportName: b.imported.exportName })).Imports!].sort()).toEqual(b.imported.importers);
    });

    it('an export nothing imports is ValidationError "Export \'x\' is not imported by any stack."', async () => {
      const err = await expectAwsError(b.cfn.listImports({ ExportName: b.notImported }), 'ValidationError', 400);
      expect(err.message).toBe(`Export '${b.notImported}' is not imported by any stack.`);
    });

    it("claw's read names the stuck producer, its export in use, the value's kind and the importers", async () => {
      const report = await readStacks(b.cfn, { prefixes: [], now: new Date('2026-03-06T10:00:00Z'), stalledAfterMs: 3_600_000 });
      const producer = report.stacks.find((s) => s.stackName === b.stuck.producer)!;
      expect(producer).toMatchObject({ status: 'UPDATE_ROLLBACK_COMPLETE', phase: 'rolled-back', reason: expect.stringMatching(b.stuck.reason) });
      expect(producer.exportsInUse).toEqual([
        expect.objectContaining({ exportName: b.stuck.exportName, operation: 'update', valueKind: b.stuck.valueKind, importers: b.stuck.importers }),
      ]);
      expect(producer.remedy.at(-2)).toMatch(new RegExp(`^update the consumers? first: deploy ${b.stuck.importers.join(', ')} `));
      expect(producer.remedy.at(-1)).toMatch(new RegExp(`^then deploy the producer ${b.stuck.producer}:`));
    });
  });
}

describe('CloudFormation, recorded AWS only: a stack that could not be deleted', () => {
  it('DELETE_FAILED: the bucket that is not empty leads, and the fix retains it', async () => {
    const b = await importsBackends['recorded AWS (aws-sdk-client-mock)']!();
    const report = await readStacks(b.cfn, { prefixes: ['shop-db'], now: new Date('2026-03-06T10:00:00Z'), stalledAfterMs: 3_600_000 });
    expect(report.stacks[0]).toMatchObject({
      stackName: 'shop-db',
      status: 'DELETE_FAILED',
      since: '2026-03-04T10:15:02.331Z',
      reason: expect.stringContaining('The bucket you tried to delete is not empty'),
    });
    expect(report.stacks[0]!.remedy[1]).toMatch(/--retain-resources AssetsBucket$/);
    await b.close();
  });
});

describe('CloudFormation: the sandbox answers with the recorded AWS shape', () => {
  it("a stack summary, a stack event with a reason, a resource event and an export have AWS's fields and types", async () => {
    const typeOf = (v: unknown) => (v instanceof Date ? 'Date' : Array.isArray(v) ? 'array' : typeof v);
    const shape = (o: object) =>
      Object.fromEntries(
        Object.entries(o)
          .map(([k, v]) => [k, typeOf(v)])
          .sort(([a], [b]) => a!.localeCompare(b!)),
      );
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-cfn-shape-'));
    const { cloudformation: cfn } = (await openSandbox({ home, seedDir: SEED_DIR })).clients;
    const aws = materialise(recorded);
    const awsInfra = (aws.listStacks[0]!.StackSummaries as object[])[1]!;
    const summary = (await cfn.listStacks({ StackStatusFilter: ['UPDATE_ROLLBACK_COMPLETE'] })).StackSummaries![0]!;
    expect(shape(summary)).toEqual(shape(awsInfra));
    const events = (await cfn.describeStackEvents({ StackName: 'openclaw-lab-infra' })).StackEvents!;
    const awsEvents = aws.describeStackEvents['shop-infra']!;
    const withReason = (list: { ResourceStatus?: unknown }[]) => list.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')!;
    expect(shape(withReason(events))).toEqual(shape(withReason(awsEvents)));
    const resource = (list: { ResourceType?: unknown; ResourceStatus?: unknown }[]) =>
      list.find((e) => e.ResourceType !== 'AWS::CloudFormation::Stack' && e.ResourceStatus === 'UPDATE_COMPLETE')!;
    expect(shape(resource(events))).toEqual(shape(resource(awsEvents)));
    expect(shape((await cfn.listExports({})).Exports![0]!)).toEqual(shape((aws.listExports.Exports as object[])[0]!));
    await rm(home, { recursive: true, force: true, maxRetries: 5 });
  });
});

describe.skipIf(!moto.endpoint)('moto quirks (pinned)', () => {
  it('moto 5.2.1 has no ListImports: it answers HTTP 500 (so ListImports is covered by the sandbox and recorded AWS)', async () => {
    const err = (await narrowClients(moto.endpoint!)
      .cloudformation.listImports({ ExportName: 'anything' })
      .catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
    expect(err).toBeInstanceOf(Error);
    expect(err.$metadata?.httpStatusCode).toBe(500);
  });
});
