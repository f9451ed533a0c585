import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// The `claw spot` group: registration only. `--region` is the global option; every
// occurrence of it (before or after the subcommand) is one region to query, so the
// listener below collects them all, while the config keeps the last one as usual.
export function registerSpot(program: Command, withContext: WithContext): void {
  const regions: string[] = [];
  program.on('option:region', (value: string) => regions.push(value));

  const spot = program
    .command('spot')
    .summary('EC2 spot prices per AZ and instance type')
    .description("Spot market prices for the fleet's candidate instance types.")
    .addHelpText('after', '\nExamples:\n  $ claw spot prices\n  $ claw spot prices --history 7d --json');

  spot
    .command('prices')
    .description(
      'Current Linux/UNIX spot price per AZ and instance type (DescribeSpotPriceHistory), with vCPUs and memory (DescribeInstanceTypes), cheapest first; the cheapest AZ of each type is marked. Monthly = hourly × 730. Repeat --region to query several regions at once.',
    )
    .option('--instance-types <types...>', 'instance types (default: config spotInstanceTypes: t4g.small t4g.medium m8g.large m8g.medium r7g.medium)')
    .option('--sort <key>', 'price (default), az or type')
    .option('--history <duration>', 'add min / mean / max over this window (e.g. 7d, 12h; at most 90d)')
    .option('--json', 'print one JSON document')
    .option('--csv', 'print CSV with a header row')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw spot prices\n  $ claw spot prices --instance-types t4g.small m8g.large --history 7d\n  $ claw spot prices --region eu-central-1 --region eu-west-1 --sort type --csv',
    )
    .action(
      action(
        withContext,
        () => import('./prices.js'),
        (m, ctx, opts: object) => m.run(ctx, { ...opts, regions: [...regions] }),
      ),
    );
}
