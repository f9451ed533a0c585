import type { StackEvent, StackStatus, StackSummary } from '@aws-sdk/client-cloudformation';
import { diagnoseStack, exportsInUseOf, matchesPrefix, stuckStacks, type StackDiagnosis, type StackListing } from '../core/doctor-stacks.js';
import { RemoteError } from '../core/errors.js';
import { mapBounded } from '../core/pool.js';
import { failureReasons, latestOperation, operationStartIndex, type StackEventInfo } from '../core/stack-events.js';
import { LISTED_STATUSES } from '../core/stack-status.js';
import type { CloudFormationApi } from './clients.js';
import { collectPages } from './paginate.js';

// The reads behind `claw doctor stacks`: ListStacks (every page, deleted stacks filtered
// out by AWS), then for each stuck stack its events back to the start of its latest
// operation, then, for the exports those events say are in use, their importers
// (ListImports) and current values (ListExports). Per-stack and per-export calls run
// concurrently, a few at a time (CloudFormation's read limits are low).

export interface StacksQuery {
  /** Only stacks whose name starts with one of these (none: all). */
  prefixes: readonly string[];
  now: Date;
  /** An operation in progress longer than this counts as stuck. */
  stalledAfterMs: number;
  /** Calls in flight at once (default 4). */
  concurrency?: number;
}

export interface StacksReport {
  /** Stacks looked at (deleted ones are not listed). */
  checked: number;
  stacks: StackDiagnosis[];
}

/** A stack's events past this many pages are not read: the operation's start is always far nearer. */
const MAX_EVENT_PAGES = 50;

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

function toListing(s: StackSummary): StackListing {
  return {
    stackName: s.StackName ?? '',
    stackId: s.StackId ?? s.StackName ?? '',
    status: s.StackStatus ?? 'UNKNOWN',
    statusReason: s.StackStatusReason ?? null,
    creationTime: iso(s.CreationTime) ?? new Date(0).toISOString(),
    lastUpdatedTime: iso(s.LastUpdatedTime),
    deletionTime: iso(s.DeletionTime),
    parentId: s.ParentId ?? null,
    rootId: s.RootId ?? null,
  };
}

function toEvent(e: StackEvent): StackEventInfo {
  return {
    logicalId: e.LogicalResourceId ?? '',
    physicalId: e.PhysicalResourceId ?? null,
    resourceType: e.ResourceType ?? '',
    status: e.ResourceStatus ?? '',
    reason: e.ResourceStatusReason ?? null,
    timestamp: iso(e.Timestamp) ?? new Date(0).toISOString(),
  };
}

const isValidation = (err: unknown, re: RegExp) => err instanceof Error && err.name === 'ValidationError' && re.test(err.message);

/** Every stack (but deleted ones), every page. */
export async function listStacks(cfn: CloudFormationApi): Promise<StackListing[]> {
  const summaries = await collectPages(
    (i: { NextToken?: string | undefined; StackStatusFilter: StackStatus[] }) => cfn.listStacks(i),
    { StackStatusFilter: LISTED_STATUSES as StackStatus[] },
    (o) => o.StackSummaries,
    'CloudFormation ListStacks',
  );
  return summaries.map(toListing);
}

/**
 * A stack's events, newest first, back to the start of its latest operation (pages
 * stop there). Null when the stack is gone (deleted since it was listed).
 */
export async function operationEvents(cfn: CloudFormationApi, stack: StackListing): Promise<StackEventInfo[] | null> {
  const events: StackEventInfo[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    let out;
    try {
      out = await cfn.describeStackEvents({ StackName: stack.stackId, ...(token ? { NextToken: token } : {}) });
    } catch (err) {
      if (isValidation(err, /does not exist/)) return null;
      throw err;
    }
    events.push(...(out.StackEvents ?? []).map(toEvent));
    token = out.NextToken || undefined;
    if (token === undefined || operationStartIndex(events, stack.stackName) !== -1) break;
    if (seen.has(token)) throw new RemoteError('CloudFormation DescribeStackEvents: the pagination token repeated; refusing to loop');
    seen.add(token);
  }
  return events;
}

/** The stacks importing `exportName`; none when AWS answers that nothing imports it. */
export async function listImports(cfn: CloudFormationApi, exportName: string): Promise<string[]> {
  try {
    return await collectPages(
      (i: { ExportName: string; NextToken?: string | undefined }) => cfn.listImports(i),
      { ExportName: exportName },
      (o) => o.Imports,
      'CloudFormation ListImports',
    );
  } catch (err) {
    if (isValidation(err, /is not imported by any stack/)) return [];
    throw err;
  }
}

/** Every export's current value, by name. */
export async function listExports(cfn: CloudFormationApi): Promise<Map<string, string>> {
  const exports = await collectPages(
    (i: { NextToken?: string | undefined }) => cfn.listExports(i),
    {},
    (o) => o.Exports,
    'CloudFormation ListExports',
  );
  return new Map(exports.flatMap((e) => (e.Name !== undefined && e.Value !== undefined ? [[e.Name, e.Value] as const] : [])));
}

export async function readStacks(cfn: CloudFormationApi, q: StacksQuery): Promise<StacksReport> {
  const limit = q.concurrency ?? 4;
  const listing = (await listStacks(cfn)).filter((s) => matchesPrefix(s.stackName, q.prefixes));
  const stuck = stuckStacks(listing, q.now, q.stalledAfterMs);
  const withEvents = (await mapBounded(stuck, limit, async (stack) => ({ stack, events: await operationEvents(cfn, stack) }))).flatMap((s) =>
    s.events === null ? [] : [{ stack: s.stack, events: s.events }],
  );
  const names = [
    ...new Set(
      withEvents.flatMap(({ stack, events }) =>
        exportsInUseOf(failureReasons(latestOperation(events, stack.stackName), stack.stackName)).map((u) => u.exportName),
      ),
    ),
  ].sort();
  const [values, importerLists] = await Promise.all([
    names.length > 0 ? listExports(cfn) : Promise.resolve(new Map<string, string>()),
    mapBounded(names, limit, (name) => listImports(cfn, name)),
  ]);
  const importers = new Map(names.map((n, i) => [n, importerLists[i]!]));
  const stacks = withEvents.map(({ stack, events }) => diagnoseStack({ stack, events, exportValues: values, importers, now: q.now }));
  // A stack deleted since it was listed is no longer there to check.
  return { checked: listing.length - (stuck.length - withEvents.length), stacks };
}
