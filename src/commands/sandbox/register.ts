import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// `claw sandbox reset | faults | tool`: registration only; each action imports its module when it runs.
export function registerSandbox(program: Command, withContext: WithContext): void {
  const sandbox = program.command('sandbox').summary('the simulated account behind --sandbox').addHelpText('after', '\nExample:\n  $ claw sandbox reset --yes');
  sandbox
    .command('reset')
    .description('Reseed the simulated account from fixtures/sandbox (all sandbox changes are lost).')
    .option('--dry-run', 'show the plan only')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  $ claw sandbox reset --yes')
    .action(
      action(
        withContext,
        () => import('./reset.js'),
        (m, ctx, opts: object) => m.reset(ctx, opts),
      ),
    );
  sandbox
    .command('faults')
    .summary('make the sandbox fail AWS requests (500, 503, throttling)')
    .description(
      'Show, set or clear fault injection for the simulated account: each AWS request fails with probability --rate, and a call fails when all of its --attempts tries did (as the SDK retries). Faults strike before a call applies. Setting --seed again replays the same faults on the same state.',
    )
    .option('--rate <fraction>', 'the chance one request fails, above 0 and at most 1 (default 0.2)')
    .option('--seed <n>', 'seed of the draws (default random, shown); restarts the run count')
    .option('--attempts <n>', "tries per call (default 5, as claw's SDK); 1 lets every fault through")
    .option('--off', 'stop injecting faults')
    .option('--json', 'print the settings as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw sandbox faults --rate 0.2 --attempts 1 --seed 7\n  $ claw --sandbox deploy all --yes    # now against a misbehaving account\n  $ claw sandbox faults --off',
    )
    .action(
      action(
        withContext,
        () => import('./faults.js'),
        (m, ctx, opts: object) => m.faults(ctx, opts),
      ),
    );

  sandbox
    .command('tool')
    .summary('a tool runbook steps call, simulated against the sandbox (tofu, aws, ssh)')
    .description(
      "Run the sandbox's stand-in for tofu, aws or ssh: what `claw --sandbox migrate run` puts first on its steps' PATH, so a runbook runs start to finish against the simulated account and never reaches AWS, a real tofu state or a real host. tofu: version, plan, show, apply (-auto-approve, -var=ami_id=, -target=), destroy -target=; aws: sts get-caller-identity; ssh: the hosts of fixtures/sandbox/ssh.json. Ends with the tool's own exit status.",
    )
    .argument('<tool>', 'tofu, aws or ssh')
    .argument('[args...]', "the tool's arguments, after --")
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw sandbox tool tofu -- version\n  $ claw sandbox tool ssh -- orchestrator-pi true\n  $ claw sandbox tool aws -- sts get-caller-identity',
    )
    .action(
      action(
        withContext,
        () => import('./tool.js'),
        (m, ctx, name: string, args: string[], _opts: object) => m.tool(ctx, name, args),
        { sandbox: true },
      ),
    );
}
