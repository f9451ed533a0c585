import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';
import { intervalFlag } from '../../core/flag-values.js';

// `claw status`: registration only; the action imports its module when it runs.
export function registerStatus(program: Command, withContext: WithContext): void {
  program
    .command('status')
    .summary('the fleet vs nix/instances.json, with drift')
    .description(
      'Show every registered host: instance, state, type, AZ, AMI (latest or how far behind), deployed rev, SSM ping and drift (a host with several instances lists each); instances tagged for the fleet but missing from the registry are listed as unregistered. On a terminal the table fits its width, the least telling columns going first; --wide shows all and the public IP.',
    )
    .option('--json', 'print one JSON document')
    .option('--wide', 'every column (and the public IP) whatever the terminal width')
    .option('-w, --watch', 'refresh in place until Ctrl-C')
    .option('--interval <seconds>', 'seconds between refreshes with --watch (default 5)', intervalFlag)
    .addHelpText(
      'after',
      "\nExamples:\n  $ claw status\n  $ claw status --json | jq '.hosts[] | select(.drift | length > 0)'\n  $ claw --sandbox status --watch --interval 10",
    )
    .action(
      action(
        withContext,
        () => import('./status.js'),
        (m, ctx, opts: object) => m.run(ctx, opts),
      ),
    );
}
