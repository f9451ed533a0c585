import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { readLifecycle, writeLifecycle } from '../../src/aws/lifecycle.js';
import {
  canonical,
  desiredRules,
  differingFields,
  IMAGE_KEY_PREFIX,
  isClawRule,
  planLifecycle,
  RULE_IDS,
  ruleForm,
  sameRules,
  type LifecycleRuleLike,
} from '../../src/core/lifecycle.js';
import { describeActions, describeScope, renderLifecyclePlan } from '../../src/ui/lifecycle-text.js';
import { styler } from '../../src/ui/style.js';

const plain = styler(false);
const logs: LifecycleRuleLike = { ID: 'logs-to-glacier', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Transitions: [{ Days: 40, StorageClass: 'GLACIER' }] };
const secretsGuard: LifecycleRuleLike = {
  ID: 'keep-secrets',
  Status: 'Disabled',
  Filter: { And: { Prefix: 'age-secrets/', Tags: [{ Key: 'a', Value: 'b' }] } },
  Expiration: { Date: new Date('2030-01-01T00:00:00Z') },
};
/** A rule as an S3 reader hands it back: keys in another order (moto: Status, Expiration, ID, Filter), no undefined fields. */
function asReadBack<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(asReadBack) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .reverse()
        .map(([k, v]) => [k, asReadBack(v)]),
    ) as T;
  }
  return value;
}
const actions = (plan: { changes: { action: string; id: string; owner: string }[] }) => plan.changes.map((c) => [c.action, c.id, c.owner]);

