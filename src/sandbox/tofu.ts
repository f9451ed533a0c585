import { readFile, writeFile } from 'node:fs/promises';
import type { Registry } from '../core/registry.js';
import type { RunResult } from '../nix/exec.js';
import type { TofuOptions, TofuRunner } from '../nix/tofu.js';
import type { Sandbox } from './index.js';

// OpenTofu as the sandbox's infrastructure answers it, for `claw --sandbox replace` when
// the repo has no infra directory: the clawdinators root module in miniature (one
// aws_instance.clawdinator per registry host, ami = var.ami_id, the host's instance type,
// tags Name and app), planned and applied against the simulated account. `plan -out`
// writes the plan, `show -json` prints it as tofu does, `apply <plan>` terminates each
// replaced instance and launches its successor from the AMI (SSM online, as a booted
// NixOS host would be), printing tofu's lines.

interface PlannedResource {
  host: string;
  address: string;
  /** tofu's actions: ['delete', 'create'] to replace, ['create'], ['update'], ['no-op']. */
  actions: string[];
  instanceId: string | null;
  fromAmi: string | null;
}

interface SavedPlan {
  simulated: 'claw-sandbox';
  ami: string;
  resources: PlannedResource[];
}

const address = (host: string) => `aws_instance.clawdinator["${host}"]`;
const ok = (stdout: string): RunResult => ({ stdout, stderr: '', durationMs: 0 });

function flag(args: readonly string[], prefix: string): string | undefined {
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** A tofu that plans and applies the clawdinators instances against this sandbox account. */
export function simulatedTofu(sandbox: Sandbox, registry: Registry): TofuRunner {
  const say = (opts: TofuOptions, lines: string[]) => {
    for (const l of lines) opts.onLine?.(l, 'stdout');
    return lines.join('\n');
  };

  const plan = async (args: readonly string[], opts: TofuOptions): Promise<RunResult> => {
    const out = flag(args, '-out=');
    const vars = Object.fromEntries(args.filter((a) => a.startsWith('-var=')).map((a) => a.slice(5).split('=', 2) as [string, string]));
    const ami = Object.entries(vars).find(([k]) => /ami/.test(k))?.[1];
    if (!out || !ami) throw new Error('simulated tofu: plan needs -out= and -var=ami_id=');
    const forced = new Set(args.filter((a) => a.startsWith('-replace=')).map((a) => a.slice('-replace='.length)));
    const state = sandbox.admin.state();
    const resources = registry.hosts.map((h): PlannedResource => {
      const inst = state.instances
        .filter((i) => i.tags.Name === h.host && ['pending', 'running', 'stopping', 'stopped'].includes(i.state))
        .sort((a, b) => b.launchTime.localeCompare(a.launchTime))[0];
      const base = { host: h.host, address: address(h.host), instanceId: inst?.instanceId ?? null, fromAmi: inst?.imageId ?? null };
      if (!inst) return { ...base, actions: ['create'] };
      if (forced.has(address(h.host)) || inst.imageId !== ami) return { ...base, actions: ['delete', 'create'] };
      if (inst.instanceType !== h.instanceType) return { ...base, actions: ['update'] };
      return { ...base, actions: ['no-op'] };
    });
    await writeFile(out, JSON.stringify({ simulated: 'claw-sandbox', ami, resources } satisfies SavedPlan));
    const changing = resources.filter((r) => r.actions[0] !== 'no-op');
    const count = (a: string) => changing.filter((r) => r.actions.includes(a)).length;
    const lines = changing.length === 0
      ? ['No changes. Your infrastructure matches the configuration.']
      : [
          'OpenTofu will perform the following actions (the sandbox\'s simulated infrastructure):',
          '',
          ...changing.flatMap((r) => [
            `  # ${r.address} ${r.actions.length === 2 ? `will be replaced${forced.has(r.address) ? ', as requested' : ''}` : r.actions[0] === 'create' ? 'will be created' : 'will be updated in-place'}`,
            ...(r.fromAmi !== ami && r.fromAmi ? [`      ~ ami = "${r.fromAmi}" -> "${ami}"`] : []),
          ]),
          '',
          `Plan: ${count('create')} to add, ${count('update')} to change, ${count('delete')} to destroy.`,
          '',
          `Saved the plan to: ${out}`,
        ];
    return ok(say(opts, lines));
  };

  const show = async (args: readonly string[]): Promise<RunResult> => {
    const saved = JSON.parse(await readFile(args.at(-1)!, 'utf8')) as SavedPlan;
    const changes = saved.resources.map((r) => ({ address: r.address, mode: 'managed', type: 'aws_instance', name: 'clawdinator', index: r.host, change: { actions: r.actions } }));
    return ok(JSON.stringify({ format_version: '1.2', terraform_version: '1.8.0 (claw sandbox)', resource_changes: changes }));
  };

  const apply = async (args: readonly string[], opts: TofuOptions): Promise<RunResult> => {
    const saved = JSON.parse(await readFile(args.at(-1)!, 'utf8')) as SavedPlan;
    const lines: string[] = [];
    const line = (l: string) => {
      lines.push(l);
      opts.onLine?.(l, 'stdout');
    };
    const counts = { added: 0, changed: 0, destroyed: 0 };
    const { admin } = sandbox;
    for (const r of saved.resources) {
      if (r.actions[0] === 'no-op') continue;
      const entry = registry.hosts.find((h) => h.host === r.host)!;
      const old = r.instanceId ? admin.state().instances.find((i) => i.instanceId === r.instanceId) : undefined;
      if (r.actions.includes('delete') && old) {
        line(`${r.address}: Destroying... [id=${old.instanceId}]`);
        await admin.setInstanceState(old.instanceId, 'terminated');
        line(`${r.address}: Destruction complete after 32s`);
        counts.destroyed++;
      }
      if (r.actions.includes('create')) {
        line(`${r.address}: Creating...`);
        const octet = 100 + (admin.state().instances.length % 150);
        const id = await admin.runInstance({
          imageId: saved.ami, instanceType: entry.instanceType, availabilityZone: old?.availabilityZone ?? `${admin.state().region}a`,
          privateIpAddress: `10.0.9.${octet}`, publicIpAddress: `203.0.113.${octet}`, tags: { app: 'clawdinator', Name: r.host },
        });
        // The new host boots NixOS from the AMI and its SSM agent checks in.
        await admin.registerManagedInstance({ instanceId: id, pingStatus: 'Online', computerName: r.host, ipAddress: `10.0.9.${octet}` });
        line(`${r.address}: Creation complete after 41s [id=${id}]`);
        counts.added++;
      }
      if (r.actions[0] === 'update' && old) {
        line(`${r.address}: Modifying... [id=${old.instanceId}]`);
        await admin.setInstanceType(old.instanceId, entry.instanceType);
        counts.changed++;
        line(`${r.address}: Modifications complete after 1m2s [id=${old.instanceId}]`);
      }
    }
    line('');
    line(`Apply complete! Resources: ${counts.added} added, ${counts.changed} changed, ${counts.destroyed} destroyed.`);
    return ok(lines.join('\n'));
  };

  return async (args, opts) => {
    const sub = args.find((a) => !a.startsWith('-'));
    if (sub === 'plan') return plan(args, opts);
    if (sub === 'show') return show(args);
    if (sub === 'apply') return apply(args, opts);
    throw new Error(`simulated tofu: ${sub ?? '(no command)'} is not simulated`);
  };
}
