import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../nix/paths.js';
import { removeSandboxRepo } from '../../nix/sandbox-repo.js';
import { sandboxAccount, type Context } from '../../cli/context.js';

export async function reset(ctx: Context, opts: { yes?: boolean; dryRun?: boolean }): Promise<void> {
  const seedDir = fixturesDir('sandbox');
  const plan = `reset the sandbox account: replace ${join(ctx.home, 'sandbox')} with a fresh copy seeded from ${seedDir} (its sample git repo and remote, runbook progress and simulated image builds too)`;
  ctx.log.info(`plan: ${plan}`);
  if (opts.dryRun) return;
  await ctx.confirm('Reset the sandbox account?', { yes: opts.yes });
  const { resetSandbox, sandboxFaultsPath } = await import('../../sandbox/index.js');
  const hadFaults = existsSync(sandboxFaultsPath(ctx.home));
  // The sample repo and its remote start again from the fixture (the seeded hosts run its
  // commits), and with them the runbook rehearsals and the simulated image builds.
  removeSandboxRepo(ctx.home);
  for (const dir of ['runbooks', 'nix-store']) rmSync(join(ctx.home, 'sandbox', dir), { recursive: true, force: true });
  const state = (await resetSandbox(sandboxAccount(ctx.home))).admin.state();
  const running = state.instances.filter((i) => i.state === 'running').length;
  ctx.print(
    `sandbox reset: ${state.instances.length} instances (${running} running), ${state.images.length} AMIs, ${state.buckets.length} buckets seeded from ${seedDir}${hadFaults ? '; fault injection off' : ''}`,
  );
}