describe('desiredRules', () => {
  it('expires images after N days, noncurrent versions after 7, incomplete uploads after 1, all under the image prefix', () => {
    expect(desiredRules(30)).toEqual([
      { ID: 'claw-expire-images', Status: 'Enabled', Filter: { Prefix: 'clawdinator-nixos-' }, Expiration: { Days: 30 } },
      { ID: 'claw-expire-noncurrent-images', Status: 'Enabled', Filter: { Prefix: 'clawdinator-nixos-' }, NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
      {
        ID: 'claw-abort-incomplete-image-uploads',
        Status: 'Enabled',
        Filter: { Prefix: 'clawdinator-nixos-' },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
  });

  it('never reaches bootstrap/ or age-secrets/: every rule is scoped to the image keys', () => {
    for (const form of ['v1', 'v2'] as const) {
      for (const r of desiredRules(5, form)) {
        const prefix = r.Filter?.Prefix ?? r.Prefix;
        expect(prefix).toBe(IMAGE_KEY_PREFIX);
        for (const key of ['bootstrap/clawdinator-1/secrets.tar.zst', 'age-secrets/clawdinator-discord-token-1.age'])
          expect(key.startsWith(prefix!)).toBe(false);
        expect('clawdinator-nixos-20260107165216.raw'.startsWith(prefix!)).toBe(true);
        expect(isClawRule(r)).toBe(true);
      }
    }
  });

  it('uses the rule-level Prefix (V1) form on request', () => {
    for (const r of desiredRules(30, 'v1')) {
      expect(r.Prefix).toBe(IMAGE_KEY_PREFIX);
      expect(r.Filter).toBeUndefined();
    }
  });

  it('refuses days that are not whole numbers >= 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => desiredRules(bad)).toThrow(RangeError);
  });
});

describe('ruleForm', () => {
  it('is V2 unless a rule claw keeps uses the rule-level prefix', () => {
    expect(ruleForm([])).toBe('v2');
    expect(ruleForm([logs])).toBe('v2');
    expect(ruleForm([{ ID: 'old', Status: 'Enabled', Prefix: 'tmp/', Expiration: { Days: 3 } }])).toBe('v1');
    // claw's own rules do not decide: they are about to be rewritten.
    expect(ruleForm(desiredRules(30, 'v1'))).toBe('v2');
  });
});

describe('planLifecycle', () => {
  it('a bucket without rules: add all three, write exactly them', () => {
    const plan = planLifecycle([], desiredRules(30));
    expect(actions(plan)).toEqual([
      ['add', RULE_IDS.expire, 'claw'],
      ['add', RULE_IDS.noncurrent, 'claw'],
      ['add', RULE_IDS.abort, 'claw'],
    ]);
    expect(plan.changed).toBe(true);
    expect(plan.desired).toEqual(desiredRules(30));
    expect(plan.counts).toEqual({ add: 3, update: 0, remove: 0, keep: 0, other: 0 });
  });

  it("nothing to change when claw's rules are in place, in any order, with undefined fields as S3 readers leave them", () => {
    const read = desiredRules(30)
      .reverse()
      .map((r) => ({ ...asReadBack(r), Transitions: undefined, Prefix: undefined }));
    const plan = planLifecycle([logs, ...read], desiredRules(30));
    expect(plan.changed).toBe(false);
    expect(plan.changes.every((c) => c.action === 'keep')).toBe(true);
    expect(plan.counts).toEqual({ add: 0, update: 0, remove: 0, keep: 3, other: 1 });
  });

  it('updates a rule whose days differ, naming the field with both values', () => {
    const current = desiredRules(60);
    const plan = planLifecycle(current, desiredRules(30));
    expect(actions(plan)).toEqual([
      ['update', RULE_IDS.expire, 'claw'],
      ['keep', RULE_IDS.noncurrent, 'claw'],
      ['keep', RULE_IDS.abort, 'claw'],
    ]);
    expect(plan.changes[0]!.fields).toEqual([{ path: 'Expiration.Days', before: 60, after: 30 }]);
    expect(plan.changes[0]!.before).toBe(current[0]);
  });

  it('restores a claw rule someone disabled, re-scoped or extended', () => {
    const [expire, noncurrent, abort] = desiredRules(30);
    const plan = planLifecycle(
      [
        { ...expire!, Status: 'Disabled' },
        { ...noncurrent!, Filter: { Prefix: '' } },
        { ...abort!, Transitions: [{ Days: 9, StorageClass: 'GLACIER' }] },
      ],
      desiredRules(30),
    );
    expect(plan.changes.map((c) => c.fields)).toEqual([
      [{ path: 'Status', before: 'Disabled', after: 'Enabled' }],
      [{ path: 'Filter.Prefix', before: '', after: 'clawdinator-nixos-' }],
      [
        { path: 'Transitions.0.Days', before: 9, after: null },
        { path: 'Transitions.0.StorageClass', before: 'GLACIER', after: null },
      ],
    ]);
    expect(plan.desired).toEqual(desiredRules(30));
  });

  it("keeps every rule that is not claw's: the same objects, first, in their order, never in a non-keep change", () => {
    const noId: LifecycleRuleLike = { Status: 'Enabled', Filter: {}, Expiration: { ExpiredObjectDeleteMarker: true } };
    const lookalike: LifecycleRuleLike = { ID: 'Claw-not-ours', Status: 'Enabled', Filter: { Prefix: 'x/' }, Expiration: { Days: 1 } };
    const current = [logs, desiredRules(90)[0]!, secretsGuard, noId, lookalike];
    const plan = planLifecycle(current, desiredRules(30));
    expect(plan.desired.slice(0, 4)).toEqual([logs, secretsGuard, noId, lookalike]);
    expect(plan.desired[0]).toBe(logs);
    expect(plan.desired[1]).toBe(secretsGuard);
    expect(plan.desired.slice(4)).toEqual(desiredRules(30));
    expect(plan.changes.filter((c) => c.owner === 'other').map((c) => [c.action, c.id])).toEqual([
      ['keep', 'logs-to-glacier'],
      ['keep', 'keep-secrets'],
      ['keep', ''],
      ['keep', 'Claw-not-ours'],
    ]);
  });

  it('removes claw-prefixed rules claw no longer wants, and a duplicate of a claw ID', () => {
    const legacy = { ID: 'claw-images-old', Status: 'Enabled', Filter: { Prefix: 'clawdinator-nixos-' }, Expiration: { Days: 14 } };
    const [expire] = desiredRules(30);
    const dup = { ...expire!, Expiration: { Days: 5 } };
    const plan = planLifecycle([legacy, ...desiredRules(30), dup], desiredRules(30));
    expect(actions(plan).filter(([a]) => a === 'remove')).toEqual([
      ['remove', 'claw-images-old', 'claw'],
      ['remove', RULE_IDS.expire, 'claw'],
    ]);
    expect(plan.desired).toEqual(desiredRules(30));
    expect(plan.counts).toMatchObject({ remove: 2, keep: 3 });
  });

  it('matches the V1 form when the bucket keeps V1 rules, so S3 never sees both forms', () => {
    const v1Foreign: LifecycleRuleLike = { ID: 'tmp', Status: 'Enabled', Prefix: 'tmp/', Expiration: { Days: 3 } };
    const current = [v1Foreign, ...desiredRules(30, 'v2')];
    const plan = planLifecycle(current, desiredRules(30, ruleForm(current)));
    expect(plan.changes.filter((c) => c.action === 'update')).toHaveLength(3);
    expect(plan.changes[0]!.fields).toEqual([
      { path: 'Filter.Prefix', before: IMAGE_KEY_PREFIX, after: null },
      { path: 'Prefix', before: null, after: IMAGE_KEY_PREFIX },
    ]);
    expect(plan.desired.every((r) => r.Filter === undefined)).toBe(true);
    const again = planLifecycle(plan.desired, desiredRules(30, ruleForm(plan.desired)));
    expect(again.changed).toBe(false);
  });

  it("refuses a desired rule that is not claw's (a bug, never a silent overwrite)", () => {
    expect(() => planLifecycle([logs], [logs])).toThrow(/not claw's/);
  });
});

describe('helpers', () => {
  it('canonical: sorted keys, no undefined or null, dates as ISO strings', () => {
    expect(canonical({ b: 1, a: { d: undefined, c: new Date('2030-01-01T00:00:00Z') }, e: null, f: [{ y: 1, x: 2 }] })).toEqual({
      a: { c: '2030-01-01T00:00:00.000Z' },
      b: 1,
      f: [{ x: 2, y: 1 }],
    });
    expect(JSON.stringify(canonical({ b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });

  it('sameRules ignores order but not content', () => {
    expect(sameRules([logs, secretsGuard], [secretsGuard, logs])).toBe(true);
    expect(sameRules([logs], [logs, secretsGuard])).toBe(false);
    expect(sameRules([logs], [{ ...logs, Status: 'Disabled' }])).toBe(false);
    expect(sameRules([secretsGuard], [{ ...secretsGuard, Expiration: { Date: '2030-01-01T00:00:00.000Z' } }])).toBe(true);
  });

  it('differingFields treats an empty object as a value', () => {
    expect(differingFields({ Filter: {} }, { Filter: { Prefix: 'a' } })).toEqual([
      { path: 'Filter', before: {}, after: null },
      { path: 'Filter.Prefix', before: null, after: 'a' },
    ]);
  });
});

describe('lifecycle text', () => {
  it('describes scopes and actions in words', () => {
    expect(describeScope(desiredRules(30)[0]!)).toBe('prefix clawdinator-nixos-');
    expect(describeScope({ Prefix: '' })).toBe('whole bucket');
    expect(describeScope({ Prefix: 'tmp/' })).toBe('prefix tmp/');
    expect(describeScope({ Filter: {} })).toBe('whole bucket');
    expect(describeScope({ Filter: { Tag: { Key: 'k', Value: 'v' } } })).toBe('tag k=v');
    expect(describeScope({ Filter: { And: { Prefix: 'p/', Tags: [{ Key: 'a', Value: 'b' }], ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 99 } } })).toBe(
      'prefix p/, tag a=b, size > 10 B, size < 99 B',
    );
    expect(desiredRules(1).map(describeActions)).toEqual([
      'expire after 1 day',
      'expire noncurrent versions after 7 days',
      'abort incomplete uploads after 1 day',
    ]);
    expect(describeActions(logs)).toBe('move to GLACIER after 40 days');
    expect(describeActions(secretsGuard)).toBe('expire on 2030-01-01');
    expect(
      describeActions({
        Expiration: { ExpiredObjectDeleteMarker: true },
        NoncurrentVersionExpiration: { NoncurrentDays: 3, NewerNoncurrentVersions: 2 },
        NoncurrentVersionTransitions: [{ NoncurrentDays: 5, StorageClass: 'GLACIER' }],
      }),
    ).toBe('remove expired delete markers; expire noncurrent versions after 3 days (keeping the newest 2); move noncurrent versions to GLACIER after 5 days');
    expect(describeActions({})).toBe('(no action)');
  });

  it('renders current rules, each change and the summary', () => {
    const text = renderLifecyclePlan(
      'b1',
      planLifecycle([logs, desiredRules(60)[0]!, { ID: 'claw-gone', Status: 'Enabled', Filter: { Prefix: 'x' }, Expiration: { Days: 2 } }], desiredRules(30)),
      plain,
    );
    expect(text).toContain("Lifecycle of s3://b1 (claw's rules are named claw-*)");
    expect(text).toMatch(/^ {2}logs-to-glacier\s+Enabled\s+prefix logs\/\s+move to GLACIER after 40 days$/m);
    expect(text).toMatch(/^ {2}update\s+claw-expire-images\s+Expiration\.Days 60 -> 30$/m);
    expect(text).toMatch(/^ {2}add\s+claw-expire-noncurrent-images\s+prefix clawdinator-nixos-: expire noncurrent versions after 7 days$/m);
    expect(text).toMatch(/^ {2}remove\s+claw-gone\s+no longer one of claw's rules \(prefix x: expire after 2 days\)$/m);
    expect(text).toMatch(/^ {2}keep\s+logs-to-glacier\s+not claw's: kept as it is$/m);
    expect(text).toMatch(/^2 to add, 1 to update, 1 to remove, 0 unchanged; 1 other rule kept as it is$/m);
    expect(text).not.toContain('\u001b[');
  });

  it('says nothing to change, and shows an empty bucket as (none)', () => {
    expect(renderLifecyclePlan('b', planLifecycle(desiredRules(30), desiredRules(30)), plain)).toMatch(
      /^nothing to change: claw's 3 rules are already in place$/m,
    );
    expect(renderLifecyclePlan('b', planLifecycle([], desiredRules(30)), plain)).toMatch(/^Current rules\n {2}\(none\)$/m);
  });
});

// Arbitrary lifecycle configurations: rules of other owners with any mix of fields
// (including undefined ones, as SDK readers leave them), and claw rules in any state.
const tagArb = fc.record({ Key: fc.string({ maxLength: 4 }), Value: fc.string({ maxLength: 4 }) });
const filterArb = fc.oneof(
  fc.record({ Prefix: fc.string({ maxLength: 6 }) }),
  fc.record({ Tag: tagArb }),
  fc.record({
    And: fc.record({ Prefix: fc.string({ maxLength: 4 }), Tags: fc.array(tagArb, { maxLength: 2 }), ObjectSizeGreaterThan: fc.nat() }, { requiredKeys: [] }),
  }),
  fc.constant({}),
);
const bodyArb = fc.record(
  {
    Status: fc.constantFrom('Enabled', 'Disabled'),
    Filter: filterArb,
    Prefix: fc.string({ maxLength: 6 }),
    Expiration: fc.oneof(
      fc.record({ Days: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ Date: fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }) }),
      fc.record({ ExpiredObjectDeleteMarker: fc.boolean() }),
    ),
    Transitions: fc.array(fc.record({ Days: fc.integer({ min: 1, max: 400 }), StorageClass: fc.constantFrom('GLACIER', 'STANDARD_IA') }), { maxLength: 2 }),
    NoncurrentVersionExpiration: fc.record({
      NoncurrentDays: fc.integer({ min: 1, max: 90 }),
      NewerNoncurrentVersions: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    }),
    AbortIncompleteMultipartUpload: fc.record({ DaysAfterInitiation: fc.integer({ min: 1, max: 9 }) }),
  },
  { requiredKeys: ['Status'] },
);
const idArb = fc.oneof(
  fc.constantFrom(...Object.values(RULE_IDS), 'claw-legacy', 'claw-', 'logs', 'Claw-x', 'tmp-claw-y', ''),
  fc.string({ maxLength: 8 }),
  fc.string({ maxLength: 6 }).map((s) => `claw-${s}`),
);
const rulesArb = fc
  .uniqueArray(fc.tuple(idArb, bodyArb, fc.boolean()), { selector: ([id]) => id, maxLength: 8 })
  .map((rows) => rows.map(([id, body, withId]): LifecycleRuleLike => (withId || id.startsWith('claw-') ? { ID: id, ...body } : body)));
const daysArb = fc.integer({ min: 1, max: 3650 });

describe('planLifecycle properties', () => {
  it('never drops, alters or reorders a rule claw does not own, and never plans anything but keep for it', () => {
    fc.assert(
      fc.property(rulesArb, daysArb, (current, days) => {
        const snapshot = structuredClone(current);
        const plan = planLifecycle(current, desiredRules(days, ruleForm(current)));
        const others = current.filter((r) => !isClawRule(r));
        const kept = plan.desired.filter((r) => !isClawRule(r));
        expect(kept).toHaveLength(others.length);
        kept.forEach((r, i) => expect(r).toBe(others[i]));
        expect(current).toEqual(snapshot); // nothing mutated in place
        for (const c of plan.changes) if (c.owner === 'other') expect(c.action).toBe('keep');
        expect(plan.changes.filter((c) => c.owner === 'other')).toHaveLength(others.length);
      }),
    );
  });

  it("leaves exactly claw's desired rules, and applying the merge twice is a no-op", () => {
    fc.assert(
      fc.property(rulesArb, daysArb, (current, days) => {
        const desired = desiredRules(days, ruleForm(current));
        const first = planLifecycle(current, desired);
        expect(first.desired.filter(isClawRule)).toEqual(desired);
        // What S3 would hold after the put, read back (undefined fields dropped, dates as written).
        const readBack = first.desired.map(asReadBack);
        const second = planLifecycle(readBack, desiredRules(days, ruleForm(readBack)));
        expect(second.changed).toBe(false);
        expect(second.counts).toMatchObject({ add: 0, update: 0, remove: 0 });
        expect(sameRules(second.desired, first.desired)).toBe(true);
        // changed is false exactly when the configuration already was the merge.
        expect(first.changed).toBe(!sameRules(current, first.desired));
      }),
    );
  });

  it('the rule form is stable: the merge never mixes rule-level prefixes with filters when the bucket did not', () => {
    fc.assert(
      fc.property(rulesArb, daysArb, (current, days) => {
        const others = current.filter((r) => !isClawRule(r));
        const mixedBefore = others.some((r) => r.Prefix !== undefined && r.Filter === undefined) && others.some((r) => r.Filter !== undefined);
        const plan = planLifecycle(current, desiredRules(days, ruleForm(current)));
        const v1 = plan.desired.some((r) => r.Prefix !== undefined && r.Filter === undefined);
        const v2 = plan.desired.some((r) => r.Filter !== undefined);
        if (!mixedBefore) expect(v1 && v2).toBe(false);
      }),
    );
  });
});

// The S3 side through a stub of the narrow interface (the SDK's error shape: `name`
// is the code; S3 errors also carry `Code`). Against moto and the sandbox: test/e2e.
function s3Stub(get: () => Promise<unknown>, puts: unknown[] = []): S3Api {
  return {
    getBucketLifecycleConfiguration: get,
    putBucketLifecycleConfiguration: async (input: unknown) => {
      puts.push(input);
      return { $metadata: {} };
    },
  } as unknown as S3Api;
}
const s3Error = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 404 }, ...extra });

describe('readLifecycle / writeLifecycle', () => {
  it('returns the rules and the transition default as S3 gives them', async () => {
    const rules = [logs];
    const out = await readLifecycle(
      s3Stub(async () => ({ Rules: rules, TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' })),
      'b',
    );
    expect(out).toEqual({ bucketExists: true, rules, transitionDefaultMinimumObjectSize: 'all_storage_classes_128K' });
    expect(
      await readLifecycle(
        s3Stub(async () => ({})),
        'b',
      ),
    ).toEqual({ bucketExists: true, rules: [], transitionDefaultMinimumObjectSize: undefined });
  });

  it('no configuration is no rules; a missing bucket is reported, by name or by Code', async () => {
    expect(
      await readLifecycle(
        s3Stub(async () => {
          throw s3Error('NoSuchLifecycleConfiguration');
        }),
        'b',
      ),
    ).toMatchObject({ bucketExists: true, rules: [] });
    expect(
      await readLifecycle(
        s3Stub(async () => {
          throw s3Error('NoSuchBucket');
        }),
        'b',
      ),
    ).toEqual({ bucketExists: false });
    expect(
      await readLifecycle(
        s3Stub(async () => {
          throw s3Error('NotFound', { Code: 'NoSuchBucket' });
        }),
        'b',
      ),
    ).toEqual({ bucketExists: false });
  });

  it('any other failure is thrown as it is (never an empty lifecycle)', async () => {
    const denied = s3Error('AccessDenied');
    await expect(
      readLifecycle(
        s3Stub(async () => {
          throw denied;
        }),
        'b',
      ),
    ).rejects.toBe(denied);
    await expect(
      readLifecycle(
        s3Stub(async () => {
          throw new TypeError('boom');
        }),
        'b',
      ),
    ).rejects.toThrow('boom');
  });

  it('writes the whole configuration, carrying a non-default transition minimum object size back', async () => {
    const puts: unknown[] = [];
    const s3 = s3Stub(async () => ({}), puts);
    const rules = desiredRules(30);
    await writeLifecycle(s3, 'b', rules);
    await writeLifecycle(s3, 'b', rules, 'varies_by_storage_class');
    await writeLifecycle(s3, 'b', rules, 'all_storage_classes_128K'); // the default: not said
    expect(puts).toEqual([
      { Bucket: 'b', LifecycleConfiguration: { Rules: rules } },
      { Bucket: 'b', LifecycleConfiguration: { Rules: rules }, TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' },
      { Bucket: 'b', LifecycleConfiguration: { Rules: rules } },
    ]);
    await expect(writeLifecycle(s3, 'b', [])).rejects.toThrow(/empty/);
    expect(puts).toHaveLength(3);
  });
});
