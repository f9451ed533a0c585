import { Command, CommanderError } from 'commander';
import { enableCompileCache } from 'node:module';
import type { AwsTarget } from './aws/errors.js';
import { registerAmi } from './cli-ami.js';
import { registerLock } from './cli-lock.js';
import { registerBootstrap } from './cli-bootstrap.js';
import { registerReplace } from './cli-replace.js';
import { registerSpot } from './cli-spot.js';
import { registerTui } from './cli-tui.js';
import { registerMigrate } from './cli-migrate.js';
import { registerBackup } from './cli-backup.js';
import { registerDoctor } from './cli-doctor.js';
import { registerDeploy } from './cli-deploy.js';
import type { Context, GlobalOptions, ProcessIo } from './commands/context.js';
import { packageVersion } from './nix/paths.js';

// The one commander program. Only commander is loaded at start-up: each action
// imports its command module (and through it the SDK or Ink) when it runs.


// V8's on-disk code cache makes every later start (and the SDK's hundreds of modules) cheaper.
enableCompileCache();
// React and Ink load their production builds (the development ones cost ~30% more CPU a frame).
process.env.NODE_ENV ??= 'production';

const controller = new AbortController();
const io: ProcessIo = {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: Boolean(process.stdin.isTTY),
  signal: controller.signal,
};

let interrupts = 0;
// Ctrl-C, a terminal closing (SIGHUP) and a polite kill (SIGTERM) all stop claw the same
// way: in-flight work is cancelled cleanly (a runbook step's process group is stopped and
// the state says so); a second signal leaves at once.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  });
}
// A closed pipe (claw status | head) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

let verbose = false;
let target: AwsTarget | undefined;

async function withContext(cmd: Command, body: (ctx: Context) => Promise<void> | void, force: Partial<GlobalOptions> = {}): Promise<void> {
  const globals = { ...cmd.optsWithGlobals<GlobalOptions>(), ...force };
  verbose = Boolean(globals.verbose);
  if (!globals.sandbox && ['1', 'true'].includes(io.env.CLAW_SANDBOX ?? '')) globals.sandbox = true;
  const { createContext } = await import('./commands/context.js');
  const ctx = createContext(globals, io);
  target = ctx.target;
  try {
    await body(ctx);
  } finally {
    await ctx.close();
  }
}

const program = new Command('claw')
  .description("The operator's console for a fleet of NixOS hosts on AWS EC2.")
  .version(packageVersion(), '-V, --version')
  .exitOverride()
  .showSuggestionAfterError()
  .configureHelp({ sortSubcommands: false })
  .option('--repo <dir>', 'the clawdinators repo (default: walk up to the folder holding nix/instances.json)')
  .option('--sandbox', 'use the simulated account under $CLAW_HOME (also CLAW_SANDBOX=1)')
  .option('--profile <name>', 'AWS profile (also AWS_PROFILE)')
  .option('--region <region>', 'AWS region (also AWS_REGION; default eu-central-1)')
  .option('--endpoint-url <url>', 'AWS endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)')
  .option('-v, --verbose', 'log each AWS call (service, operation, duration) and stack traces')
  .option('--no-color', 'no colours (also NO_COLOR)')
  .addHelpText('after', `
Examples:
  $ claw --sandbox tui           try claw's dashboard on the simulated account
  $ claw --sandbox status        the same fleet, printed once
  $ claw status --json           the fleet against nix/instances.json, as JSON

Exit codes: 0 ok, 1 remote failure, 2 bad input (nothing changed), 3 refused, 130 interrupted.`);

program
  .command('status')
  .summary('the fleet vs nix/instances.json, with drift')
  .description('Show every registered host: instance, state, type, AZ, AMI (latest or how far behind), deployed rev, SSM ping and drift (a host with several instances lists each); instances tagged for the fleet but missing from the registry are listed as unregistered. On a terminal the table fits its width, the least telling columns going first; --wide shows all and the public IP.')
  .option('--json', 'print one JSON document')
  .option('--wide', 'every column (and the public IP) whatever the terminal width')
  .option('-w, --watch', 'refresh in place until Ctrl-C')
  .option('--interval <seconds>', 'seconds between refreshes with --watch (default 5)')
  .addHelpText('after', '\nExamples:\n  $ claw status\n  $ claw status --json | jq \'.hosts[] | select(.drift | length > 0)\'\n  $ claw --sandbox status --watch --interval 10')
  .action(async (opts: object, cmd: Command) => {
    const { run } = await import('./commands/status.js');
    await withContext(cmd, (ctx) => run(ctx, opts));
  });

