import { ToolExit, UsageError } from '../../core/errors.js';
import { sandboxAccount, type Context } from '../../cli/context.js';

// `claw sandbox tool <tofu|aws|ssh> -- ARGS`: the tools a runbook step calls, simulated
// against the sandbox account (a runbook on the sandbox finds them first on its PATH).
// Each prints what the tool would and ends with the tool's own exit status; nothing
// reaches AWS, a real tofu state or a real host.

export const SANDBOX_TOOLS = ['tofu', 'aws', 'ssh'] as const;
export type SandboxTool = (typeof SANDBOX_TOOLS)[number];

const openAccount = async (ctx: Context) => (await import('../../sandbox/index.js')).openSandbox({ ...sandboxAccount(ctx.home), faults: false });

export async function tool(ctx: Context, name: string, args: string[]): Promise<void> {
  const out = (text: string) => ctx.io.stdout.write(text);
  const err = (text: string) => ctx.io.stderr.write(text);
  const end = (code: number) => {
    if (code !== 0) throw new ToolExit(code);
  };
  switch (name) {
    case 'tofu': {
      const [{ simulatedTofu, SimulatedTofuError }, sbx] = await Promise.all([import('../../sandbox/tofu.js'), openAccount(ctx)]);
      const tofu = simulatedTofu(sbx, ctx.registry());
      try {
        await tofu(args, { bin: 'tofu', env: {}, onLine: (line) => out(`${line}\n`) });
      } catch (e) {
        if (!(e instanceof SimulatedTofuError)) throw e;
        err(`\nError: ${e.message}\n\n`);
        end(1);
      }
      return;
    }
    case 'aws': {
      const { simulateAws } = await import('../../sandbox/aws-cli.js');
      const r = await simulateAws(await ctx.clients(), args);
      out(r.stdout);
      err(r.stderr);
      return end(r.code);
    }
    case 'ssh': {
      const { parseSshArgs } = await import('../../sandbox/ssh.js');
      const parsed = parseSshArgs(args);
      if ('error' in parsed) {
        err(`ssh: ${parsed.error}\n`);
        return end(255);
      }
      if (parsed.command === '') {
        err(`claw sandbox: an interactive ssh session is not simulated; give ${parsed.host} a command\n`);
        return end(255);
      }
      const r = await (await openAccount(ctx)).ssh.run(parsed.host, parsed.command);
      if (!r.known) {
        err(`ssh: Could not resolve hostname ${parsed.host}: Name or service not known (the sandbox's ssh reaches the hosts of fixtures/sandbox/ssh.json)\n`);
        return end(255);
      }
      out(r.stdout);
      err(r.stderr);
      return end(r.code);
    }
    default:
      throw new UsageError(`the sandbox simulates no tool called ${JSON.stringify(name)}`, `one of ${SANDBOX_TOOLS.join(', ')}`);
  }
}
