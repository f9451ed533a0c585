import { Command, CommanderError } from 'commander';
import { enableCompileCache } from 'node:module';
import type { AwsTarget } from './aws/errors.js';
import { registerAmi } from './commands/ami/register.js';
import { registerLock } from './commands/lock/register.js';
import { registerBootstrap } from './commands/bootstrap/register.js';
import { registerReplace } from './commands/replace/register.js';
import { registerSpot } from './commands/spot/register.js';
import { registerTui } from './commands/tui/register.js';
import { registerMigrate } from './commands/migrate/register.js';
import { registerBackup } from './commands/backup/register.js';
import { registerDoctor } from './commands/doctor/register.js';
import { registerDeploy } from './commands/deploy/register.js';
import { registerStatus } from './commands/status/register.js';
import { registerConfig } from './commands/config/register.js';
import { registerSandbox } from './commands/sandbox/register.js';
import type { Context, GlobalOptions, ProcessIo } from './cli/context.js';
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
  const { createContext } = await import('./cli/context.js');
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
  .addHelpText(
    'after',
    `
Examples:
  $ claw --sandbox tui           try claw's dashboard on the simulated account
  $ claw --sandbox status        the same fleet, printed once
  $ claw status --json           the fleet against nix/instances.json, as JSON

Exit codes: 0 ok, 1 remote failure, 2 bad input (nothing changed), 3 refused, 130 interrupted.`,
  );

// In mission order: the fleet, the slow lane, the fast lane, spot, backups, migrations, preflight.
registerStatus(program, withContext);
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
registerConfig(program, withContext);
registerSandbox(program, withContext);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version are not failures; every other parse error is bad input.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const { reportError } = await import('./cli/report-error.js');
    process.exitCode = reportError(err, { stderr: process.stderr, verbose, target });
  }
}
