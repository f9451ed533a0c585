import { readFile, writeFile } from 'node:fs/promises';
import type { Registry } from '../core/registry.js';
import type { RunResult } from '../nix/exec.js';
import type { TofuOptions, TofuRunner } from '../nix/tofu.js';
import type { Sandbox } from './index.js';
import { applyResources, destroyTargets, planLines, planResources, resourceAddress, type PlannedResource } from './tofu-plan.js';

// OpenTofu as the sandbox's infrastructure answers it: for `claw --sandbox replace` when
// the repo has no infra directory (plan -out, show -json, apply <plan>), and for runbook
// steps on the sandbox (`tofu version`, `tofu apply -auto-approve -var=ami_id=...
// [-target=...]`, `tofu destroy -auto-approve -target=...`). Each prints tofu's lines;
// what it cannot simulate is an error naming it, never a silent success.

interface SavedPlan {
  simulated: 'claw-sandbox';
  ami: string;
  resources: PlannedResource[];
}

export const SIMULATED_TOFU_VERSION = 'OpenTofu v1.8.0 (simulated by the claw sandbox)';

/** What tofu does not do here; the message is tofu's own where it has one. */
export class SimulatedTofuError extends Error {
  override name = 'SimulatedTofuError';
}

const ok = (stdout: string): RunResult => ({ stdout, stderr: '', durationMs: 0 });

function flag(args: readonly string[], prefix: string): string | undefined {
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** -var=NAME=VALUE pairs. */
function vars(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    args
      .filter((a) => a.startsWith('-var='))
      .map((a) => {
        const [k, ...v] = a.slice(5).split('=');
        return [k!, v.join('=')];
      }),
  );
}

function amiVar(args: readonly string[]): string {
  // ami_id upstream; claw's tofuAmiVar may name another (the module here is a miniature, any *ami* variable is it).
  const ami = Object.entries(vars(args)).find(([k]) => k === 'ami_id')?.[1] ?? Object.entries(vars(args)).find(([k]) => /ami/.test(k))?.[1];
  // The clawdinators module's own validation (manage_instances is true).
  if (!ami) throw new SimulatedTofuError('Invalid value for variable: ami_id is required when manage_instances is true (pass -var=ami_id=<ami>)');
  return ami;
}

/** The -target addresses, each checked against the configuration. */
function targetsOf(args: readonly string[], registry: Registry): Set<string> | undefined {
  const given = args.filter((a) => a.startsWith('-target=')).map((a) => a.slice('-target='.length));
  if (given.length === 0) return undefined;
  const known = new Set(registry.hosts.map((h) => resourceAddress(h.host)));
  const bad = given.find((t) => !known.has(t));
  if (bad) throw new SimulatedTofuError(`Invalid target address ${bad}: the configuration has ${[...known].join(', ')} (one per host of nix/instances.json)`);
  return new Set(given);
}

/** A tofu that plans and applies the clawdinators instances against this sandbox account. */
export function simulatedTofu(sandbox: Sandbox, registry: Registry): TofuRunner {
  const say = (opts: TofuOptions, lines: string[]) => {
    for (const l of lines) opts.onLine?.(l, 'stdout');
    return lines.join('\n');
  };
  const liner = (opts: TofuOptions, lines: string[]) => (l: string) => {
    lines.push(l);
    opts.onLine?.(l, 'stdout');
  };
  const forcedOf = (args: readonly string[]) => new Set(args.filter((a) => a.startsWith('-replace=')).map((a) => a.slice('-replace='.length)));

  const plan = async (args: readonly string[], opts: TofuOptions): Promise<RunResult> => {
    const out = flag(args, '-out=');
    if (!out) throw new SimulatedTofuError('plan needs -out=FILE here (the sandbox applies saved plans only)');
    const ami = amiVar(args);
    const forced = forcedOf(args);
    const resources = planResources(sandbox, registry, ami, forced, targetsOf(args, registry));
    await writeFile(out, JSON.stringify({ simulated: 'claw-sandbox', ami, resources } satisfies SavedPlan));
    const lines = planLines(resources, ami, forced);
    return ok(say(opts, lines.length > 1 ? [...lines, '', `Saved the plan to: ${out}`] : lines));
  };

  const show = async (args: readonly string[]): Promise<RunResult> => {
    const saved = JSON.parse(await readFile(args.at(-1)!, 'utf8')) as SavedPlan;
    const changes = saved.resources.map((r) => ({
      address: r.address,
      mode: 'managed',
      type: 'aws_instance',
      name: 'clawdinator',
      index: r.host,
      change: { actions: r.actions },
    }));
    return ok(JSON.stringify({ format_version: '1.2', terraform_version: '1.8.0 (claw sandbox)', resource_changes: changes }));
  };

  const apply = async (args: readonly string[], opts: TofuOptions): Promise<RunResult> => {
    const lines: string[] = [];
    const line = liner(opts, lines);
    const planFile = args.slice(args.indexOf('apply') + 1).find((a) => !a.startsWith('-'));
    let saved: SavedPlan;
    if (planFile !== undefined) {
      saved = JSON.parse(await readFile(planFile, 'utf8')) as SavedPlan;
    } else {
      // Plan and apply in one go, as `tofu apply -auto-approve` does.
      if (!args.includes('-auto-approve')) throw new SimulatedTofuError('apply without a saved plan needs -auto-approve here (the sandbox never prompts)');
      const ami = amiVar(args);
      const forced = forcedOf(args);
      saved = { simulated: 'claw-sandbox', ami, resources: planResources(sandbox, registry, ami, forced, targetsOf(args, registry)) };
      for (const l of planLines(saved.resources, ami, forced)) line(l);
      line('');
    }
    const counts = await applyResources(sandbox, registry, saved.resources, saved.ami, line);
    if (counts.added + counts.changed + counts.destroyed > 0) line('');
    line(`Apply complete! Resources: ${counts.added} added, ${counts.changed} changed, ${counts.destroyed} destroyed.`);
    return ok(lines.join('\n'));
  };

  const destroy = async (args: readonly string[], opts: TofuOptions): Promise<RunResult> => {
    if (!args.includes('-auto-approve')) throw new SimulatedTofuError('destroy needs -auto-approve here (the sandbox never prompts)');
    const targets = targetsOf(args, registry);
    // Destroying the whole fleet is not something a sandbox step should do by accident.
    if (!targets) throw new SimulatedTofuError('destroy without -target is not simulated (it would destroy every instance); name each with -target=');
    const lines: string[] = [];
    const destroyed = await destroyTargets(sandbox, registry, targets, liner(opts, lines));
    liner(opts, lines)(`Destroy complete! Resources: ${destroyed} destroyed.`);
    return ok(lines.join('\n'));
  };

  return async (args, opts) => {
    const sub = args.find((a) => !a.startsWith('-'));
    if (sub === 'version') return ok(say(opts, [SIMULATED_TOFU_VERSION, 'on linux_amd64']));
    if (sub === 'plan') return plan(args, opts);
    if (sub === 'show') return show(args);
    if (sub === 'apply') return apply(args, opts);
    if (sub === 'destroy') return destroy(args, opts);
    throw new SimulatedTofuError(`tofu ${sub ?? '(no command)'} is not simulated (the sandbox's tofu knows version, plan, show, apply and destroy)`);
  };
}
