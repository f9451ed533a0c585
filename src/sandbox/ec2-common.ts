import type { Tag } from '@aws-sdk/client-ec2';
import { awsError } from './errors.js';
import { decodeToken, requestFingerprint } from './paging.js';

// What the EC2 operations of the sandbox share: id formats, AWS's "not found" errors,
// MaxResults rules, paging cursors and tag validation.

export const PAGING = ['MaxResults', 'NextToken'] as const;

export const SNAPSHOT_ID_RE = /^snap-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const IMPORT_TASK_ID_RE = /^import-snap-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
/** Any EC2 resource id: `<type>-<8 or 17 hex>`. */
export const RESOURCE_ID_RE = /^[a-z]+(?:-[a-z]+)*-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

export function tagList(tags: Record<string, string>): Tag[] | undefined {
  const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return list.length > 0 ? list : undefined;
}

/** MaxResults 5..1000. `capAbove` answers larger values with 1000 (DescribeSnapshots does). */
export function checkMaxResults(max: number | undefined, capAbove = false): number | undefined {
  if (max === undefined) return undefined;
  if (Number.isInteger(max) && max > 1000 && capAbove) return 1000;
  if (!Number.isInteger(max) || max < 5 || max > 1000) {
    const expect = max > 1000 ? 'less than or equal to 1000' : 'greater than or equal to 5';
    throw awsError('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value ${expect}.`);
  }
  return max;
}

export function cursorFrom(op: string, input: object, token: string | undefined): { fp: string; after: string | undefined } {
  const fp = requestFingerprint(input, PAGING);
  if (token === undefined) return { fp, after: undefined };
  const after = decodeToken<string>(op, fp, token);
  if (typeof after !== 'string') throw awsError('InvalidPaginationToken', `Invalid pagination token: ${token}`);
  return { fp, after };
}

export const byId =
  <T>(idOf: (t: T) => string) =>
  (a: T, b: T) =>
    idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0;

export function missingParameter(name: string) {
  return awsError('MissingParameter', `The request must contain the parameter ${name}`);
}

export function instanceNotFound(id: string) {
  return awsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
}

export function imageNotFound(id: string) {
  return awsError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
}

export function imageMalformed(id: string) {
  return awsError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
}

export function snapshotNotFound(id: string) {
  return awsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
}

export function snapshotMalformed(id: string) {
  return awsError('InvalidSnapshotID.Malformed', `Invalid id: "${id}" (expecting "snap-...")`);
}

export const MAX_TAGS_PER_RESOURCE = 50;

/** EC2's rules for user tags: key 1..128 characters without `aws:`, value up to 256. */
export function checkTags(tags: readonly Tag[], op: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const key = t.Key;
    if (key === undefined || key.length === 0 || key.length > 128) {
      throw awsError('InvalidParameterValue', `${op}: tag key must be 1 to 128 characters long, got ${JSON.stringify(key ?? null)}`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw awsError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
    }
    const value = t.Value ?? '';
    if (value.length > 256) throw awsError('InvalidParameterValue', `${op}: the value of tag ${key} is longer than 256 characters`);
    out[key] = value;
  }
  return out;
}

export function checkTagLimit(existing: Record<string, string>, adding: Record<string, string>): void {
  const keys = new Set([...Object.keys(existing), ...Object.keys(adding)].filter((k) => !k.startsWith('aws:')));
  if (keys.size > MAX_TAGS_PER_RESOURCE) {
    throw awsError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  }
}
