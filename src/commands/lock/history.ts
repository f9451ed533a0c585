import { readHistory } from '../../aws/history.js';
import { HISTORY_PREFIX } from '../../core/history.js';
import { findHost } from '../../core/registry.js';
import { renderHistory } from '../../ui/history-text.js';
import type { Context } from '../../cli/context.js';
import { escapeField } from '../../core/terminal-text.js';

export const DEFAULT_HISTORY_LIMIT = 20;

export interface HistoryOptions {
  json?: boolean;
  limit?: number;
}

/**
 * `claw history [host]`: deploy records from s3://<bootstrapBucket>/claw/history/,
 * newest first. A host must be in the registry (exit 2 otherwise), even one with no
 * deploys yet; records that cannot be read are skipped with a warning naming them.
 */
export async function run(ctx: Context, host: string | undefined, opts: HistoryOptions): Promise<void> {
  const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
  if (host !== undefined) findHost(ctx.registry(), host);
  const bucket = ctx.config.values.bootstrapBucket;
  const s3 = (await ctx.clients()).s3;
  const page = await readHistory(s3, bucket, { host, limit, now: ctx.now() });
  for (const s of page.skipped) ctx.log.warn(`skipped s3://${bucket}/${escapeField(s.key)}: ${s.reason}`);
  const doc = { bucket, prefix: HISTORY_PREFIX, host: host ?? null, records: page.records };
  ctx.result(opts, doc, () => renderHistory(page.records, { host, where: `s3://${bucket}/${HISTORY_PREFIX}`, now: ctx.now(), paint: ctx.paint }));
}
