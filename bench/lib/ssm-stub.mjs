import { Buffer } from 'node:buffer';

// SSM DescribeInstanceInformation for the seeded fleet. moto has no such action (it
// answers HTTP 500, which both the SDK and the aws CLI retry with backoff, so the bench
// would measure retry policy, not the tools). The bench's front answers it instead,
// from the fleet it seeded, following the API's documented rules: Filters or the
// legacy InstanceInformationFilterList (never both), 1..100 values per filter, tag
// filters not combined with other filter types, MaxResults 5..50, NextToken paging.
// Anything else is refused, never silently ignored.

const PAGE_DEFAULT = 50; // the API maximum: the most favourable page size for any caller

export class SsmStubError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

const LEGACY_KEYS = { instanceIds: 'InstanceIds', pingStatus: 'PingStatus', platformTypes: 'PlatformTypes', resourceType: 'ResourceType' };

function matcher(key, values) {
  if (!Array.isArray(values) || values.length < 1 || values.length > 100) {
    throw new SsmStubError('ValidationException', `filter ${key}: expected 1 to 100 values`);
  }
  const set = new Set(values);
  if (key === 'InstanceIds') return (n) => set.has(n.instanceId);
  if (key === 'PingStatus') return (n) => set.has(n.ping);
  if (key === 'PlatformTypes') return () => set.has('Linux');
  if (key === 'ResourceType') return () => set.has('EC2Instance');
  if (key === 'tag-key') return (n) => [...set].some((k) => k in n.tags);
  if (key.startsWith('tag:')) {
    const tag = key.slice(4);
    return (n) => tag in n.tags && set.has(n.tags[tag]);
  }
  throw new SsmStubError('InvalidFilterKey', `the bench's SSM stub does not support filter key ${key}`);
}

function toInfo(n) {
  return {
    InstanceId: n.instanceId,
    PingStatus: n.ping,
    LastPingDateTime: n.lastPing,
    AgentVersion: '3.3.987.0',
    IsLatestVersion: false,
    PlatformType: 'Linux',
    PlatformName: 'NixOS',
    PlatformVersion: '25.05',
    ResourceType: 'EC2Instance',
    IPAddress: n.privateIp ?? '10.0.0.1',
    ComputerName: n.tags.Name ?? n.instanceId,
    AssociationStatus: 'Success',
  };
}

/**
 * Answer one DescribeInstanceInformation request body (already parsed JSON) from the
 * managed nodes: [{ instanceId, ping, tags, lastPing, privateIp }].
 */
export function describeInstanceInformation(input, nodes) {
  const filters = input.Filters;
  const legacy = input.InstanceInformationFilterList;
  if (filters && legacy) throw new SsmStubError('ValidationException', 'Filters and InstanceInformationFilterList cannot be combined');
  const pairs = [
    ...(filters ?? []).map((f) => [f.Key, f.Values]),
    ...(legacy ?? []).map((f) => {
      const key = LEGACY_KEYS[f.key];
      if (!key) throw new SsmStubError('InvalidInstanceInformationFilterValue', `unsupported legacy filter key ${f.key}`);
      return [key, f.valueSet];
    }),
  ];
  const tagFilters = pairs.filter(([k]) => k.startsWith('tag:') || k === 'tag-key').length;
  if (tagFilters && tagFilters < pairs.length) throw new SsmStubError('InvalidFilterKey', 'tag filters cannot be combined with other filter types');

  const max = input.MaxResults ?? PAGE_DEFAULT;
  if (!Number.isInteger(max) || max < 5 || max > 50) throw new SsmStubError('ValidationException', `MaxResults ${max}: expected 5 to 50`);
  let start = 0;
  if (input.NextToken !== undefined) {
    start = Number(Buffer.from(String(input.NextToken), 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw new SsmStubError('InvalidNextToken', 'the NextToken is not one this endpoint issued');
  }
  const tests = pairs.map(([k, v]) => matcher(k, v));
  const all = nodes.filter((n) => tests.every((t) => t(n))).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const page = all.slice(start, start + max);
  const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { InstanceInformationList: page.map(toInfo), ...(next ? { NextToken: next } : {}) };
}
