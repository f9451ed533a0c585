import { HISTORY_PREFIX } from '../../core/history.js';
import { renderHistory } from '../../ui/history-text.js';
import { serviceDeps, type Context } from '../../cli/context.js';
import { deployHistory } from '../../services/history/read.js';

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
  const { bucket, records } = await deployHistory(serviceDeps(ctx), { host, limit });
  const doc = { bucket, prefix: HISTORY_PREFIX, host: host ?? null, records };
  ctx.result(opts, doc, () => renderHistory(records, { host, where: `s3://${bucket}/${HISTORY_PREFIX}`, now: ctx.now(), paint: ctx.paint }));
}
