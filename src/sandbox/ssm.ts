import type { DescribeInstanceInformationCommandInput, DescribeInstanceInformationCommandOutput, InstanceInformation } from '@aws-sdk/client-ssm';
import type { SsmApi } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import { decodeToken, encodeToken, pageAfter, requestFingerprint } from './paging.js';
import { commandOps } from './ssm-commands.js';
import { PING_STATUSES, type ManagedInstanceRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// SSM DescribeInstanceInformation: the managed instances and their agent ping.
// (moto 5.2.1 does not implement this call at all; see test/contract/ssm.contract.test.ts.)
// Run Command (SendCommand and the invocation reads) lives in ssm-commands.ts.

const MANAGED_ID_RE = /^(?:i|mi)-[0-9a-f]{8,17}$/;

function filterValueError(message: string) {
  return awsError('InvalidInstanceInformationFilterValue', message);
}

function compileFilter(f: { Key?: string | undefined; Values?: string[] | undefined }): (m: ManagedInstanceRecord) => boolean {
  const values = f.Values ?? [];
  if (values.length === 0) throw filterValueError(`${f.Key ?? ''} filter must contain at least one value`);
  switch (f.Key) {
    case 'InstanceIds': {
      const bad = values.find((v) => !MANAGED_ID_RE.test(v));
      if (bad !== undefined) throw filterValueError(`${bad} is not a valid instance id`);
      return (m) => values.includes(m.instanceId);
    }
    case 'PingStatus': {
      const bad = values.find((v) => !(PING_STATUSES as readonly string[]).includes(v));
      if (bad !== undefined) throw filterValueError(`PingStatus filter is invalid, valid values are ${PING_STATUSES.join(', ')}`);
      return (m) => values.includes(m.pingStatus);
    }
    default:
      throw new SandboxUnsupportedError(`SSM DescribeInstanceInformation does not implement filter key "${f.Key}" (supported: InstanceIds, PingStatus)`);
  }
}

function toInformation(m: ManagedInstanceRecord): InstanceInformation {
  return {
    InstanceId: m.instanceId,
    PingStatus: m.pingStatus,
    LastPingDateTime: new Date(m.lastPingDateTime),
    AgentVersion: m.agentVersion,
    IsLatestVersion: m.isLatestVersion,
    PlatformType: m.platformType as InstanceInformation['PlatformType'],
    PlatformName: m.platformName,
    PlatformVersion: m.platformVersion,
    ResourceType: 'EC2Instance',
    ComputerName: m.computerName,
    SourceId: m.instanceId,
    SourceType: 'AWS::EC2::Instance',
    ...(m.ipAddress !== undefined && { IPAddress: m.ipAddress }),
  };
}

export function createSsm(world: SandboxWorld): SsmApi {
  return {
    ...commandOps(world),
    async describeInstanceInformation(input: DescribeInstanceInformationCommandInput = {}): Promise<DescribeInstanceInformationCommandOutput> {
      const op = 'SSM DescribeInstanceInformation';
      rejectUnsupported(op, input, ['Filters', 'MaxResults', 'NextToken']);
      const max = input.MaxResults;
      if (max !== undefined && (!Number.isInteger(max) || max < 5 || max > 50)) {
        const rule = max < 5 ? 'greater than or equal to 5' : 'less than or equal to 50';
        throw awsError(
          'ValidationException',
          `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value ${rule}`,
        );
      }
      const fp = requestFingerprint(input, ['MaxResults', 'NextToken']);
      let after: string | undefined;
      if (input.NextToken !== undefined) {
        after = decodeToken<string>(op, fp, input.NextToken);
        if (typeof after !== 'string') throw awsError('InvalidNextToken', 'The specified token is not valid.');
      }
      const predicates = (input.Filters ?? []).map(compileFilter);
      const sorted = world.state.managedInstances
        .filter((m) => predicates.every((p) => p(m)))
        .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
      // Without MaxResults AWS pages at 10 (its documented default).
      const { page, next } = pageAfter(sorted, (m) => m.instanceId, after, max ?? 10);
      return {
        $metadata: okMetadata(),
        InstanceInformationList: page.map(toInformation),
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },
  };
}
