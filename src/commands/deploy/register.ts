import { Option, type Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';
import { positiveIntFlag } from '../../core/flag-values.js';

// `claw deploy` and `claw rollback`: registration only; each action imports its module when it runs.
export function registerDeploy(program: Command, withContext: WithContext): void {
  // Deploy and rollback run the same pipeline, so they take the same pipeline options.
  const pipelineOptions = (cmd: Command, who: string) =>
    cmd
      .option('--canary <hosts>', 'canary host(s), comma list (default: config canaryOrder)')
      .option('--caller <id>', `the bot host running this (also CLAW_CALLER): it may not ${who} itself`)
      .option('--no-eval', 'skip the nix eval of the targets')
      .option('--no-bootstrap', 'skip the bootstrap bundle upload')
      .option('--dry-run', 'show the plan only')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--json', 'print the result per host as one JSON document')
      .addOption(new Option('--poll-budget <spec>', 'SSM polling per host: initial=MS,max=MS,timeout=MS,calls=N').hideHelp());

  pipelineOptions(
    program
      .command('deploy')
      .argument('[target]', 'all, a host id, or a comma list of host ids (required: there is no default)')
      .summary('switch hosts to a git rev over SSM, canary first')
      .description(
        'Resolve the rev (default HEAD; it must be on the git remote), evaluate every target with nix, upload the bootstrap bundles, take the deploy lock, check each host is one instance SSM reaches, then switch the hosts in canary order (nixos-rebuild switch, detached, polled; clawdinator active; configurationRevision == rev), stopping at the first failure. Succeeded instances are tagged clawdinator:rev and clawdinator:deployed-at; every host gets a history record.',
      )
      .option('--rev <sha>', 'a full SHA, short SHA or ref (default: HEAD of the checkout)')
      .option('--parallel <n>', 'hosts at a time after the canaries (default 1)', positiveIntFlag('--parallel', 1000, 2)),
    'deploy',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw deploy clawdinator-1 --dry-run\n  $ claw deploy all --rev main --yes\n  $ claw deploy clawdinator-2 --rev 3f2a1bc --json --yes',
    )
    .action(
      action(
        withContext,
        () => import('./deploy.js'),
        (m, ctx, target: string | undefined, opts: object) => m.deploy(ctx, target, opts),
      ),
    );

  pipelineOptions(
    program
      .command('rollback')
      .argument('[target]', 'all, a host id, or a comma list of host ids')
      .summary("redeploy each host's previous good rev")
      .description(
        'For each host, the newest successful deploy in the history older than what it runs now (its clawdinator:rev tag) is deployed through the same pipeline as claw deploy. Hosts whose previous revs differ are refused: roll them back group by group, or pass --to.',
      )
      .option('--to <sha>', 'roll back to this rev instead (full SHA, short SHA or ref)'),
    'roll back',
  )
    .addHelpText('after', '\nExamples:\n  $ claw rollback clawdinator-1 --dry-run\n  $ claw rollback all --yes')
    .action(
      action(
        withContext,
        () => import('./rollback.js'),
        (m, ctx, target: string | undefined, opts: object) => m.rollback(ctx, target, opts),
      ),
    );
}
