import type { DescribeInstanceInformationCommandInput } from '@aws-sdk/client-ssm';
import type { SsmPing } from '../core/fleet.js';
import type { SsmApi } from './clients.js';
import { chunk, collectPages } from './paginate.js';

const PING: Record<string, SsmPing> = { Online: 'online', ConnectionLost: 'connection-lost', Inactive: 'inactive' };

export type PingResult = { pings: Map<string, SsmPing> } | { unavailable: string };

/**
 * SSM ping status per instance: one paginated call per 50 instances (the filter's cap),
 * the chunks concurrently. An API that is missing or refused makes the ping "unknown",
 * never a failed status.
 */
export async function pingInstances(ssm: SsmApi, instanceIds: readonly string[]): Promise<PingResult> {
  const pings = new Map<string, SsmPing>();
  try {
    const pages = await Promise.all(
      chunk(instanceIds, 50).map((ids) =>
        collectPages(
          (input: DescribeInstanceInformationCommandInput) => ssm.describeInstanceInformation(input),
          { Filters: [{ Key: 'InstanceIds', Values: ids }], MaxResults: 50 },
          (out) => out.InstanceInformationList,
          'DescribeInstanceInformation',
        ),
      ),
    );
    for (const info of pages.flat()) {
      if (info.InstanceId) pings.set(info.InstanceId, PING[info.PingStatus ?? ''] ?? 'unknown');
    }
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    // Only an answer from the service (it has $metadata) means "SSM unavailable";
    // an abort or a bug in claw must not hide behind an "unknown" ping.
    if (e.$metadata === undefined) throw err;
    const status = e.$metadata?.httpStatusCode;
    return { unavailable: `SSM DescribeInstanceInformation failed (${e.name}${status ? `, HTTP ${status}` : ''}): ${e.message.split('\n')[0]}` };
  }
  return { pings };
}
