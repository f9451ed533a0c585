// The images bucket's S3 lifecycle: the rules claw wants, the diff against what the
// bucket has, and the merged configuration to write. Pure: the caller reads and writes.
//
// S3's PutBucketLifecycleConfiguration replaces the whole configuration, so the merge
// carries every rule claw does not own through unchanged (the very objects read), and
// replaces only the rules whose ID starts with CLAW_RULE_PREFIX.

/** Rules whose ID starts with this are claw's; every other rule belongs to someone else. */
export const CLAW_RULE_PREFIX = 'claw-';
/**
 * Uploaded images live at the bucket root as `clawdinator-nixos-<stamp>.<raw|vhd|vmdk>`.
 * The same bucket holds `bootstrap/` and `age-secrets/`, which no claw rule may touch,
 * so every claw rule is scoped to this prefix.
 */
export const IMAGE_KEY_PREFIX = 'clawdinator-nixos-';
export const NONCURRENT_DAYS = 7;
export const ABORT_MULTIPART_DAYS = 1;

export const RULE_IDS = {
  expire: 'claw-expire-images',
  noncurrent: 'claw-expire-noncurrent-images',
  abort: 'claw-abort-incomplete-image-uploads',
} as const;

interface TagLike {
  Key?: string | undefined;
  Value?: string | undefined;
}

/**
 * The fields of an S3 lifecycle rule claw reads (structurally the SDK's `LifecycleRule`,
 * so SDK rules pass through as they are; anything else on a rule is carried along).
 */
export interface LifecycleRuleLike {
  ID?: string | undefined;
  Status?: string | undefined;
  /** The deprecated (V1) rule-level prefix; a configuration uses either this or Filter. */
  Prefix?: string | undefined;
  Filter?:
    | {
        Prefix?: string | undefined;
        Tag?: TagLike | undefined;
        ObjectSizeGreaterThan?: number | undefined;
        ObjectSizeLessThan?: number | undefined;
        And?:
          | {
              Prefix?: string | undefined;
              Tags?: readonly TagLike[] | undefined;
              ObjectSizeGreaterThan?: number | undefined;
              ObjectSizeLessThan?: number | undefined;
            }
          | undefined;
      }
    | undefined;
  Expiration?: { Days?: number | undefined; Date?: Date | string | undefined; ExpiredObjectDeleteMarker?: boolean | undefined } | undefined;
  Transitions?: readonly { Days?: number | undefined; Date?: Date | string | undefined; StorageClass?: string | undefined }[] | undefined;
  NoncurrentVersionExpiration?: { NoncurrentDays?: number | undefined; NewerNoncurrentVersions?: number | undefined } | undefined;
  NoncurrentVersionTransitions?:
    readonly { NoncurrentDays?: number | undefined; NewerNoncurrentVersions?: number | undefined; StorageClass?: string | undefined }[] | undefined;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number | undefined } | undefined;
}

/** A rule claw writes: enabled, scoped to the image prefix, one action. */
export interface ClawRule {
  ID: string;
  Status: 'Enabled';
  Filter?: { Prefix: string };
  Prefix?: string;
  Expiration?: { Days: number };
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}

export const isClawRule = (rule: LifecycleRuleLike): boolean => (rule.ID ?? '').startsWith(CLAW_RULE_PREFIX);

/** A V1 rule names its objects by a rule-level Prefix instead of a Filter. */
const isV1 = (rule: LifecycleRuleLike): boolean => rule.Prefix !== undefined && rule.Filter === undefined;

/**
 * S3 refuses a configuration that mixes rule-level prefixes (V1) with filters (V2)
 * ("Base level prefix cannot be used in Lifecycle V2"). claw's rules follow the
 * others: V1 when a rule claw keeps uses the V1 form, V2 (Filter) otherwise.
 */
export function ruleForm(current: readonly LifecycleRuleLike[]): 'v1' | 'v2' {
  return current.some((r) => !isClawRule(r) && isV1(r)) ? 'v1' : 'v2';
}

/**
 * claw's rules: expire uploaded images after `days`, expire their noncurrent versions
 * after 7 days, abort their incomplete multipart uploads after 1 day.
 */
export function desiredRules(days: number, form: 'v1' | 'v2' = 'v2'): ClawRule[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`lifecycle days must be a whole number >= 1, got ${days}`);
  const scope = form === 'v1' ? { Prefix: IMAGE_KEY_PREFIX } : { Filter: { Prefix: IMAGE_KEY_PREFIX } };
  return [
    { ID: RULE_IDS.expire, Status: 'Enabled', ...scope, Expiration: { Days: days } },
    { ID: RULE_IDS.noncurrent, Status: 'Enabled', ...scope, NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_DAYS } },
    { ID: RULE_IDS.abort, Status: 'Enabled', ...scope, AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_MULTIPART_DAYS } },
  ];
}