// In mission order: the fleet, the slow lane, the fast lane, spot, backups, migrations, preflight.
registerTui(program, withContext);
registerAmi(program, withContext);
registerDeploy(program, withContext);
registerBootstrap(program, withContext);
registerLock(program, withContext);
registerReplace(program, withContext);
registerSpot(program, withContext);
registerBackup(program, withContext);
registerMigrate(program, withContext);
registerDoctor(program, withContext);

program
  .command('config')
  .summary('the resolved configuration and its sources')
  .description('Print each setting with its source: flag > environment (CLAW_*, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL) > claw.config.json > default.')
  .option('--json', 'print one JSON document')
  .addHelpText('after', '\nExamples:\n  $ claw config\n  $ CLAW_AMI_KEEP=3 claw config --json')
  .action(async (opts: object, cmd: Command) => {
    const { run } = await import('./commands/config.js');
    await withContext(cmd, (ctx) => run(ctx, opts));
  });

const sandbox = program
  .command('sandbox')
  .summary('the simulated account behind --sandbox')
  .addHelpText('after', '\nExample:\n  $ claw sandbox reset --yes');
sandbox
  .command('reset')
  .description('Reseed the simulated account from fixtures/sandbox (all sandbox changes are lost).')
  .option('--dry-run', 'show the plan only')
  .option('-y, --yes', 'do not ask for confirmation')
  .addHelpText('after', '\nExample:\n  $ claw sandbox reset --yes')
  .action(async (opts: object, cmd: Command) => {
    const { reset } = await import('./commands/sandbox.js');
    await withContext(cmd, (ctx) => reset(ctx, opts));
  });
sandbox
  .command('faults')
  .summary('make the sandbox fail AWS requests (500, 503, throttling)')
  .description('Show, set or clear fault injection for the simulated account: each AWS request fails with probability --rate, and a call fails when all of its --attempts tries did (as the SDK retries). Faults strike before a call applies. Setting --seed again replays the same faults on the same state.')
  .option('--rate <fraction>', 'the chance one request fails, above 0 and at most 1 (default 0.2)')
  .option('--seed <n>', 'seed of the draws (default random, shown); restarts the run count')
  .option('--attempts <n>', 'tries per call (default 5, as claw\'s SDK); 1 lets every fault through')
  .option('--off', 'stop injecting faults')
  .option('--json', 'print the settings as JSON')
  .addHelpText('after', '\nExamples:\n  $ claw sandbox faults --rate 0.2 --attempts 1 --seed 7\n  $ claw --sandbox deploy all --yes    # now against a misbehaving account\n  $ claw sandbox faults --off')
  .action(async (opts: object, cmd: Command) => {
    const { faults } = await import('./commands/sandbox-faults.js');
    await withContext(cmd, (ctx) => faults(ctx, opts));
  });

sandbox
  .command('tool')
  .summary("a tool runbook steps call, simulated against the sandbox (tofu, aws, ssh)")
  .description("Run the sandbox's stand-in for tofu, aws or ssh: what `claw --sandbox migrate run` puts first on its steps' PATH, so a runbook runs start to finish against the simulated account and never reaches AWS, a real tofu state or a real host. tofu: version, plan, show, apply (-auto-approve, -var=ami_id=, -target=), destroy -target=; aws: sts get-caller-identity; ssh: the hosts of fixtures/sandbox/ssh.json. Ends with the tool's own exit status.")
  .argument('<tool>', 'tofu, aws or ssh')
  .argument('[args...]', "the tool's arguments, after --")
  .addHelpText('after', '\nExamples:\n  $ claw sandbox tool tofu -- version\n  $ claw sandbox tool ssh -- orchestrator-pi true\n  $ claw sandbox tool aws -- sts get-caller-identity')
  .action(async (name: string, args: string[], _opts: object, cmd: Command) => {
    const { tool } = await import('./commands/sandbox-tool.js');
    await withContext(cmd, (ctx) => tool(ctx, name, args), { sandbox: true });
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version are not failures; every other parse error is bad input.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const { reportError } = await import('./commands/report-error.js');
    process.exitCode = reportError(err, { stderr: process.stderr, verbose, target });
  }
}
