// A stack's events as claw doctor stacks reads them: the events of the latest
// operation, the failure reasons in them, and the one CloudFormation failure that names
// its own way out: an export that cannot change or go because another stack imports it.

export interface StackEventInfo {
  logicalId: string;
  physicalId: string | null;
  resourceType: string;
  status: string;
  reason: string | null;
  /** ISO time. */
  timestamp: string;
}

const STACK_TYPE = 'AWS::CloudFormation::Stack';

/** The stack's own event (not one of its resources', nor a nested stack's resource in it). */
export const isOwnEvent = (e: StackEventInfo, stackName: string) => e.resourceType === STACK_TYPE && e.logicalId === stackName;

/**
 * The statuses that start an operation. A rollback is part of the operation it undoes,
 * and a continue-update-rollback part of the failed update it finishes, so walking back
 * to one of these covers the whole story of why the stack is where it is.
 */
const OPERATION_STARTS = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'IMPORT_IN_PROGRESS']);

/** Index (in newest-first events) of the stack's own event that started the latest operation; -1 when not among them. */
export function operationStartIndex(newestFirst: readonly StackEventInfo[], stackName: string): number {
  return newestFirst.findIndex((e) => isOwnEvent(e, stackName) && OPERATION_STARTS.has(e.status));
}

/** The latest operation's events, newest first: from the newest back to the event that started it (all of them when it is not there). */
export function latestOperation(newestFirst: readonly StackEventInfo[], stackName: string): StackEventInfo[] {
  const start = operationStartIndex(newestFirst, stackName);
  return start === -1 ? [...newestFirst] : newestFirst.slice(0, start + 1);
}

export interface FailureReason {
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string;
  timestamp: string;
}

/** Reasons that say nothing about a failure: the start of an operation, a resource that was only cancelled because another failed. */
const NOISE =
  /^(User Initiated|Resource (creation|update|deletion) (Initiated|cancelled)|Requested update requires the creation of a new physical resource; hence creating one\.)$/;
const ROLLBACK_STARTS = new Set(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS']);

/**
 * The failure reasons of an operation (newest-first events in), oldest first: every
 * *_FAILED event with a reason, and the reason the stack gave for starting a rollback
 * (where an export-in-use failure is told: it is not any resource's).
 */
export function failureReasons(operation: readonly StackEventInfo[], stackName: string): FailureReason[] {
  return [...operation]
    .reverse()
    .filter((e) => e.reason && !NOISE.test(e.reason.trim()))
    .filter((e) => e.status.endsWith('_FAILED') || (isOwnEvent(e, stackName) && ROLLBACK_STARTS.has(e.status)))
    .map((e) => ({ logicalId: e.logicalId, resourceType: e.resourceType, status: e.status, reason: e.reason!.trim(), timestamp: e.timestamp }));
}

/**
 * The reason to lead with: an export in use (it names its fix), else the first resource
 * that failed (the root cause; the stack's own "The following resource(s) failed..." only
 * summarises), else the stack's own reason.
 */
export function primaryReason(reasons: readonly FailureReason[], stackName: string): FailureReason | null {
  return (
    reasons.find((r) => parseExportsInUse(r.reason).length > 0) ??
    reasons.find((r) => !(r.resourceType === STACK_TYPE && r.logicalId === stackName)) ??
    reasons[0] ??
    null
  );
}

/** Logical ids whose latest status in the operation is `status` (UPDATE_FAILED: the ones continue-update-rollback can skip). */
export function resourcesLastIn(operation: readonly StackEventInfo[], stackName: string, status: string): string[] {
  const latest = new Map<string, string>();
  for (const e of operation) if (!isOwnEvent(e, stackName) && !latest.has(e.logicalId)) latest.set(e.logicalId, e.status);
  return [...latest]
    .filter(([, s]) => s === status)
    .map(([id]) => id)
    .sort();
}

export interface ExportInUse {
  exportName: string;
  /** update: its value changed; delete: the producer stopped exporting it. */
  operation: 'update' | 'delete';
  /** The importing stacks the message names. */
  importers: string[];
}

const STACKS = '[A-Za-z][A-Za-z0-9-]*(?:(?:, ?| and )[A-Za-z][A-Za-z0-9-]*)*';
// Both wordings CloudFormation has used: "Export X cannot be updated as it is in use by Y"
// and "Update canceled. Cannot update export X as it is in use by Y." (delete alike).
const IN_USE = [
  new RegExp(`Export (\\S+) cannot be (updated|deleted) as it is in use by (${STACKS})`, 'g'),
  new RegExp(`Cannot (update|delete) export (\\S+) as it is in use by (${STACKS})`, 'gi'),
];

/** The exports a failure reason says are in use, each with its operation and the importers it names. */
export function parseExportsInUse(reason: string): ExportInUse[] {
  const found: ExportInUse[] = [];
  for (const [i, re] of IN_USE.entries()) {
    for (const m of reason.matchAll(re)) {
      const [name, verb] = i === 0 ? [m[1]!, m[2]!] : [m[2]!, m[1]!.toLowerCase()];
      const operation = verb.startsWith('update') ? 'update' : 'delete';
      found.push({ exportName: name, operation, importers: m[3]!.split(/, ?| and /).filter(Boolean) });
    }
  }
  return found;
}
