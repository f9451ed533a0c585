import { describe, expect, it } from 'vitest';
import {
  failureReasons,
  latestOperation,
  operationStartIndex,
  parseExportsInUse,
  primaryReason,
  resourcesLastIn,
  type StackEventInfo,
} from '../../src/core/stack-events.js';

// src/core/stack-events.ts: the latest operation's events, its failure reasons, and the
// export-in-use failures CloudFormation reports (both wordings, update and delete).

const STACK = 'app';
let clock = Date.parse('2026-03-06T08:00:00Z');
/** Events written oldest first, as they happened; returned newest first, as AWS answers. */
function history(...rows: (readonly [logicalId: string | null, status: string, reason?: string, type?: string])[]): StackEventInfo[] {
  return rows
    .map(([logicalId, status, reason, type]) => ({
      logicalId: logicalId ?? STACK,
      physicalId: null,
      resourceType: type ?? (logicalId === null ? 'AWS::CloudFormation::Stack' : 'AWS::ECS::TaskDefinition'),
      status,
      reason: reason ?? null,
      timestamp: new Date((clock += 1000)).toISOString(),
    }))
    .reverse();
}

const created = [
  [null, 'CREATE_IN_PROGRESS', 'User Initiated'],
  ['TaskDef', 'CREATE_IN_PROGRESS'],
  ['TaskDef', 'CREATE_COMPLETE'],
  [null, 'CREATE_COMPLETE'],
] as const;

