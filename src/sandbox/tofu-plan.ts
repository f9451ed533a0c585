import type { Registry } from '../core/registry.js';
import type { Sandbox } from './index.js';

// The clawdinators root module in miniature, as the sandbox's simulated OpenTofu plans
// and applies it (tofu.ts): one aws_instance.clawdinator["<host>"] per registry host,
// ami = var.ami_id, the host's instance type, tags Name and app. A changed AMI replaces
// the instance (ami forces a new resource), a changed type updates it in place.

export interface PlannedResource {
  host: string;
  address: string;
  /** tofu's actions: ['delete', 'create'] to replace, ['create'], ['update'], ['no-op']. */
  actions: string[];
  instanceId: string | null;
  fromAmi: string | null;
}

export const resourceAddress = (host: string) => `aws_instance.clawdinator["${host}"]`;

const LIVE = ['pending', 'running', 'stopping', 'stopped'];

/** The newest live instance of each host: what tofu's state holds for it. */
function instanceOf(sandbox: Sandbox, host: string) {
  return sandbox.admin
    .state()
    .instances.filter((i) => i.tags.Name === host && LIVE.includes(i.state))
    .sort((a, b) => b.launchTime.localeCompare(a.launchTime))[0];
}

/**
 * What an apply with `ami` would do to the registry's hosts (or only to `targets`,
 * resource addresses as -target gives them); `forced` addresses are replaced anyway.
 */
export function planResources(
  sandbox: Sandbox,
  registry: Registry,
  ami: string,
  forced: ReadonlySet<string>,
  targets?: ReadonlySet<string>,
): PlannedResource[] {
  return registry.hosts
    .filter((h) => !targets || targets.has(resourceAddress(h.host)))
    .map((h): PlannedResource => {
      const inst = instanceOf(sandbox, h.host);
      const base = { host: h.host, address: resourceAddress(h.host), instanceId: inst?.instanceId ?? null, fromAmi: inst?.imageId ?? null };
      if (!inst) return { ...base, actions: ['create'] };
      if (forced.has(base.address) || inst.imageId !== ami) return { ...base, actions: ['delete', 'create'] };
      if (inst.instanceType !== h.instanceType) return { ...base, actions: ['update'] };
      return { ...base, actions: ['no-op'] };
    });
}

/** tofu's plan text for `resources`. */
export function planLines(resources: readonly PlannedResource[], ami: string, forced: ReadonlySet<string>): string[] {
  const changing = resources.filter((r) => r.actions[0] !== 'no-op');
  const count = (a: string) => changing.filter((r) => r.actions.includes(a)).length;
  if (changing.length === 0) return ['No changes. Your infrastructure matches the configuration.'];
  return [
    "OpenTofu will perform the following actions (the sandbox's simulated infrastructure):",
    '',
    ...changing.flatMap((r) => [
      `  # ${r.address} ${r.actions.length === 2 ? `will be replaced${forced.has(r.address) ? ', as requested' : ''}` : r.actions[0] === 'create' ? 'will be created' : 'will be updated in-place'}`,
      ...(r.fromAmi !== ami && r.fromAmi ? [`      ~ ami = "${r.fromAmi}" -> "${ami}"`] : []),
    ]),
    '',
    `Plan: ${count('create')} to add, ${count('update')} to change, ${count('delete')} to destroy.`,
  ];
}

export interface Applied {
  added: number;
  changed: number;
  destroyed: number;
}

/** Carry out `resources` against the account, one tofu line per change. */
export async function applyResources(
  sandbox: Sandbox,
  registry: Registry,
  resources: readonly PlannedResource[],
  ami: string,
  line: (l: string) => void,
): Promise<Applied> {
  const counts = { added: 0, changed: 0, destroyed: 0 };
  const { admin } = sandbox;
  for (const r of resources) {
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
        imageId: ami,
        instanceType: entry.instanceType,
        availabilityZone: old?.availabilityZone ?? `${admin.state().region}a`,
        privateIpAddress: `10.0.9.${octet}`,
        publicIpAddress: `203.0.113.${octet}`,
        tags: { app: 'clawdinator', Name: r.host },
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
  return counts;
}

/** `tofu destroy -target=...`: the targeted hosts' instances terminated. */
export async function destroyTargets(sandbox: Sandbox, registry: Registry, targets: ReadonlySet<string>, line: (l: string) => void): Promise<number> {
  let destroyed = 0;
  for (const h of registry.hosts.filter((x) => targets.has(resourceAddress(x.host)))) {
    const inst = instanceOf(sandbox, h.host);
    if (!inst) continue;
    line(`${resourceAddress(h.host)}: Destroying... [id=${inst.instanceId}]`);
    await sandbox.admin.setInstanceState(inst.instanceId, 'terminated');
    line(`${resourceAddress(h.host)}: Destruction complete after 31s`);
    destroyed++;
  }
  return destroyed;
}
