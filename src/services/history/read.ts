import { readHistory } from '../../aws/history.js';
import type { HistoryRecord } from '../../core/history.js';
import { findHost } from '../../core/registry.js';
import { escapeField } from '../../core/terminal-text.js';
import type { ServiceDeps } from '../deps.js';

// The deploy records in s3://<bootstrapBucket>/claw/history/, newest first: `claw
// history` and the dashboard's recent deploys. A host must be in the registry (exit 2
// otherwise), even one with no deploys yet; unreadable records are skipped with a warning.

export async function deployHistory(deps: ServiceDeps, o: { host: string | undefined; limit: number }): Promise<{ bucket: string; records: HistoryRecord[] }> {
  if (o.host !== undefined) findHost(deps.registry(), o.host);
  const bucket = deps.config.values.bootstrapBucket;
  const page = await readHistory((await deps.clients()).s3, bucket, { host: o.host, limit: o.limit, now: deps.now() });
  for (const s of page.skipped) deps.log.warn(`skipped s3://${bucket}/${escapeField(s.key)}: ${s.reason}`);
  return { bucket, records: page.records };
}