describe('latestOperation', () => {
  it('walks back from the newest event to the stack event that started the operation', () => {
    const events = history(
      ...created,
      [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
      ['TaskDef', 'UPDATE_COMPLETE'],
      [null, 'UPDATE_ROLLBACK_IN_PROGRESS', 'Export x cannot be updated as it is in use by b'],
      [null, 'UPDATE_ROLLBACK_COMPLETE'],
    );
    expect(operationStartIndex(events, STACK)).toBe(3);
    expect(latestOperation(events, STACK).map((e) => e.status)).toEqual([
      'UPDATE_ROLLBACK_COMPLETE',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
    ]);
  });

  it('a continue-update-rollback belongs to the failed update it finishes', () => {
    const events = history(
      [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
      ['Db', 'UPDATE_FAILED', 'boom'],
      [null, 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [Db].'],
      ['Db', 'UPDATE_FAILED', 'rollback boom'],
      [null, 'UPDATE_ROLLBACK_FAILED', 'The following resource(s) failed to update: [Db].'],
      [null, 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated'],
      ['Db', 'UPDATE_FAILED', 'still broken'],
      [null, 'UPDATE_ROLLBACK_FAILED'],
    );
    expect(latestOperation(events, STACK)).toHaveLength(8);
  });

  it('a nested stack resource (type AWS::CloudFormation::Stack, another logical id) does not start the operation', () => {
    const events = history(
      [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
      ['Nested', 'UPDATE_IN_PROGRESS', undefined, 'AWS::CloudFormation::Stack'],
      ['Nested', 'UPDATE_FAILED', 'Embedded stack failed', 'AWS::CloudFormation::Stack'],
    );
    expect(operationStartIndex(events, STACK)).toBe(2);
  });

  it('all the events when the start is not among them (an early page)', () => {
    const events = history(['TaskDef', 'UPDATE_FAILED', 'boom'], [null, 'UPDATE_ROLLBACK_COMPLETE']);
    expect(operationStartIndex(events, STACK)).toBe(-1);
    expect(latestOperation(events, STACK)).toHaveLength(2);
  });
});

describe('failureReasons / primaryReason', () => {
  const events = history(
    ...created,
    [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
    ['TaskDef', 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.'],
    ['Service', 'UPDATE_FAILED', 'Resource handler returned message: "Invalid request provided: service not stable"'],
    ['Queue', 'UPDATE_FAILED', 'Resource update cancelled'],
    [null, 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [Service].'],
    [null, 'UPDATE_ROLLBACK_COMPLETE'],
  );

  it('keeps failures with a reason, oldest first, without the noise of starts and cancellations', () => {
    expect(failureReasons(latestOperation(events, STACK), STACK).map((r) => [r.logicalId, r.status, r.reason])).toEqual([
      ['Service', 'UPDATE_FAILED', 'Resource handler returned message: "Invalid request provided: service not stable"'],
      [STACK, 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [Service].'],
    ]);
  });

  it('leads with the failed resource (the root cause), not the stack summary', () => {
    const reasons = failureReasons(latestOperation(events, STACK), STACK);
    expect(primaryReason(reasons, STACK)?.logicalId).toBe('Service');
    expect(primaryReason(reasons.slice(1), STACK)?.logicalId).toBe(STACK);
    expect(primaryReason([], STACK)).toBeNull();
  });

  it('leads with an export in use, which is told on the stack event alone', () => {
    const op = history(
      [null, 'UPDATE_IN_PROGRESS', 'User Initiated'],
      ['Other', 'UPDATE_FAILED', 'unrelated'],
      [null, 'UPDATE_ROLLBACK_IN_PROGRESS', 'Update canceled. Cannot update export app:Arn as it is in use by svc.'],
    );
    expect(primaryReason(failureReasons(op, STACK), STACK)?.reason).toBe('Update canceled. Cannot update export app:Arn as it is in use by svc.');
  });

  it('resourcesLastIn: the ids whose latest status is the one asked for', () => {
    const op = history(
      [null, 'UPDATE_ROLLBACK_IN_PROGRESS'],
      ['Db', 'UPDATE_FAILED', 'x'],
      ['Queue', 'UPDATE_FAILED', 'x'],
      ['Queue', 'UPDATE_COMPLETE'],
      ['Bucket', 'UPDATE_FAILED', 'y'],
      [null, 'UPDATE_ROLLBACK_FAILED'],
    );
    expect(resourcesLastIn(op, STACK, 'UPDATE_FAILED')).toEqual(['Bucket', 'Db']);
    expect(resourcesLastIn(op, STACK, 'DELETE_FAILED')).toEqual([]);
  });
});

describe('parseExportsInUse', () => {
  it('reads both wordings, for an update and a delete', () => {
    expect(parseExportsInUse('Export openclaw-lab-infra:TaskDefinitionArn cannot be updated as it is in use by openclaw-lab-service')).toEqual([
      { exportName: 'openclaw-lab-infra:TaskDefinitionArn', operation: 'update', importers: ['openclaw-lab-service'] },
    ]);
    expect(parseExportsInUse('Export Stack1:ExportsOutputFnGetAttBucketArn cannot be deleted as it is in use by Stack2')).toEqual([
      { exportName: 'Stack1:ExportsOutputFnGetAttBucketArn', operation: 'delete', importers: ['Stack2'] },
    ]);
    expect(parseExportsInUse('Update canceled. Cannot update export waf:ExportsOutputFnGetAttWebAclArn as it is in use by GenerativeAiUseCasesStack.')).toEqual(
      [{ exportName: 'waf:ExportsOutputFnGetAttWebAclArn', operation: 'update', importers: ['GenerativeAiUseCasesStack'] }],
    );
    expect(parseExportsInUse('Delete canceled. Cannot delete export vpc:ExportsOutputFnGetAttVpcCidrBlock as it is in use by dev-eks-cluster.')).toEqual([
      { exportName: 'vpc:ExportsOutputFnGetAttVpcCidrBlock', operation: 'delete', importers: ['dev-eks-cluster'] },
    ]);
  });

  it('several importers, several exports in one reason', () => {
    expect(parseExportsInUse('Export a:X cannot be updated as it is in use by svc-1, svc-2 and svc-3')[0]!.importers).toEqual(['svc-1', 'svc-2', 'svc-3']);
    const two = parseExportsInUse('Cannot delete export a:X as it is in use by b. Cannot delete export a:Y as it is in use by c.');
    expect(two.map((u) => [u.exportName, u.importers])).toEqual([
      ['a:X', ['b']],
      ['a:Y', ['c']],
    ]);
  });

  it('anything else is not an export in use', () => {
    for (const r of ['Resource creation cancelled', 'Export a:X is not imported by any stack.', 'Export with name a:X is already exported by stack b', '']) {
      expect(parseExportsInUse(r)).toEqual([]);
    }
  });
});
