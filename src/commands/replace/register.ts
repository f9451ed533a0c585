import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// `claw replace`: registration only; the action imports its module when it runs.
export function registerReplace(program: Command, withContext: WithContext): void {
  program
    .command('replace')
    .argument('<target>', '`all`, a host id or a comma list of host ids from nix/instances.json (no default)')
    .summary('replace instances from an AMI with tofu')
    .description(
      'The control-plane replace flow: in the infra directory (config infraDir, default infra/opentofu/aws) run ' +
        '`tofu plan -out=<file>` with -var ami_id=<AMI> (the newest tagged AMI unless --ami, CLAW_AMI or the config names one) ' +
        'and one -replace=aws_instance.clawdinator["<host>"] per host (a plain apply for `all`), check that tofu\'s plan destroys ' +
        "nothing but the targeted instances, then apply exactly that saved plan, streaming tofu's output. " +
        'Holds the deploy lock throughout. Asks first on a terminal; --yes otherwise.',
    )
    .option('--ami <id>', 'use this AMI (must exist) instead of the newest tagged one')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--dry-run', 'print the plan (the exact tofu argv) and run nothing')
    .option('--caller <id>', 'the bot running this (also CLAW_CALLER): a bot may not replace itself')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw replace clawdinator-2 --dry-run\n  $ claw replace clawdinator-1 --ami ami-0123456789abcdef0\n  $ claw replace all --yes',
    )
    .action(
      action(
        withContext,
        () => import('./replace.js'),
        (m, ctx, target: string, opts: object) => m.replace(ctx, target, opts),
      ),
    );
}