export type ChangeAction = 'add' | 'update' | 'keep' | 'remove';

export interface LifecycleChange<R> {
  action: ChangeAction;
  id: string;
  /** `other` rules are never added, updated or removed: always `keep`. */
  owner: 'claw' | 'other';
  /** The rule as the bucket has it (absent for `add`). */
  before?: R;
  /** The rule as it will be (absent for `remove`). */
  after?: R;
  /** For `update`: each field that differs (a dotted path like `Expiration.Days`), before and after (null: absent). */
  fields?: FieldChange[];
}

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface LifecyclePlan<R> {
  current: R[];
  /** The whole configuration to write: the other rules unchanged, then claw's. */
  desired: R[];
  changes: LifecycleChange<R>[];
  /** True when anything is added, updated or removed, i.e. a write is needed. */
  changed: boolean;
  counts: ChangeCounts;
}

/**
 * A JSON-like value in one canonical form, for comparing rules as S3 means them: keys
 * sorted, undefined and null dropped, dates as ISO strings.
 */
export function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && v !== null) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Two rule lists mean the same configuration (same rules by ID; order does not matter to S3). */
export function sameRules(a: readonly LifecycleRuleLike[], b: readonly LifecycleRuleLike[]): boolean {
  const key = (rules: readonly LifecycleRuleLike[]) => rules.map((r) => JSON.stringify(canonical(r))).sort();
  return same(key(a), key(b));
}

/** Leaf values by dotted path (`Filter.Prefix`, `Transitions.0.Days`); an empty object or array is a leaf. */
function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(path, value);
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, value);
  }
}

/** The fields where two rules differ, by dotted path in a stable order, with both values (null: absent). */
export function differingFields(before: LifecycleRuleLike, after: LifecycleRuleLike): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(canonical(before), '', a);
  flatten(canonical(after), '', b);
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .sort()
    .map((path) => ({ path, before: a.get(path) ?? null, after: b.get(path) ?? null }));
}

/**
 * Diff the bucket's rules against claw's desired ones and merge: every rule claw does
 * not own is kept as it is (same object, same order), claw's rules are added or
 * updated, and claw-prefixed rules claw no longer wants are removed.
 */
export function planLifecycle<R extends LifecycleRuleLike>(current: readonly R[], wanted: readonly R[]): LifecyclePlan<R> {
  const others = current.filter((r) => !isClawRule(r));
  const ownedById = new Map<string, R>();
  for (const r of current) if (isClawRule(r) && !ownedById.has(r.ID!)) ownedById.set(r.ID!, r);
  const wantedIds = new Set(wanted.map((r) => r.ID));

  const changes: LifecycleChange<R>[] = [];
  for (const after of wanted) {
    const id = after.ID ?? '';
    if (!isClawRule(after)) throw new Error(`desired rule ${id || '(no ID)'} is not claw's (IDs start with ${CLAW_RULE_PREFIX})`);
    const before = ownedById.get(id);
    if (!before) changes.push({ action: 'add', id, owner: 'claw', after });
    else if (same(before, after)) changes.push({ action: 'keep', id, owner: 'claw', before, after });
    else changes.push({ action: 'update', id, owner: 'claw', before, after, fields: differingFields(before, after) });
  }
  for (const before of current) {
    // Not wanted any more, or a second rule under an ID already matched (S3 refuses those).
    const stale = !wantedIds.has(before.ID) || ownedById.get(before.ID!) !== before;
    if (isClawRule(before) && stale) changes.push({ action: 'remove', id: before.ID ?? '', owner: 'claw', before });
  }
  for (const rule of others) changes.push({ action: 'keep', id: rule.ID ?? '', owner: 'other', before: rule, after: rule });

  return {
    current: [...current],
    desired: [...others, ...wanted],
    changes,
    changed: changes.some((c) => c.action !== 'keep'),
    counts: countChanges(changes),
  };
}

export interface ChangeCounts {
  add: number;
  update: number;
  remove: number;
  keep: number;
  /** Rules that are not claw's (all kept). */
  other: number;
}

export function countChanges(changes: readonly LifecycleChange<unknown>[]): ChangeCounts {
  const counts: ChangeCounts = { add: 0, update: 0, remove: 0, keep: 0, other: 0 };
  for (const c of changes) {
    if (c.owner === 'other') counts.other++;
    else counts[c.action]++;
  }
  return counts;
}
