import { readBackupListing } from '../../aws/backup.js';
import { readOverwriteMarker } from '../../aws/backup-marker.js';
import { assessStatus, type BackupListing } from '../../core/backup.js';
import { unfinishedOverwrite } from '../../core/backup-overwrite.js';
import { renderBackupStatus, renderSnapshotList } from '../../ui/backup-text.js';
import { resolveBackupBucket, type BucketOptions } from '../../services/backup/bucket.js';
import { bucketFlag } from './flags.js';
import type { Context } from '../../cli/context.js';

// `claw backup status` and `claw backup list`: reads of the backup bucket.

export interface ReadOptions extends BucketOptions {
  json?: boolean;
}

function warnUnparsable(ctx: Context, listing: BackupListing): void {
  for (const u of listing.unparsable)
    ctx.log.warn(
      `${u.prefix} (${u.objects} object${u.objects === 1 ? '' : 's'}) under snapshots/ is not a snapshot (snapshots/YYYY-MM-DD-HH-MM/); claw never touches it`,
    );
}

export async function status(ctx: Context, opts: ReadOptions): Promise<void> {
  const bucket = await resolveBackupBucket(ctx, opts);
  const { s3 } = await ctx.clients();
  const [listing, marker] = await Promise.all([readBackupListing(s3, bucket), readOverwriteMarker(s3, bucket)]);
  const report = assessStatus(listing, ctx.now(), unfinishedOverwrite(marker, bucketFlag(opts), ctx.now()));
  // Stale is a finding, not a failure: exit 0, called out in the text.
  ctx.result(opts, report, () => renderBackupStatus(report, ctx.paint));
}

export async function list(ctx: Context, opts: ReadOptions): Promise<void> {
  const bucket = await resolveBackupBucket(ctx, opts);
  const listing = await readBackupListing((await ctx.clients()).s3, bucket);
  warnUnparsable(ctx, listing);
  const totalBytes = listing.snapshots.reduce((n, s) => n + s.bytes, 0);
  const doc = { bucket: listing.bucket, snapshots: listing.snapshots, count: listing.snapshots.length, totalBytes, unparsable: listing.unparsable };
  ctx.result(opts, doc, () => renderSnapshotList(listing, ctx.now()));
}
