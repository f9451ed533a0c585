import { z } from 'zod';

// The persisted shape of CloudFormation in the sandbox: stacks with their outputs
// (exports), the exports they import and their events. Read only through the API
// (src/sandbox/cloudformation.ts); the seed (fixtures/sandbox/cloudformation.json)
// is the only writer.

const isoTime = z.iso.datetime();

export const STACK_STATUSES = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
] as const;
export type StackStatusName = (typeof STACK_STATUSES)[number];

/** A resource's status in an event: the stack statuses that apply to resources, and DELETE_SKIPPED. */
const RESOURCE_ONLY = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'DELETE_SKIPPED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_FAILED',
  'UPDATE_COMPLETE',
  'IMPORT_IN_PROGRESS',
  'IMPORT_FAILED',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
] as const;
/** An event's status: a resource's, or (the stack's own events) any stack status, such as UPDATE_COMPLETE_CLEANUP_IN_PROGRESS. */
export const EVENT_STATUSES = [...new Set([...STACK_STATUSES, ...RESOURCE_ONLY])] as [string, ...string[]];

export const stackOutputRecord = z.strictObject({
  key: z.string(),
  value: z.string(),
  /** The export name: other stacks in the region can Fn::ImportValue it. */
  exportName: z.string().optional(),
});
export type StackOutputRecord = z.infer<typeof stackOutputRecord>;

export const stackEventRecord = z.strictObject({
  eventId: z.string(),
  timestamp: isoTime,
  /** The stack's own events carry the stack name here and type AWS::CloudFormation::Stack. */
  logicalResourceId: z.string(),
  physicalResourceId: z.string().optional(),
  resourceType: z.string(),
  resourceStatus: z.enum(EVENT_STATUSES),
  resourceStatusReason: z.string().optional(),
});
export type StackEventRecord = z.infer<typeof stackEventRecord>;

export const stackRecord = z.strictObject({
  stackId: z.string(),
  stackName: z.string(),
  status: z.enum(STACK_STATUSES),
  statusReason: z.string().optional(),
  description: z.string().optional(),
  creationTime: isoTime,
  lastUpdatedTime: isoTime.optional(),
  deletionTime: isoTime.optional(),
  /** A nested stack's direct parent and top-level stack (stack ids). */
  parentId: z.string().optional(),
  rootId: z.string().optional(),
  outputs: z.array(stackOutputRecord).default([]),
  /** Export names this stack imports (Fn::ImportValue): what ListImports answers from. */
  imports: z.array(z.string()).default([]),
  /** Oldest first; DescribeStackEvents answers newest first. */
  events: z.array(stackEventRecord).default([]),
});
export type StackRecord = z.infer<typeof stackRecord>;
