import { describe, expect, it } from 'vitest';
import type { StackDiagnosis, StacksDocument } from '../../src/core/doctor-stacks.js';
import { renderStacks } from '../../src/ui/doctor-stacks-text.js';
import { styler } from '../../src/ui/style.js';

// src/ui/doctor-stacks-text.ts: the lines the sandbox seed does not produce (a nested
// stack, no reason found, an export gone with nothing importing it) and colour.

const NOW = new Date('2026-03-06T10:00:00Z');
const plain = styler(false);

function diagnosis(o: Partial<StackDiagnosis> = {}): StackDiagnosis {
  return {
    stackName: 'app',
    stackId: 'arn',
    status: 'UPDATE_ROLLBACK_FAILED',
    phase: 'failed',
    since: '2026-03-06T07:30:00.000Z',
    meaning: 'an update failed and so did its rollback',
    nestedIn: null,
    reason: null,
    reasons: [],
    exportsInUse: [],
    remedy: [],
    ...o,
  };
}
const doc = (stacks: StackDiagnosis[], checked = 3): StacksDocument => ({ region: 'eu-west-1', checked, ok: stacks.length === 0, stacks });

describe('renderStacks', () => {
  it('a clean account is one line', () => {
    expect(renderStacks(doc([], 1), NOW, plain)).toBe('no stacks in a failed or rollback state (1 stack checked in eu-west-1)');
  });

  it('a nested stack, no reason found, no remedy: said as such', () => {
    const out = renderStacks(
      doc([diagnosis({ nestedIn: 'root', remedy: ['this is a nested stack of root: act on root, never on the nested stack itself'] })]),
      NOW,
      plain,
    );
    expect(out.split('\n')).toEqual([
      'app  UPDATE_ROLLBACK_FAILED  2h ago (2026-03-06 07:30 UTC)',
      '  an update failed and so did its rollback',
      '  nested in: root',
      "  reason: none found in the last operation's events",
      '  fix:',
      '    1. this is a nested stack of root: act on root, never on the nested stack itself',
      '',
      '1 of 3 stacks in a failed or rollback state (eu-west-1)',
    ]);
  });

  it("an export gone, imported by nobody any more; the stack's own reason carries no resource", () => {
    const out = renderStacks(
      doc([
        diagnosis({
          reason: 'Cannot delete export app:X as it is in use by b.',
          reasons: [
            {
              logicalId: 'app',
              resourceType: 'AWS::CloudFormation::Stack',
              status: 'UPDATE_ROLLBACK_IN_PROGRESS',
              reason: 'Cannot delete export app:X as it is in use by b.',
              timestamp: '',
            },
          ],
          exportsInUse: [{ exportName: 'app:X', operation: 'delete', value: null, valueKind: null, valueNote: null, importers: [] }],
        }),
      ]),
      NOW,
      plain,
    );
    expect(out).toContain(
      '  reason: Cannot delete export app:X as it is in use by b.\n  export: app:X (cannot be deleted while imported)\n    value: not exported any more\n    imported by: no stack any more\n',
    );
  });

  it('colour only when the styler has it: the status by how bad it is', () => {
    const coloured = renderStacks(
      doc([diagnosis(), diagnosis({ stackName: 'b', status: 'UPDATE_ROLLBACK_COMPLETE', phase: 'rolled-back' })]),
      NOW,
      styler(true),
    );
    expect(coloured).toContain('\x1b[31mUPDATE_ROLLBACK_FAILED');
    expect(coloured).toContain('\x1b[33mUPDATE_ROLLBACK_COMPLETE');
    expect(renderStacks(doc([diagnosis()]), NOW, plain)).not.toContain('\x1b[');
  });
});
