import type {
  DescribeStackEventsCommandInput,
  DescribeStackEventsCommandOutput,
  Export,
  ListExportsCommandInput,
  ListExportsCommandOutput,
  ListImportsCommandInput,
  ListImportsCommandOutput,
  ListStacksCommandInput,
  ListStacksCommandOutput,
  StackEvent,
  StackSummary,
} from '@aws-sdk/client-cloudformation';
import type { CloudFormationApi } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { decodeToken, encodeToken, pageAfter, requestFingerprint } from './paging.js';
import { STACK_STATUSES, type StackRecord } from './state-cloudformation.js';
import type { SandboxWorld } from './world.js';

// CloudFormation, read only: ListStacks (deleted stacks included, as AWS keeps them 90
// days), DescribeStackEvents (newest first), ListExports and ListImports. Stacks come
// from the seed (fixtures/sandbox/cloudformation.json); nothing here changes them.
// Pages are 100 items, tokens are bound to their request (paging.ts).

const PAGE = 100;

const validation = (message: string) => awsError('ValidationError', message);

const byString =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** The cursor in `token`, or the AWS error for a token of another request. */
function cursorOf(op: string, fp: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const after = decodeToken<string>(op, fp, token);
  if (typeof after !== 'string') throw validation('Invalid continuation token');
  return after;
}

function required(value: string | undefined, member: string): string {
  if (value === undefined || value === '') {
    throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

const live = (s: StackRecord) => s.status !== 'DELETE_COMPLETE';

function toSummary(s: StackRecord): StackSummary {
  return {
    StackId: s.stackId,
    StackName: s.stackName,
    CreationTime: new Date(s.creationTime),
    StackStatus: s.status,
    ...(s.description !== undefined && { TemplateDescription: s.description }),
    ...(s.lastUpdatedTime !== undefined && { LastUpdatedTime: new Date(s.lastUpdatedTime) }),
    ...(s.deletionTime !== undefined && { DeletionTime: new Date(s.deletionTime) }),
    ...(s.statusReason !== undefined && { StackStatusReason: s.statusReason }),
    ...(s.parentId !== undefined && { ParentId: s.parentId }),
    ...(s.rootId !== undefined && { RootId: s.rootId }),
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function toEvent(s: StackRecord, e: StackRecord['events'][number]): StackEvent {
  return {
    StackId: s.stackId,
    EventId: e.eventId,
    StackName: s.stackName,
    LogicalResourceId: e.logicalResourceId,
    ...(e.physicalResourceId !== undefined && { PhysicalResourceId: e.physicalResourceId }),
    ResourceType: e.resourceType,
    Timestamp: new Date(e.timestamp),
    ResourceStatus: e.resourceStatus as StackEvent['ResourceStatus'],
    ...(e.resourceStatusReason !== undefined && { ResourceStatusReason: e.resourceStatusReason }),
  };
}

/** A stack by id (deleted ones too) or by name (live ones only), as AWS finds it. */
function findStack(stacks: readonly StackRecord[], nameOrId: string): StackRecord {
  const found = stacks.find((s) => s.stackId === nameOrId) ?? stacks.find((s) => live(s) && s.stackName === nameOrId);
  if (!found) throw validation(`Stack [${nameOrId}] does not exist`);
  return found;
}

export function createCloudFormation(world: SandboxWorld): CloudFormationApi {
  const stacks = () => world.state.stacks;
  return {
    async listStacks(input: ListStacksCommandInput = {}): Promise<ListStacksCommandOutput> {
      const op = 'CloudFormation ListStacks';
      rejectUnsupported(op, input, ['NextToken', 'StackStatusFilter']);
      const filter = input.StackStatusFilter;
      const bad = filter?.find((f) => !(STACK_STATUSES as readonly string[]).includes(f));
      if (bad !== undefined) {
        throw validation(
          `1 validation error detected: Value '[${filter!.join(', ')}]' at 'stackStatusFilter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${STACK_STATUSES.join(', ')}]]`,
        );
      }
      const fp = requestFingerprint(input, ['NextToken']);
      const after = cursorOf(op, fp, input.NextToken);
      // An empty filter is no filter, as on AWS.
      const sorted = stacks()
        .filter((s) => !filter?.length || (filter as string[]).includes(s.status))
        .sort(byString((s) => s.stackId));
      const { page, next } = pageAfter(sorted, (s) => s.stackId, after, PAGE);
      return { $metadata: okMetadata(), StackSummaries: page.map(toSummary), ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }) };
    },

    async describeStackEvents(input: DescribeStackEventsCommandInput): Promise<DescribeStackEventsCommandOutput> {
      const op = 'CloudFormation DescribeStackEvents';
      rejectUnsupported(op, input, ['StackName', 'NextToken']);
      const stack = findStack(stacks(), required(input.StackName, 'stackName'));
      const fp = requestFingerprint({ StackId: stack.stackId }, []);
      const after = cursorOf(op, fp, input.NextToken);
      const newestFirst = [...stack.events].reverse();
      // The cursor is the last event id handed out: events that arrive meanwhile go to the front, not into the next page.
      const start = after === undefined ? 0 : newestFirst.findIndex((e) => e.eventId === after) + 1;
      const page = newestFirst.slice(start, start + PAGE);
      const more = start + PAGE < newestFirst.length;
      return {
        $metadata: okMetadata(),
        StackEvents: page.map((e) => toEvent(stack, e)),
        ...(more && { NextToken: encodeToken(op, fp, page[page.length - 1]!.eventId) }),
      };
    },

    async listExports(input: ListExportsCommandInput = {}): Promise<ListExportsCommandOutput> {
      const op = 'CloudFormation ListExports';
      rejectUnsupported(op, input, ['NextToken']);
      const fp = requestFingerprint(input, ['NextToken']);
      const after = cursorOf(op, fp, input.NextToken);
      const exports: Export[] = stacks()
        .filter(live)
        .flatMap((s) => s.outputs.flatMap((o) => (o.exportName === undefined ? [] : [{ ExportingStackId: s.stackId, Name: o.exportName, Value: o.value }])))
        .sort(byString((e) => e.Name!));
      const { page, next } = pageAfter(exports, (e) => e.Name!, after, PAGE);
      return { $metadata: okMetadata(), Exports: page, ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }) };
    },

    async listImports(input: ListImportsCommandInput): Promise<ListImportsCommandOutput> {
      const op = 'CloudFormation ListImports';
      rejectUnsupported(op, input, ['ExportName', 'NextToken']);
      const name = required(input.ExportName, 'exportName');
      const fp = requestFingerprint(input, ['NextToken']);
      const after = cursorOf(op, fp, input.NextToken);
      const importers = stacks()
        .filter((s) => live(s) && s.imports.includes(name))
        .map((s) => s.stackName)
        .sort();
      if (importers.length === 0) throw validation(`Export '${name}' is not imported by any stack.`);
      const { page, next } = pageAfter(importers, (n) => n, after, PAGE);
      return { $metadata: okMetadata(), Imports: page, ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }) };
    },
  };
}
