import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';
import { intervalFlag } from '../../core/flag-values.js';

// `claw tui`: registration only; the action imports its module (and Ink) when it runs.
export function registerTui(program: Command, withContext: WithContext): void {
  program
    .command('tui')
    .summary('the live fleet dashboard (k9s-like)')
    .description(
      'A live dashboard of the fleet: account, repo HEAD, deploy lock; every host with state, type, AZ, AMI (latest or how far behind), deployed rev vs HEAD, SSM ping and drift; the AMIs a prune would remove and the recent deploys. Refreshes on an interval with one batch of AWS reads; on errors it keeps the last good data, marked STALE with its age, and backs off. Keys: j/k move, Enter detail, / filter, s sort, r refresh, d deploy, b backup (with --stack), p spot prices, ? help, q quit. Without a terminal it prints `claw status` once.',
    )
    .option('--interval <seconds>', 'seconds between refreshes (default 10)', intervalFlag)
    .option('--readonly', 'disable every action (deploy, backup)')
    .option(
      '--stack <name>',
      'also list the OpenClaw hosts of this backup stack (tags app=openclaw, stack=NAME) with their backup freshness; b backs the selected one up now',
    )
    .option('--json', 'print one refresh of the dashboard data as one JSON document and exit')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw --sandbox tui\n  $ claw tui --interval 30 --readonly\n  $ claw tui --stack lab\n  $ claw tui --json | jq .lock',
    )
    .action(
      action(
        withContext,
        () => import('./tui.js'),
        (m, ctx, opts: object) => m.run(ctx, opts),
      ),
    );
}
