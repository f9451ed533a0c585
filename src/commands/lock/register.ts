import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';
import { positiveIntFlag } from '../../core/flag-values.js';

// `claw lock` and `claw history`: registration only; each action imports its module when it runs.
export function registerLock(program: Command, withContext: WithContext): void {
  const lock = program
    .command('lock')
    .summary('the deploy lock: status, release')
    .description(
      'Deploys never overlap: one lock object in S3 (s3://<bootstrapBucket>/claw/deploy.lock), created atomically, refreshed while a deploy runs, released when it ends (also on failure and Ctrl-C). A lock past its expiry is taken over by the next deploy, which says so.',
    )
    .addHelpText('after', '\nExamples:\n  $ claw lock status\n  $ claw lock release\n  $ claw lock release --force --yes');

  lock
    .command('status')
    .summary('who holds the deploy lock, for what, since when, until when')
    .description('Who holds the deploy lock (user@host and pid), what they deploy (target, rev), for how long, and when it expires; or "free".')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw lock status\n  $ claw lock status --json | jq .holder')
    .action(
      action(
        withContext,
        () => import('./lock.js'),
        (m, ctx, opts: object) => m.status(ctx, opts),
      ),
    );

  lock
    .command('release')
    .summary("release an expired or stale lock; someone else's live one only with --force")
    .description(
      "Release the deploy lock: an expired one, or one left by a dead claw process of yours on this machine, at once; someone else's unexpired lock only with --force (asks first; --yes without a terminal). The delete is conditional: a lock that changed meanwhile is left alone.",
    )
    .option('--force', 'release a lock that is not expired and not yours (the deploy holding it loses it)')
    .option('-y, --yes', 'do not ask for confirmation with --force')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw lock release\n  $ claw lock release --force --yes')
    .action(
      action(
        withContext,
        () => import('./lock.js'),
        (m, ctx, opts: object) => m.release(ctx, opts),
      ),
    );

  program
    .command('history')
    .argument('[host]', 'only this host (must be in nix/instances.json)')
    .summary('deploys, newest first: rev, time, who, result')
    .description(
      'Deploy records stored in S3 (s3://<bootstrapBucket>/claw/history/, one object per host and deploy), newest first: when it finished, host, rev, result (success, failed, skipped), who ran it, the rev before it, and a short detail.',
    )
    .option('--limit <n>', 'the newest N records (default 20)', positiveIntFlag('--limit', 10_000, 20))
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw history\n  $ claw history clawdinator-1 --limit 5\n  $ claw history --json | jq \'.records[] | select(.result == "failed")\'',
    )
    .action(
      action(
        withContext,
        () => import('./history.js'),
        (m, ctx, host: string | undefined, opts: object) => m.run(ctx, host, opts),
      ),
    );
}
