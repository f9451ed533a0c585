import { describe, expect, it } from 'vitest';
import { parseDeployTarget } from '../../src/core/deploy-target.js';
import { UsageError } from '../../src/core/errors.js';
import { parseRegistry } from '../../src/core/registry.js';
import { instanceAddress, planReplace, reviewPlan, shellLine, summarizeReview, type ReplaceInput } from '../../src/core/replace.js';

const registry = parseRegistry(
  JSON.stringify(
    Object.fromEntries(
      ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish'].map((h) => [
        h,
        { host: h, instanceType: 't3.large', bootstrapPrefix: `bootstrap/${h}`, discordTokenSecret: `clawdinator-discord-token-${h}` },
      ]),
    ),
  ),
  'nix/instances.json',
);
const target = (raw: string) => parseDeployTarget(raw, registry);
const AMI = 'ami-0e4b7d2c9a1f35b60';
const base = (raw: string, over: Partial<ReplaceInput> = {}): ReplaceInput => ({
  target: target(raw),
  amiId: AMI,
  infraDir: '/repo/infra/opentofu/aws',
  planFile: '/tmp/claw-replace-x/replace.tfplan',
  amiVar: 'ami_id',
  regionVar: 'aws_region',
  region: 'eu-central-1',
  ...over,
});

describe('planReplace: the tofu argv', () => {
  it('one host: plan with the AMI and region variables and one -replace, show, apply of the saved plan', () => {
    const p = planReplace(base('clawdinator-1'));
    expect(p.plan).toEqual([
      '-chdir=/repo/infra/opentofu/aws',
      'plan',
      '-input=false',
      '-no-color',
      '-out=/tmp/claw-replace-x/replace.tfplan',
      `-var=ami_id=${AMI}`,
      '-var=aws_region=eu-central-1',
      '-replace=aws_instance.clawdinator["clawdinator-1"]',
    ]);
    expect(p.show).toEqual(['-chdir=/repo/infra/opentofu/aws', 'show', '-json', '/tmp/claw-replace-x/replace.tfplan']);
    // A saved plan takes no variables, no -replace and asks nothing.
    expect(p.apply).toEqual(['-chdir=/repo/infra/opentofu/aws', 'apply', '-input=false', '-no-color', '/tmp/claw-replace-x/replace.tfplan']);
    expect(p.addresses).toEqual(['aws_instance.clawdinator["clawdinator-1"]']);
  });

  it('a comma list: one -replace per host, in the order typed, deduplicated', () => {
    const p = planReplace(base('clawdinator-2,clawdinator-1,clawdinator-2'));
    expect(p.plan.filter((a) => a.startsWith('-replace='))).toEqual([
      '-replace=aws_instance.clawdinator["clawdinator-2"]',
      '-replace=aws_instance.clawdinator["clawdinator-1"]',
    ]);
  });

  it('all: a plain apply (no -replace), the AMI variable decides', () => {
    const p = planReplace(base('all'));
    expect(p.addresses).toEqual([]);
    expect(p.plan.some((a) => a.startsWith('-replace'))).toBe(false);
    expect(p.plan).toContain(`-var=ami_id=${AMI}`);
    expect(p.target.hosts).toHaveLength(3);
  });

  it('configurable variable names; no region variable when tofuRegionVar is empty', () => {
    const p = planReplace(base('clawdinator-1', { amiVar: 'image_id', regionVar: '' }));
    expect(p.plan.filter((a) => a.startsWith('-var'))).toEqual([`-var=image_id=${AMI}`]);
  });

  it.each([
    ['a malformed AMI', { amiId: 'ami-x;id' }, /is not an AMI id/],
    ['a relative infra dir', { infraDir: 'infra/opentofu/aws' }, /must be an absolute path/],
    ['a plan file with a newline', { planFile: '/tmp/a\nb' }, /must be an absolute path/],
    ['a variable name with a shell character', { amiVar: 'ami;id' }, /not a tofu variable name/],
    ['a variable name that is an option', { amiVar: '-destroy' }, /not a tofu variable name/],
    ['a malformed region', { region: 'eu central' }, /not an AWS region/],
  ])('refuses %s (UsageError, nothing built)', (_what, over, message) => {
    expect(() => planReplace(base('clawdinator-1', over))).toThrow(message);
    expect(() => planReplace(base('clawdinator-1', over))).toThrow(UsageError);
  });

  it('an address is built only from a valid host name', () => {
    expect(() => instanceAddress('x"]; rm' as never)).toThrow(UsageError);
  });

  it('shellLine quotes what a shell would split or expand, for display only', () => {
    expect(shellLine('tofu', ['-chdir=/a b', '-replace=aws_instance.clawdinator["h"]', "it's", '-input=false'])).toBe(
      `tofu '-chdir=/a b' '-replace=aws_instance.clawdinator["h"]' 'it'\\''s' -input=false`,
    );
  });
});

