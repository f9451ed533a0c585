import { z } from 'zod';
import type { DeployTarget, HostId } from './deploy-target.js';
import { RemoteError, UsageError } from './errors.js';
import { AMI_ID_RE, HOSTNAME_RE, REGION_RE } from './patterns.js';

// `claw replace`: the tofu calls, as argv arrays, and the check of tofu's own plan
// before it is applied. Pure: the command runs the calls, this decides what they are.
//
// Three calls, so that what is applied is exactly what was shown and checked:
//   tofu -chdir=<infra> plan -input=false -no-color -out=<file> -var=<amiVar>=<ami> [-var=<regionVar>=<region>] [-replace=<addr>]...
//   tofu -chdir=<infra> show -json <file>      (reviewPlan: only the targeted instances are destroyed)
//   tofu -chdir=<infra> apply -input=false -no-color <file>
// A saved plan is applied as it is: no variables, no -replace, no approval prompt.

/** The resource the clawdinators infra declares once per registry entry (`for_each` over nix/instances.json). */
export const INSTANCE_RESOURCE = 'aws_instance.clawdinator';
/** A Terraform/OpenTofu variable name. */
export const TOFU_VAR_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export interface ReplaceInput {
  target: DeployTarget;
  amiId: string;
  /** Absolute path of the OpenTofu root module (`-chdir`). */
  infraDir: string;
  /** Absolute path of the saved plan (with -chdir a relative one would be read from infraDir). */
  planFile: string;
  /** The variable the infra reads the AMI from (upstream: `ami_id`). */
  amiVar: string;
  /** Passed as `-var=<regionVar>=<region>` so tofu works in the region the AMI was resolved in; undefined: not passed. */
  regionVar?: string | undefined;
  region?: string | undefined;
}

export interface ReplacePlan {
  target: DeployTarget;
  amiId: string;
  infraDir: string;
  planFile: string;
  /** The `-replace` addresses: one per host, none for `all` (a plain apply). */
  addresses: string[];
  plan: string[];
  show: string[];
  apply: string[];
}

/** `aws_instance.clawdinator["<host>"]`: the quotes are part of the argv entry, no shell is involved. */
export function instanceAddress(host: HostId): string {
  if (!HOSTNAME_RE.test(host)) throw new UsageError(`invalid host name ${JSON.stringify(host)}`);
  return `${INSTANCE_RESOURCE}["${host}"]`;
}

// Control characters, and a leading '-' (tofu would read an option), never reach argv.
// eslint-disable-next-line no-control-regex
const SAFE_PATH_RE = /^\/[^\0-\x1f\x7f]*$/;

function checkPath(path: string, what: string): void {
  if (!SAFE_PATH_RE.test(path)) throw new UsageError(`${what} ${JSON.stringify(path)} must be an absolute path without control characters`);
}

function checkVar(name: string, key: string): void {
  if (!TOFU_VAR_RE.test(name))
    throw new UsageError(`${key} ${JSON.stringify(name)} is not a tofu variable name`, 'letters, digits, _ and -, starting with a letter or _');
}

/** Every argv of a replace, built only from validated values. */
export function planReplace(input: ReplaceInput): ReplacePlan {
  const { target, amiId, infraDir, planFile } = input;
  if (!AMI_ID_RE.test(amiId)) throw new UsageError(`"${amiId}" is not an AMI id (ami- and 8 or 17 hex digits)`);
  if (target.hosts.length === 0) throw new UsageError('nothing to replace: the target has no hosts');
  checkPath(infraDir, 'infra directory');
  checkPath(planFile, 'plan file');
  checkVar(input.amiVar, 'tofuAmiVar');
  const vars = [`-var=${input.amiVar}=${amiId}`];
  if (input.regionVar !== undefined && input.regionVar !== '') {
    checkVar(input.regionVar, 'tofuRegionVar');
    if (input.region === undefined || !REGION_RE.test(input.region)) throw new UsageError(`region ${JSON.stringify(input.region)} is not an AWS region`);
    vars.push(`-var=${input.regionVar}=${input.region}`);
  }
  const addresses = target.all ? [] : target.hosts.map(instanceAddress);
  const chdir = `-chdir=${infraDir}`;
  return {
    target,
    amiId,
    infraDir,
    planFile,
    addresses,
    plan: [chdir, 'plan', '-input=false', '-no-color', `-out=${planFile}`, ...vars, ...addresses.map((a) => `-replace=${a}`)],
    show: [chdir, 'show', '-json', planFile],
    apply: [chdir, 'apply', '-input=false', '-no-color', planFile],
  };
}

