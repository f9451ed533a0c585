import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// `claw doctor` and `claw doctor stacks`: registration only; each action imports its
// module when it runs.
export function registerDoctor(program: Command, withContext: WithContext): void {
  const doctor = program
    .command('doctor')
    .summary('preflight checks, each with its fix')
    .description(
      "Check everything a change needs, all at once: credentials (STS) and region; the registry and each host's nix/hosts/<host>.nix; host tokens and required secrets (nix/age-secrets/ or s3://<bootstrapBucket>/age-secrets/); the images bucket; the latest tagged AMI and its age; one instance per host that SSM reaches; the deploy lock; nix, git (and tofu where replace is set up); a clean checkout with HEAD on the remote; backup freshness of each --stack. One line per check with the fix; exit 1 when any check fails (warnings exit 0).",
    )
    .option('--ami-max-age <duration>', 'warn when the latest AMI is older than this (e.g. 30d, 2w; default: config amiMaxAgeDays, 30)')
    .option('--stack <name>', 'check the backup freshness of this stack too (repeatable; config doctorStacks)', (value: string, prev: string[] = []) => [
      ...prev,
      value,
    ])
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw doctor\n  $ claw doctor --ami-max-age 14d --stack lab\n  $ claw doctor --json | jq \'.checks[] | select(.status != "ok")\'\n  $ claw doctor stacks',
    )
    .action(
      action(
        withContext,
        () => import('./doctor.js'),
        (m, ctx, opts: object) => m.run(ctx, opts),
      ),
    );

  doctor
    .command('stacks')
    .summary('stuck CloudFormation stacks, each with its fix')
    .description(
      'CloudFormation stacks that hold a pipeline: every *_FAILED, ROLLBACK_*, UPDATE_ROLLBACK_* and IMPORT_ROLLBACK_* status (rollbacks still running included: the operation has already failed), and deploys in progress for longer than --stalled-after. For each: what the status means, the failure reasons of its latest operation, and the numbered fix. When an export cannot change or go because other stacks import it, the export, its value, the importing stacks (ListImports) and the way out: pass a stable name or an SSM parameter instead of a per-deploy value (a task-definition revision ARN, an AMI id), and update the consumers before the producer. Exit 1 when any stack is listed, 0 when none is.',
    )
    .option('--stack-prefix <prefix>', 'only stacks whose name starts with this (repeatable)', (value: string, prev: string[] = []) => [...prev, value])
    .option('--stalled-after <duration>', 'count a create/update/delete still in progress after this long (default 1h)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      "\nExamples:\n  $ claw doctor stacks\n  $ claw doctor stacks --stack-prefix openclaw-lab-\n  $ claw doctor stacks --json | jq '.stacks[] | {stackName, reason, remedy}'\n\nExit codes: 0 no stack held, 1 a stack is held (or AWS failed), 2 bad input.",
    )
    .action(async (opts: object, cmd: Command) => {
      const { run } = await import('./stacks.js');
      // commander gives `claw doctor`'s own flags (--json among them) to the parent: merge them in.
      await withContext(cmd, (ctx) => run(ctx, { ...cmd.parent?.opts(), ...opts }));
    });
}
