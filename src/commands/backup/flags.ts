import { parseWholeNumber } from '../../core/flag-values.js';
import type { BucketOptions } from '../../services/backup/bucket.js';

// Flags of the backup sync commands that need more than commander gives.

/** --max-delete N: a whole number, 0 allowed (no deletes at all). */
export function parseMaxDelete(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  return parseWholeNumber(raw, '--max-delete', { min: 0, max: 999_999_999, example: 100 });
}

/** How the bucket was named on this command line, for the hints that repeat a command. */
export function bucketFlag(opts: BucketOptions): string {
  return opts.bucket !== undefined ? `--bucket ${opts.bucket}` : opts.stack !== undefined ? `--stack ${opts.stack}` : '';
}
