import { describe, expect, it } from 'vitest';
import {
  diagnoseStack,
  exportsInUseOf,
  matchesPrefix,
  spanText,
  stackNameOf,
  stacksDocument,
  stuckStacks,
  verdictLine,
  type StackListing,
} from '../../src/core/doctor-stacks.js';
import type { StackEventInfo } from '../../src/core/stack-events.js';

// src/core/doctor-stacks.ts: one stuck stack put together (status, reasons, exports in
// use, remedy), the listing filtered, and the document.

const NOW = new Date('2026-03-06T10:00:00Z');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000).toISOString();
const arn = (name: string) => `arn:aws:cloudformation:eu-central-1:123456789012:stack/${name}/0a1b2c3d-0000-4000-8000-000000000000`;

function listing(name: string, status: string, o: Partial<StackListing> = {}): StackListing {
  return {
    stackName: name,
    stackId: arn(name),
    status,
    statusReason: null,
    creationTime: ago(60 * 24 * 40),
    lastUpdatedTime: ago(130),
    deletionTime: null,
    parentId: null,
    rootId: null,
    ...o,
  };
}
function ev(logicalId: string, status: string, reason: string | null, min: number, resourceType = 'AWS::ECS::TaskDefinition'): StackEventInfo {
  return { logicalId, physicalId: null, resourceType, status, reason, timestamp: ago(min) };
}
const own = (stack: string, status: string, reason: string | null, min: number) => ev(stack, status, reason, min, 'AWS::CloudFormation::Stack');

const TASK_DEF = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42';
const IN_USE = 'Export openclaw-lab-infra:TaskDefinitionArn cannot be updated as it is in use by openclaw-lab-service';
// Newest first, an earlier successful update below the failed one.
const infraEvents = [
  own('openclaw-lab-infra', 'UPDATE_ROLLBACK_COMPLETE', null, 126),
  ev('TaskDefinition', 'DELETE_COMPLETE', null, 127),
  own('openclaw-lab-infra', 'UPDATE_ROLLBACK_IN_PROGRESS', IN_USE, 128),
  ev('TaskDefinition', 'UPDATE_COMPLETE', null, 129),
  own('openclaw-lab-infra', 'UPDATE_IN_PROGRESS', 'User Initiated', 130),
  own('openclaw-lab-infra', 'UPDATE_COMPLETE', null, 4000),
  ev('Old', 'UPDATE_FAILED', 'an old failure that is not this one', 4100),
  own('openclaw-lab-infra', 'UPDATE_IN_PROGRESS', 'User Initiated', 4200),
];

