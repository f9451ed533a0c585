import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// `claw config`: registration only; the action imports its module when it runs.
export function registerConfig(program: Command, withContext: WithContext): void {
  program
    .command('config')
    .summary('the resolved configuration and its sources')
    .description('Print each setting with its source: flag > environment (CLAW_*, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL) > claw.config.json > default.')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw config\n  $ CLAW_AMI_KEEP=3 claw config --json')
    .action(
      action(
        withContext,
        () => import('./config.js'),
        (m, ctx, opts: object) => m.run(ctx, opts),
      ),
    );
}
