import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// The `claw backup` group (status, list, prune, now, restore, pull, push): registration
// only; each action imports its module when it runs.

const BUCKET_HELP = 'the stack whose bucket to use (backupBucketPattern, default openclaw-lab-backup-{stack}-{account})';

export function registerBackup(program: Command, withContext: WithContext): void {
  const backup = program
    .command('backup')
    .summary('OpenClaw backups in S3: status, prune, restore')
    .description(
      'The OpenClaw backup bucket of a stack (backupBucketPattern): latest/ (synced by the host every 20 minutes) and snapshots/<UTC YYYY-MM-DD-HH-MM>/. --bucket NAME overrides the pattern.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw backup status --stack lab\n  $ claw backup list --stack lab --json\n  $ claw backup prune --stack lab\n  $ claw backup now openclaw-lab --stack lab',
    );

  backup
    .command('status')
    .summary("latest/'s age against the 20-minute timer, and the snapshots")
    .description(
      "The newest object in latest/ and its age against the host's 20-minute timer (fresh up to 40 minutes, stale beyond), the number and total size of snapshots, and the newest snapshot. A push or restore of latest/ that stopped part-way is shown with its fix. Exit 0 even when stale.",
    )
    .option('--stack <name>', BUCKET_HELP)
    .option('--bucket <name>', 'use this bucket instead of the pattern')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw backup status --stack lab\n  $ claw backup status --stack lab --json | jq .latest.state')
    .action(
      action(
        withContext,
        () => import('./read.js'),
        (m, ctx, opts: object) => m.status(ctx, opts),
      ),
    );

  backup
    .command('list')
    .summary('snapshots with time, object count and size')
    .description(
      'Every snapshot under snapshots/, newest first: its UTC time, age, object count and size. Prefixes that are not snapshots are reported (and never touched by prune).',
    )
    .option('--stack <name>', BUCKET_HELP)
    .option('--bucket <name>', 'use this bucket instead of the pattern')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw backup list --stack lab\n  $ claw backup list --bucket my-backups --json')
    .action(
      action(
        withContext,
        () => import('./read.js'),
        (m, ctx, opts: object) => m.list(ctx, opts),
      ),
    );

  backup
    .command('prune')
    .summary('tiered snapshot retention (a dry run unless --apply)')
    .description(
      'Plan the snapshot retention, with the reason for each snapshot: under 24 h the first of each UTC hour, up to 7 days the first of each UTC day (00:00), up to 30 days the first of each UTC Friday, older ones deleted. The newest snapshot and snapshots in the future are always kept; latest/ is never touched. A dry run unless --apply.',
    )
    .option('--stack <name>', BUCKET_HELP)
    .option('--bucket <name>', 'use this bucket instead of the pattern')
    .option('--apply', 'delete the planned snapshots (asks first; --yes without a terminal)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the plan (and with --apply the result) as one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw backup prune --stack lab\n  $ claw backup prune --stack lab --apply\n  $ claw backup prune --stack lab --apply --yes --json',
    )
    .action(
      action(
        withContext,
        () => import('./prune.js'),
        (m, ctx, opts: object) => m.prune(ctx, opts),
      ),
    );

  backup
    .command('now')
    .argument('<host>', "the host's EC2 Name tag, or its instance id (i-...)")
    .summary("run the host's backup now and report the new snapshot")
    .description(
      'Start openclaw-s3-backup.service on the host through SSM Run Command, wait for it, and report the snapshot it made (which must be newer than the newest before the run).',
    )
    .option('--stack <name>', BUCKET_HELP)
    .option('--bucket <name>', 'use this bucket instead of the pattern')
    .option('--dry-run', 'show the plan only')
    .option('--json', 'print the result as one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw backup now openclaw-lab --stack lab\n  $ claw backup now i-0123456789abcdef0 --stack lab --dry-run')
    .action(
      action(
        withContext,
        () => import('./now.js'),
        (m, ctx, host: string, opts: object) => m.now(ctx, host, opts),
      ),
    );
  const syncFlags = (c: Command) =>
    c
      .option('--stack <name>', BUCKET_HELP)
      .option('--bucket <name>', 'use this bucket instead of the pattern')
      .option('--delete', 'also delete what the source does not have')
      .option('--max-delete <n>', 'refuse (before changing anything) a plan that deletes more than N')
      .option('--objects', 'list every object of the plan, not only counts')
      .option('--dry-run', 'show the plan only (counts and bytes; --objects lists them)')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--json', 'print the plan or the result as one JSON document');

  syncFlags(
    backup
      .command('restore')
      .summary('sync a snapshot into latest/ (server-side), keeping latest/ first')
      .description(
        "Sync a snapshot (--snapshot STAMP) or any prefix (--from s3://bucket/prefix/) into latest/ with server-side copies. Before latest/ is overwritten it is itself kept as snapshots/<now>/, so the restore can be undone. --restart HOST then runs openclaw-s3-restore.service and restarts openclaw.service on the host through SSM; without it the host's next backup (every 20 minutes) overwrites latest/ again. If an earlier push or restore stopped part-way (its marker claw/unfinished-overwrite.json is in the bucket), latest/ is not kept again: the undo stays the snapshot kept before that earlier run.",
      )
      .option('--snapshot <stamp>', 'the snapshot to restore (UTC YYYY-MM-DD-HH-MM; claw backup list)')
      .option('--from <url>', 'restore from this S3 prefix instead (s3://bucket/prefix/)')
      .option('--restart <host>', 'then load latest/ on the host and restart openclaw.service (Name tag or instance id)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw backup restore --stack lab --snapshot 2026-11-23-00-00 --dry-run\n  $ claw backup restore --stack lab --snapshot 2026-11-23-00-00 --delete --restart openclaw-lab\n  $ claw backup restore --stack lab --from s3://other-bucket/latest/ --yes',
    )
    .action(
      action(
        withContext,
        () => import('./restore.js'),
        (m, ctx, opts: object) => m.restore(ctx, opts),
      ),
    );

  syncFlags(
    backup
      .command('pull')
      .summary('download latest/ or a snapshot to a local directory')
      .description(
        'Sync latest/ (or --snapshot STAMP) into a local directory: only what differs is downloaded, each file is verified in its own temporary folder (DIR/.claw-tmp) and then renamed into place, never through a symbolic link, and running again resumes. Asks before overwriting or deleting local files.',
      )
      .option('--snapshot <stamp>', 'pull this snapshot instead of latest/')
      .option('--to <dir>', 'the local directory (created when missing)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw backup pull --stack lab --to ./openclaw-state\n  $ claw backup pull --stack lab --snapshot 2026-11-23-00-00 --to ./before --delete --yes',
    )
    .action(
      action(
        withContext,
        () => import('./transfer.js'),
        (m, ctx, opts: object) => m.pull(ctx, opts),
      ),
    );

  syncFlags(
    backup
      .command('push')
      .summary('upload a local directory into latest/, keeping latest/ first')
      .description(
        'Sync a local directory into latest/: only what differs is uploaded (the sha256 of the bytes sent kept in object metadata, a Content-Type guessed from the name), symbolic links followed as `aws s3 sync` does (a loop is skipped). The current latest/ is first kept as snapshots/<now>/, so a push can be undone with restore; after a push or restore that stopped part-way it is not kept again (the undo stays the snapshot kept before that run). Asks before overwriting or deleting objects.',
      )
      .option('--from <dir>', 'the local directory to upload')
      .option('--no-follow-symlinks', 'skip symbolic links instead of uploading what they point at (as `aws s3 sync --no-follow-symlinks`)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw backup push --stack lab --from ./openclaw-state --dry-run\n  $ claw backup push --stack lab --from ./openclaw-state --delete --yes',
    )
    .action(
      action(
        withContext,
        () => import('./transfer.js'),
        (m, ctx, opts: object) => m.push(ctx, opts),
      ),
    );
}
