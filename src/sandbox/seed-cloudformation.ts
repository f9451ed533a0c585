import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fill, iso, seedError, unique } from './seed-images.js';
import { EVENT_STATUSES, STACK_STATUSES, type StackEventRecord, type StackRecord } from './state-cloudformation.js';
import { AGO_RE, ago } from './time.js';

// fixtures/sandbox/cloudformation.json: stacks with their outputs (exports), the
// exports they import and their events, every time relative to the seeding. Values may
// use {account} and {region}. Stack ids and event ids are derived from the names, so a
// reseed gives the same ids.

const agoText = z.string().regex(AGO_RE, 'expected a relative time like 3d, 2h30m, 10m');

const eventEntry = z.strictObject({
  ago: agoText,
  /** Absent: the stack's own event (LogicalResourceId = the stack name, AWS::CloudFormation::Stack). */
  logicalId: z.string().optional(),
  type: z.string().optional(),
  physicalId: z.string().optional(),
  status: z.enum(EVENT_STATUSES),
  reason: z.string().optional(),
});

export const cloudformationFile = z.strictObject({
  stacks: z.array(
    z.strictObject({
      name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a stack name: letters, digits and hyphens, starting with a letter'),
      status: z.enum(STACK_STATUSES),
      created: agoText,
      updated: agoText.optional(),
      /** DELETE_COMPLETE stacks: when. */
      deleted: agoText.optional(),
      description: z.string().optional(),
      statusReason: z.string().optional(),
      outputs: z.array(z.strictObject({ key: z.string(), value: z.string(), export: z.string().optional() })).optional(),
      imports: z.array(z.string()).optional(),
      /** Oldest first. */
      events: z.array(eventEntry).optional(),
    }),
  ),
});
export type SeedCloudFormation = z.infer<typeof cloudformationFile>;

const FILE = 'cloudformation.json';

/** A UUID-shaped id from a hash: stable across reseeds. */
function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function seedStacks(file: SeedCloudFormation, account: { accountId: string; region: string }, now: Date): StackRecord[] {
  const vars = { account: account.accountId, region: account.region };
  const stacks = file.stacks.map((s): StackRecord => {
    const stackId = `arn:aws:cloudformation:${account.region}:${account.accountId}:stack/${s.name}/${stableUuid(s.name, s.created)}`;
    if ((s.status === 'DELETE_COMPLETE') !== (s.deleted !== undefined)) {
      throw seedError(FILE, `stack ${s.name}: "deleted" goes with status DELETE_COMPLETE, and only with it`);
    }
    let previous = Number.NEGATIVE_INFINITY;
    const events = (s.events ?? []).map((e, i): StackEventRecord => {
      const at = ago(now, e.ago);
      if (at.getTime() < previous) throw seedError(FILE, `stack ${s.name}: event ${i + 1} is older than the one before it (list events oldest first)`);
      previous = at.getTime();
      const own = e.logicalId === undefined;
      if (own !== (e.type === undefined))
        throw seedError(FILE, `stack ${s.name}: event ${i + 1} needs both "logicalId" and "type", or neither (the stack's own event)`);
      return {
        eventId: own ? stableUuid(s.name, String(i)) : `${e.logicalId}-${e.status}-${iso(at)}`,
        timestamp: iso(at),
        logicalResourceId: e.logicalId ?? s.name,
        ...(own ? { physicalResourceId: stackId } : e.physicalId !== undefined && { physicalResourceId: fill(e.physicalId, vars) }),
        resourceType: e.type ?? 'AWS::CloudFormation::Stack',
        resourceStatus: e.status,
        ...(e.reason !== undefined && { resourceStatusReason: fill(e.reason, vars) }),
      };
    });
    return {
      stackId,
      stackName: s.name,
      status: s.status,
      ...(s.statusReason !== undefined && { statusReason: s.statusReason }),
      ...(s.description !== undefined && { description: s.description }),
      creationTime: iso(ago(now, s.created)),
      ...(s.updated !== undefined && { lastUpdatedTime: iso(ago(now, s.updated)) }),
      ...(s.deleted !== undefined && { deletionTime: iso(ago(now, s.deleted)) }),
      outputs: (s.outputs ?? []).map((o) => ({ key: o.key, value: fill(o.value, vars), ...(o.export !== undefined && { exportName: fill(o.export, vars) }) })),
      imports: s.imports ?? [],
      events,
    };
  });
  const alive = stacks.filter((s) => s.status !== 'DELETE_COMPLETE');
  unique(
    FILE,
    'stack',
    alive.map((s) => s.stackName),
  );
  const exportNames = alive.flatMap((s) => s.outputs.flatMap((o) => o.exportName ?? []));
  unique(FILE, 'export', exportNames);
  for (const s of alive) {
    const missing = s.imports.find((name) => !exportNames.includes(name));
    if (missing !== undefined) throw seedError(FILE, `stack ${s.stackName} imports ${missing}, which no stack exports`);
  }
  return stacks;
}
