import type { Command } from 'commander';
import type { WithContext } from './cli-ami.js';

// `claw doctor`: registration only; the action imports its module when it runs.
export function registerDoctor(program: Command, withContext: WithContext): void {
  program
    .command('doctor')
    .summary('preflight checks, each with its fix')
    .description('Check everything a change needs, all at once: credentials (STS) and region; the registry and each host\'s nix/hosts/<host>.nix; host tokens and required secrets (nix/age-secrets/ or s3://<bootstrapBucket>/age-secrets/); the images bucket; the latest tagged AMI and its age; one instance per host that SSM reaches; the deploy lock; nix, git (and tofu where replace is set up); a clean checkout with HEAD on the remote; backup freshness of each --stack. One line per check with the fix; exit 1 when any check fails (warnings exit 0).')
    .option('--ami-max-age <duration>', 'warn when the latest AMI is older than this (e.g. 30d, 2w; default: config amiMaxAgeDays, 30)')
    .option('--stack <name>', 'check the backup freshness of this stack too (repeatable; config doctorStacks)', (value: string, prev: string[] = []) => [...prev, value])
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw doctor\n  $ claw doctor --ami-max-age 14d --stack lab\n  $ claw doctor --json | jq \'.checks[] | select(.status != "ok")\'')
    .action(async (opts: object, cmd: Command) => {
      const { run } = await import('./commands/doctor.js');
      await withContext(cmd, (ctx) => run(ctx, opts));
    });
}