const rc = (address: string, ...actions: string[]) => ({ address, mode: 'managed', change: { actions } });
const doc = (...changes: unknown[]) => ({ format_version: '1.2', resource_changes: changes });
const A = (h: string) => `aws_instance.clawdinator["${h}"]`;

describe('reviewPlan: tofu destroys nothing outside the target', () => {
  it('the targeted instance replaced, the rest no-op: fine', () => {
    const r = reviewPlan(doc(rc(A('clawdinator-1'), 'delete', 'create'), rc(A('clawdinator-2'), 'no-op')), { target: target('clawdinator-1') });
    expect(r.unexpected).toEqual([]);
    expect(r.changes).toEqual([{ address: A('clawdinator-1'), kind: 'replace', actions: ['delete', 'create'] }]);
    expect(summarizeReview(r)).toBe('1 to replace');
  });

  it('create-before-destroy order counts as a replace too', () => {
    const r = reviewPlan(doc(rc(A('clawdinator-1'), 'create', 'delete')), { target: target('clawdinator-1') });
    expect(r.changes[0]!.kind).toBe('replace');
  });

  it('another host replaced as well (the shared AMI variable changed): unexpected', () => {
    const r = reviewPlan(doc(rc(A('clawdinator-1'), 'delete', 'create'), rc(A('clawdinator-2'), 'delete', 'create')), { target: target('clawdinator-1') });
    expect(r.unexpected.map((c) => c.address)).toEqual([A('clawdinator-2')]);
  });

  it('creates and in-place updates outside the target are allowed; deletes are not', () => {
    const r = reviewPlan(
      doc(
        rc(A('clawdinator-1'), 'delete', 'create'),
        rc('aws_security_group_rule.egress[0]', 'update'),
        rc('aws_s3_bucket.x', 'create'),
        rc('aws_efs_file_system.memory', 'delete'),
      ),
      { target: target('clawdinator-1') },
    );
    expect(r.unexpected.map((c) => c.address)).toEqual(['aws_efs_file_system.memory']);
    expect(summarizeReview(r)).toBe('1 to replace, 1 to create, 1 to update, 1 to destroy');
  });

  it('a targeted instance only destroyed (no create), or an unknown action: unexpected', () => {
    expect(reviewPlan(doc(rc(A('clawdinator-1'), 'delete')), { target: target('clawdinator-1') }).unexpected).toHaveLength(1);
    expect(reviewPlan(doc(rc(A('clawdinator-1'), 'forget')), { target: target('clawdinator-1') }).unexpected).toHaveLength(1);
  });

  it('all: every registered instance may be replaced; an instance not in the registry may not be destroyed', () => {
    const r = reviewPlan(
      doc(
        rc(A('clawdinator-1'), 'delete', 'create'),
        rc(A('clawdinator-2'), 'delete', 'create'),
        rc(A('clawdinator-babelfish'), 'no-op'),
        rc(A('clawdinator-old'), 'delete'),
      ),
      { target: target('all') },
    );
    expect(r.unexpected.map((c) => c.address)).toEqual([A('clawdinator-old')]);
    expect(r.counts.replace).toBe(2);
  });

  it('no-op, read and data sources only: no changes', () => {
    const r = reviewPlan(doc(rc(A('clawdinator-1'), 'no-op'), { address: 'data.aws_vpc.default', mode: 'data', change: { actions: ['read'] } }), {
      target: target('all'),
    });
    expect(r.noChanges).toBe(true);
    expect(summarizeReview(r)).toBe('no changes');
    expect(reviewPlan({ format_version: '1.2' }, { target: target('all') }).noChanges).toBe(true);
  });

  it('a document that is not a plan is an error, not "no changes"', () => {
    expect(() => reviewPlan({ resource_changes: 'x' }, { target: target('all') })).toThrow(/does not understand/);
    expect(() => reviewPlan(null, { target: target('all') })).toThrow(/does not understand/);
  });
});
