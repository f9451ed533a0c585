import { randomBytes } from 'node:crypto';
import type { DisableUnit, LineResult, Service } from './host-lines.js';
import type { HostRecord } from './state-ssm.js';

// The simulated host's services and files beyond the deploy and backup lanes, for
// runbooks (a migration stops, starts and disables the bot, reboots the VM, checks and
// removes the restored workspace, shreds the old host's secrets). clawdinator.service
// exists on every host; openclaw.service only on an OpenClaw host (one with a backup
// bucket), as systemd would say.

const notFound = (verb: string, unit: string): LineResult => ({ err: `Failed to ${verb} ${unit}.service: Unit ${unit}.service not found.\n`, code: 5 });

const hasOpenclaw = (host: HostRecord) => host.backupBucket !== undefined;

/** `systemctl start|stop|restart clawdinator|openclaw`. */
export function serviceVerb(host: HostRecord, verb: 'start' | 'stop' | 'restart', service: Service): LineResult {
  if (service === 'openclaw' && !hasOpenclaw(host)) return notFound(verb, service);
  host[service] = verb === 'stop' ? 'inactive' : 'active';
  return { code: 0 };
}

/** `systemctl disable --now UNIT...`: stopped, and not started again at boot. */
export function disableNow(host: HostRecord, units: readonly DisableUnit[]): LineResult {
  const missing = units.find((u) => u !== 'clawdinator.service' && !hasOpenclaw(host));
  if (missing) return { err: `Failed to disable unit: Unit file ${missing} does not exist.\n`, code: 1 };
  let err = '';
  for (const unit of units) {
    if (unit === 'clawdinator.service') host.clawdinator = 'inactive';
    if (unit === 'openclaw.service') host.openclaw = 'inactive';
    if (!(host.disabled ?? []).includes(unit)) {
      host.disabled = [...(host.disabled ?? []), unit];
      err += `Removed "/etc/systemd/system/${unit.endsWith('.timer') ? 'timers' : 'multi-user'}.target.wants/${unit}".\n`;
    }
  }
  return { err, code: 0 };
}

/** A reboot: transient units are gone, enabled services come back up, the revision stays. */
export function reboot(host: HostRecord): LineResult {
  const id = randomBytes(16).toString('hex');
  host.units = [];
  host.reboots = (host.reboots ?? 0) + 1;
  const enabled = (unit: DisableUnit) => !(host.disabled ?? []).includes(unit);
  host.clawdinator = enabled('clawdinator.service') ? 'active' : 'inactive';
  if (hasOpenclaw(host)) host.openclaw = enabled('openclaw.service') ? 'active' : 'inactive';
  return { err: `Running timer as unit: run-r${id}.timer\nWill run service as unit: run-r${id}.service\n`, code: 0 };
}

export function workspace(host: HostRecord, kind: 'workspace-test' | 'workspace-remove'): LineResult {
  if (kind === 'workspace-test') return { code: host.workspace ? 0 : 1 };
  host.workspace = false;
  return { code: 0 };
}

export function shredSecrets(host: HostRecord): LineResult {
  if (host.secretFiles === undefined) {
    return { err: "find: '/var/lib/clawdinator/secrets': No such file or directory\n", code: 1 };
  }
  host.secretFiles = 0;
  return { code: 0 };
}
