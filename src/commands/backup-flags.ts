import { UsageError } from '../core/errors.js';
import type { BucketOptions } from './backup-common.js';

// Flags of the backup sync commands that need more than commander gives.

/** --max-delete N: a whole number, 0 allowed (no deletes at all). */
export function parseMaxDelete(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new UsageError(`--max-delete ${raw}: expected a whole number (0 or more)`, 'e.g. --max-delete 100');
  return Number(raw);
}

/** How the bucket was named on this command line, for the hints that repeat a command. */
export function bucketFlag(opts: BucketOptions): string {
  return opts.bucket !== undefined ? `--bucket ${opts.bucket}` : opts.stack !== undefined ? `--stack ${opts.stack}` : '';
}