describe('diagnoseStack', () => {
  it('the export in use: its value, kind, importers now, and the numbered remedy', () => {
    const d = diagnoseStack({
      stack: listing('openclaw-lab-infra', 'UPDATE_ROLLBACK_COMPLETE'),
      events: infraEvents,
      exportValues: new Map([['openclaw-lab-infra:TaskDefinitionArn', TASK_DEF]]),
      importers: new Map([['openclaw-lab-infra:TaskDefinitionArn', ['openclaw-lab-service']]]),
      now: NOW,
    });
    expect(d).toMatchObject({
      stackName: 'openclaw-lab-infra',
      status: 'UPDATE_ROLLBACK_COMPLETE',
      phase: 'rolled-back',
      since: ago(130),
      meaning: 'the last update failed and was rolled back; the stack runs its previous template',
      nestedIn: null,
      reason: IN_USE,
      exportsInUse: [
        {
          exportName: 'openclaw-lab-infra:TaskDefinitionArn',
          operation: 'update',
          value: TASK_DEF,
          valueKind: 'task-definition-revision',
          valueNote: 'a task-definition revision ARN (family openclaw, revision 42: a new revision every deploy)',
          importers: ['openclaw-lab-service'],
        },
      ],
    });
    // Only the latest operation's reasons: the old failure is not among them.
    expect(d.reasons.map((r) => r.reason)).toEqual([IN_USE]);
    expect(d.remedy).toHaveLength(3);
    expect(d.remedy[0]).toMatch(/^stop passing a task-definition revision ARN/);
    expect(d.remedy[1]).toMatch(/^update the consumer first: deploy openclaw-lab-service/);
    expect(d.remedy[2]).toMatch(/^then deploy the producer openclaw-lab-infra/);
  });

  it('an export gone from ListExports and no importer left', () => {
    const d = diagnoseStack({
      stack: listing('openclaw-lab-infra', 'UPDATE_ROLLBACK_COMPLETE'),
      events: infraEvents,
      exportValues: new Map(),
      importers: new Map(),
      now: NOW,
    });
    expect(d.exportsInUse[0]).toMatchObject({ value: null, valueKind: null, valueNote: null, importers: [] });
    expect(d.remedy).toEqual(['nothing imports openclaw-lab-infra:TaskDefinitionArn any more: deploy openclaw-lab-infra again']);
  });

  it("UPDATE_ROLLBACK_FAILED with an export in use: finish the rollback first, then the exports' steps", () => {
    const events = [
      own('app', 'UPDATE_ROLLBACK_FAILED', 'The following resource(s) failed to update: [Db].', 1),
      ev('Db', 'UPDATE_FAILED', 'rollback failed', 2, 'AWS::RDS::DBInstance'),
      ...infraEvents.slice(2, 5).map((e) => ({ ...e, logicalId: e.logicalId === 'openclaw-lab-infra' ? 'app' : e.logicalId })),
    ];
    const d = diagnoseStack({
      stack: listing('app', 'UPDATE_ROLLBACK_FAILED'),
      events,
      exportValues: new Map([['openclaw-lab-infra:TaskDefinitionArn', TASK_DEF]]),
      importers: new Map([['openclaw-lab-infra:TaskDefinitionArn', ['svc']]]),
      now: NOW,
    });
    expect(d.remedy[0]).toMatch(/continue-update-rollback --stack-name app$/);
    expect(d.remedy[1]).toMatch(/--resources-to-skip Db$/);
    expect(d.remedy.slice(2).map((s) => s.split(' ')[0])).toEqual(['stop', 'update', 'then']);
  });

  it('a failed create: the failed resource leads, the status says delete and deploy again', () => {
    const events = [
      own('canary', 'ROLLBACK_COMPLETE', null, 1),
      own('canary', 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [Instance, Sg]. Rollback requested by user.', 2),
      ev('Sg', 'CREATE_FAILED', 'Resource creation cancelled', 3, 'AWS::EC2::SecurityGroup'),
      ev('Instance', 'CREATE_FAILED', "The image id '[ami-0f3e5d7c9b1a24680]' does not exist", 3, 'AWS::EC2::Instance'),
      own('canary', 'CREATE_IN_PROGRESS', 'User Initiated', 4),
    ];
    const d = diagnoseStack({
      stack: listing('canary', 'ROLLBACK_COMPLETE', { lastUpdatedTime: null, creationTime: ago(4) }),
      events,
      exportValues: new Map(),
      importers: new Map(),
      now: NOW,
    });
    expect(d.reason).toBe("The image id '[ami-0f3e5d7c9b1a24680]' does not exist");
    expect(d.reasons).toHaveLength(2);
    expect(d.since).toBe(ago(4));
    expect(d.exportsInUse).toEqual([]);
    expect(d.remedy).toEqual(['delete it: aws cloudformation delete-stack --stack-name canary', 'fix the cause and deploy it again']);
  });

  it('no reason in the events: the status reason ListStacks gave, else null', () => {
    const base = { events: [], exportValues: new Map(), importers: new Map(), now: NOW };
    expect(
      diagnoseStack({ ...base, stack: listing('a', 'DELETE_FAILED', { statusReason: 'The following resource(s) failed to delete: [Bucket].' }) }).reason,
    ).toBe('The following resource(s) failed to delete: [Bucket].');
    expect(diagnoseStack({ ...base, stack: listing('a', 'DELETE_FAILED') }).reason).toBeNull();
  });

  it('DELETE_FAILED retains the resources that failed to delete', () => {
    const events = [
      own('a', 'DELETE_FAILED', 'The following resource(s) failed to delete: [Bucket].', 1),
      ev('Bucket', 'DELETE_FAILED', 'The bucket you tried to delete is not empty', 2, 'AWS::S3::Bucket'),
      own('a', 'DELETE_IN_PROGRESS', 'User Initiated', 3),
    ];
    const d = diagnoseStack({
      stack: listing('a', 'DELETE_FAILED', { deletionTime: ago(3) }),
      events,
      exportValues: new Map(),
      importers: new Map(),
      now: NOW,
    });
    expect(d.reason).toBe('The bucket you tried to delete is not empty');
    expect(d.since).toBe(ago(3));
    expect(d.remedy[1]).toMatch(/--retain-resources Bucket$/);
  });

  it('a nested stack points at its root', () => {
    const d = diagnoseStack({
      stack: listing('app-NestedDb-1X', 'UPDATE_ROLLBACK_FAILED', { parentId: arn('app'), rootId: arn('app') }),
      events: [],
      exportValues: new Map(),
      importers: new Map(),
      now: NOW,
    });
    expect(d.nestedIn).toBe('app');
    expect(d.remedy).toEqual(['this is a nested stack of app: act on app, never on the nested stack itself']);
  });

  it('a stalled update says how long it has run', () => {
    const d = diagnoseStack({
      stack: listing('svc', 'UPDATE_IN_PROGRESS', { lastUpdatedTime: ago(185) }),
      events: [own('svc', 'UPDATE_IN_PROGRESS', 'User Initiated', 185)],
      exportValues: new Map(),
      importers: new Map(),
      now: NOW,
    });
    expect(d).toMatchObject({ phase: 'in-progress', meaning: 'the operation has been running for 3h5m', reason: null });
    expect(d.remedy[1]).toMatch(/cancel-update-stack --stack-name svc$/);
  });
});

describe('the listing and the document', () => {
  it('stuckStacks keeps the held stacks, by name', () => {
    const all = [
      listing('b', 'UPDATE_ROLLBACK_COMPLETE'),
      listing('a', 'ROLLBACK_FAILED'),
      listing('ok', 'UPDATE_COMPLETE'),
      listing('slow', 'UPDATE_IN_PROGRESS', { lastUpdatedTime: ago(30) }),
      listing('stalled', 'UPDATE_IN_PROGRESS', { lastUpdatedTime: ago(61) }),
    ];
    expect(stuckStacks(all, NOW, 3_600_000).map((s) => s.stackName)).toEqual(['a', 'b', 'stalled']);
  });

  it('exportsInUseOf merges repeats of one export', () => {
    const r = (reason: string) => ({ logicalId: 'x', resourceType: 't', status: 'UPDATE_FAILED', reason, timestamp: ago(1) });
    expect(exportsInUseOf([r('Export a:X cannot be updated as it is in use by b'), r('Cannot update export a:X as it is in use by c.'), r('nope')])).toEqual([
      { exportName: 'a:X', operation: 'update', importers: ['b', 'c'] },
    ]);
  });

  it('stacksDocument sorts by name; ok only when nothing is held; verdictLine words it', () => {
    const base = diagnoseStack({ stack: listing('z', 'ROLLBACK_COMPLETE'), events: [], exportValues: new Map(), importers: new Map(), now: NOW });
    const doc = stacksDocument('eu-central-1', 5, [base, { ...base, stackName: 'a' }]);
    expect(doc.stacks.map((s) => s.stackName)).toEqual(['a', 'z']);
    expect(doc).toMatchObject({ region: 'eu-central-1', checked: 5, ok: false });
    expect(Object.keys(doc.stacks[0]!)).toEqual([
      'stackName',
      'stackId',
      'status',
      'phase',
      'since',
      'meaning',
      'nestedIn',
      'reason',
      'reasons',
      'exportsInUse',
      'remedy',
    ]);
    expect(verdictLine(doc)).toBe('2 of 5 stacks in a failed or rollback state');
    expect(verdictLine({ ...doc, stacks: [{ ...base, phase: 'in-progress' }], checked: 1 })).toBe('1 of 1 stack in a failed or rollback state, or stalled');
    expect(stacksDocument('eu-central-1', 3, []).ok).toBe(true);
  });

  it('helpers: spanText, stackNameOf, matchesPrefix', () => {
    expect([0, 59_999, 60_000, 3_600_000, 3_660_000, 86_400_000, 90_000_000].map(spanText)).toEqual(['0m', '0m', '1m', '1h', '1h1m', '1d', '1d1h']);
    expect(stackNameOf(arn('openclaw-lab-infra'))).toBe('openclaw-lab-infra');
    expect(stackNameOf('plain')).toBe('plain');
    expect(matchesPrefix('openclaw-lab-infra', [])).toBe(true);
    expect(matchesPrefix('openclaw-lab-infra', ['x', 'openclaw-'])).toBe(true);
    expect(matchesPrefix('CDKToolkit', ['openclaw-'])).toBe(false);
  });
});
