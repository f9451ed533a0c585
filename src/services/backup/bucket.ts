import type { BackupBucket } from '../../aws/backup.js';
import { backupBucketName, parseAccountId, parseBucketName, parseStack, patternNeeds, requireStack } from '../../core/backup.js';
import type { ServiceDeps } from '../deps.js';

// The backup bucket a `claw backup` command works on: --bucket NAME as given, else
// backupBucketPattern filled with --stack and (only when the pattern asks) the account
// id from STS. Every flag is checked before any AWS call.

export interface BucketOptions {
  stack?: string;
  bucket?: string;
}

export async function resolveBackupBucket(ctx: Pick<ServiceDeps, 'config' | 'clients'>, opts: BucketOptions): Promise<BackupBucket> {
  const stack = opts.stack === undefined ? undefined : parseStack(opts.stack);
  if (opts.bucket !== undefined) return { name: parseBucketName(opts.bucket), origin: 'from --bucket' };
  const pattern = ctx.config.values.backupBucketPattern;
  const needs = patternNeeds(pattern);
  // Checked before asking STS: bad input never costs an AWS call.
  requireStack(pattern, stack);
  const account = needs.account ? parseAccountId((await (await ctx.clients()).sts.getCallerIdentity({})).Account) : undefined;
  const name = backupBucketName(pattern, { stack, account });
  const parts = [needs.stack ? `--stack ${stack}` : '', needs.account ? `account ${account}` : ''].filter(Boolean).join(', ');
  return { name, origin: `backupBucketPattern ${pattern}${parts ? ` with ${parts}` : ''}` };
}