/** POSIX-shell rendering of an argv, for people to read or paste; never executed by claw. */
export function shellLine(bin: string, args: readonly string[]): string {
  return [bin, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

// ---- the review of tofu's plan (`tofu show -json <file>`) ----

export type ChangeKind = 'replace' | 'create' | 'update' | 'delete' | 'other';

export interface PlannedChange {
  address: string;
  kind: ChangeKind;
  actions: string[];
}

export interface PlanReview {
  /** Every change tofu would make (no-op and read left out). */
  changes: PlannedChange[];
  /** Destructive changes (delete, replace, anything unknown) outside the targeted instances. */
  unexpected: PlannedChange[];
  noChanges: boolean;
  counts: Record<ChangeKind, number>;
}

const planDocument = z.object({
  resource_changes: z.array(z.object({ address: z.string(), mode: z.string().optional(), change: z.object({ actions: z.array(z.string()) }) })).optional(),
});

function kindOf(actions: readonly string[]): ChangeKind | undefined {
  const a = [...actions].sort().join(',');
  if (a === 'no-op' || a === 'read' || a === '') return undefined;
  if (a === 'create,delete') return 'replace';
  if (a === 'create' || a === 'update' || a === 'delete') return a;
  return 'other';
}

/**
 * What tofu's saved plan would do, and whether it stays inside the target: the
 * targeted instances may be replaced, created or updated; anything else may be
 * created or updated, but never destroyed. (The infra gives every instance the same
 * AMI variable, so a new AMI for one host also replaces every other host whose AMI
 * differs: that is exactly what this catches.)
 */
export function reviewPlan(doc: unknown, plan: Pick<ReplacePlan, 'target'>): PlanReview {
  const parsed = planDocument.safeParse(doc);
  if (!parsed.success)
    throw new RemoteError(
      '`tofu show -json` printed a document claw does not understand (no resource_changes list)',
      'check the tofu version; nothing was applied',
    );
  const targeted = new Set(plan.target.hosts.map(instanceAddress));
  const changes: PlannedChange[] = [];
  for (const rc of parsed.data.resource_changes ?? []) {
    if (rc.mode === 'data') continue;
    const kind = kindOf(rc.change.actions);
    if (kind) changes.push({ address: rc.address, kind, actions: rc.change.actions });
  }
  const unexpected = changes.filter((c) => (targeted.has(c.address) ? c.kind === 'delete' || c.kind === 'other' : c.kind !== 'create' && c.kind !== 'update'));
  const counts: Record<ChangeKind, number> = { replace: 0, create: 0, update: 0, delete: 0, other: 0 };
  for (const c of changes) counts[c.kind]++;
  return { changes, unexpected, noChanges: changes.length === 0, counts };
}

/** One line per change, tofu's own words for the action. */
export function describeChange(c: PlannedChange): string {
  const verb = { replace: 'replace (destroy, then create)', create: 'create', update: 'update in place', delete: 'destroy', other: c.actions.join('+') }[
    c.kind
  ];
  return `${c.address}: ${verb}`;
}

export function summarizeReview(r: PlanReview): string {
  if (r.noChanges) return 'no changes';
  return (['replace', 'create', 'update', 'delete', 'other'] as const)
    .filter((k) => r.counts[k] > 0)
    .map((k) => `${r.counts[k]} to ${k === 'delete' ? 'destroy' : k}`)
    .join(', ');
}
