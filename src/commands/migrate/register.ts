import type { Command } from 'commander';
import { action } from '../../cli/action.js';
import type { WithContext } from '../../cli/context.js';

// The `claw migrate` group: registration only; each action imports its module when it runs.
export function registerMigrate(program: Command, withContext: WithContext): void {
  const migrate = program
    .command('migrate')
    .summary('resumable, reversible migration runbooks')
    .description(
      'Run a migration runbook (YAML: phases of run, ssm, check, wait and manual steps, with rollback steps for reversible phases) one step at a time, resumable after any interruption. Progress lives in .claw/runbooks/<name>/ at the root of the git repo holding the runbook (else $CLAW_HOME/runbooks/<name>/): state.json and logs/<step>.log.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw migrate plan fixtures/runbooks/orchestrator-to-vm.yaml\n  $ claw migrate run fixtures/runbooks/orchestrator-to-vm.yaml\n  $ claw migrate status fixtures/runbooks/orchestrator-to-vm.yaml --json',
    );

  migrate
    .command('plan')
    .argument('<file>', 'the runbook (YAML)')
    .summary('phases and steps: reversible, disruptive')
    .description(
      'Validate the runbook and show its phases and steps: what each does, which phases are reversible (and their rollback steps) and which are disruptive (a run asks before them).',
    )
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      "\nExamples:\n  $ claw migrate plan fixtures/runbooks/orchestrator-to-vm.yaml\n  $ claw migrate plan runbook.yaml --json | jq '.phases[] | select(.disruptive)'",
    )
    .action(
      action(
        withContext,
        () => import('./migrate.js'),
        (m, ctx, file: string, opts: object) => m.planMigrate(ctx, file, opts),
      ),
    );

  migrate
    .command('run')
    .argument('<file>', 'the runbook (YAML)')
    .summary('run from the first unfinished step')
    .description(
      'Resume from the first unfinished step (a step interrupted mid-way runs again; a failed one is retried), after the preflight checks. Stops at the first failing step (exit 1, with the tail of its log) and at a manual step: on a terminal it asks whether it is done; otherwise it prints "waiting for operator: <step>" and the approve command (exit 0). A disruptive phase asks first (or --yes; without a terminal it is refused, exit 3). A runbook changed since its state was written is refused (exit 3) unless --accept-changes.',
    )
    .option('--phase <id>', 'run only this phase (its earlier phases must be done); with --restart, start over from it')
    .option('--until <id>', 'stop after this step or phase')
    .option('--restart', 'forget the recorded progress and start over (asks first; nothing is undone)')
    .option('--dry-run', 'show what would run, from the resume point; change nothing')
    .option('-y, --yes', 'do not ask before disruptive phases or --restart (manual steps still need the operator)')
    .option('--accept-changes', 'go on with a runbook changed since its state was written')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw migrate run runbook.yaml --dry-run\n  $ claw migrate run runbook.yaml --until C\n  $ claw migrate run runbook.yaml --yes\n  $ claw migrate run runbook.yaml --restart --phase C',
    )
    .action(
      action(
        withContext,
        () => import('./run.js'),
        (m, ctx, file: string, opts: object) => m.runMigrate(ctx, file, opts),
      ),
    );

  migrate
    .command('approve')
    .argument('<file>', 'the runbook (YAML)')
    .argument('<step-id>', 'the manual step waiting for the operator')
    .summary('mark a manual step done')
    .description('Record that the operator did a manual step the run is waiting for (with an optional note); the next run or rollback goes on after it.')
    .option('--note <text>', 'one line kept with the approval (who, how)')
    .option('--accept-changes', 'go on with a runbook changed since its state was written')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw migrate approve runbook.yaml c-hand-over-key\n  $ claw migrate approve runbook.yaml d-login --note "logged in as the bot account"',
    )
    .action(
      action(
        withContext,
        () => import('./migrate.js'),
        (m, ctx, file: string, stepId: string, opts: object) => m.approveMigrate(ctx, file, stepId, opts),
      ),
    );

  migrate
    .command('status')
    .argument('<file>', 'the runbook (YAML)')
    .summary("each step's state and log, and what next")
    .description(
      "Show every step's state (pending, running, interrupted, done, failed, waiting), its times, attempts and log file, whether the runbook changed since the state was written, and the next action.",
    )
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  $ claw migrate status runbook.yaml\n  $ claw migrate status runbook.yaml --json | jq .next')
    .action(
      action(
        withContext,
        () => import('./migrate.js'),
        (m, ctx, file: string, opts: object) => m.statusMigrate(ctx, file, opts),
      ),
    );

  migrate
    .command('rollback')
    .argument('<file>', 'the runbook (YAML)')
    .summary('undo completed phases, latest first')
    .description(
      'Run the rollback steps of completed (and partly run) phases, latest phase first, down to and including --to PHASE (default: all); afterwards the next run starts at that phase again. Refuses to cross a phase that is not reversible unless --force (its changes stay). Shows the plan and asks first (or --yes; without a terminal it is refused, exit 3).',
    )
    .option('--to <phase>', 'roll back down to and including this phase')
    .option('--force', 'cross phases that are not reversible (nothing is undone there)')
    .option('--dry-run', 'show the rollback plan only')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--accept-changes', 'go on with a runbook changed since its state was written')
    .addHelpText(
      'after',
      '\nExamples:\n  $ claw migrate rollback runbook.yaml --dry-run\n  $ claw migrate rollback runbook.yaml --to D --yes\n  $ claw migrate rollback runbook.yaml --to A --force',
    )
    .action(
      action(
        withContext,
        () => import('./rollback.js'),
        (m, ctx, file: string, opts: object) => m.rollbackMigrate(ctx, file, opts),
      ),
    );
}
