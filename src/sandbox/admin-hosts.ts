import { defaultHost } from './host.js';
import { hostOf } from './ssm-commands.js';
import type { Service } from './host-lines.js';
import type { HostRecord, ServiceStateName } from './state-ssm.js';
import { liveState, type SandboxWorld } from './world.js';

// SandboxAdmin's controls over the simulated hosts behind SSM Run Command (the deploy
// lane's scenarios). One-shot faults apply to the next switch (or command) on that
// host and are then used up; every mutation is persisted before the promise resolves.

export interface HostAdmin {
  /** The host as the simulation holds it (a copy; the defaults when nothing touched it yet). */
  host(instanceId: string): HostRecord;
  /** The running system's configurationRevision (null: none, so no revision file either). */
  setHostRev(instanceId: string, rev: string | null): Promise<void>;
  /** false: the host writes no /run/current-system/configurationRevision; only `nixos-version --json` reports the revision. */
  setRevisionFile(instanceId: string, present: boolean): Promise<void>;
  /** `systemctl is-active clawdinator` (or `openclaw`, on an OpenClaw host) answers this from now on. */
  setServiceState(instanceId: string, state: ServiceStateName, service?: Service): Promise<void>;
  /** The next switch runs, then fails with `message` in its journal; the revision stays. */
  failNextSwitch(instanceId: string, message: string): Promise<void>;
  /** The next switch restarts the SSM agent: the invocation that started it loses its result; the switch completes. */
  agentRestartOnNextSwitch(instanceId: string): Promise<void>;
  /** Every switch on this host stays running for `polls` `systemctl show` polls (default 1). */
  slowSwitch(instanceId: string, polls: number): Promise<void>;
  /** Every switch running on this host ends at its next `systemctl show` poll (it and later switches take `polls` again: 1). */
  finishSwitches(instanceId: string): Promise<void>;
  /** The next switch succeeds but installs a system whose configurationRevision is `rev`. */
  revisionMismatchOnNextSwitch(instanceId: string, rev: string): Promise<void>;
  /** The next command sent to this host hangs until it ends TimedOut (ExecutionTimedOut), running nothing. */
  timeOutNextCommand(instanceId: string): Promise<void>;
  /** Make the host an OpenClaw host backing up to `bucket` (null: it has no backup units and no openclaw.service). */
  setBackupBucket(instanceId: string, bucket: string | null): Promise<void>;
  /** The next `systemctl start openclaw-s3-backup` fails with `message` in its journal; nothing is copied. */
  failNextBackup(instanceId: string, message: string): Promise<void>;
  /** The next `systemctl start openclaw-s3-restore` fails with `message` in its journal. */
  failNextRestore(instanceId: string, message: string): Promise<void>;
}

export function createHostAdmin(world: SandboxWorld): HostAdmin {
  const state = liveState(world);
  const check = (instanceId: string) => {
    const known = state.managedInstances.some((m) => m.instanceId === instanceId) || state.instances.some((i) => i.instanceId === instanceId);
    if (!known) throw new Error(`sandbox admin: no instance ${instanceId}`);
  };
  const hostFor = (instanceId: string): HostRecord => {
    check(instanceId);
    return hostOf(state, instanceId);
  };
  const change = async (instanceId: string, f: (h: HostRecord) => void) => {
    f(hostFor(instanceId));
    await world.persist();
  };
  return {
    host: (instanceId) => {
      check(instanceId);
      return structuredClone(state.hosts.find((h) => h.instanceId === instanceId) ?? defaultHost(instanceId));
    },
    setHostRev: (id, rev) => change(id, (h) => void (h.currentRev = rev)),
    setRevisionFile: (id, present) => change(id, (h) => void (h.revisionFile = present)),
    setServiceState: (id, s, service = 'clawdinator') => change(id, (h) => void (h[service] = s)),
    failNextSwitch: (id, message) => change(id, (h) => void (h.failNextSwitch = { message })),
    agentRestartOnNextSwitch: (id) => change(id, (h) => void (h.agentRestartOnNextSwitch = true)),
    slowSwitch: (id, polls) => {
      if (!Number.isInteger(polls) || polls < 0) throw new Error(`sandbox admin: slowSwitch polls must be a whole number >= 0, not ${polls}`);
      return change(id, (h) => void (h.switchDurationPolls = polls));
    },
    finishSwitches: (id) =>
      change(id, (h) => {
        delete h.switchDurationPolls;
        for (const u of h.units) if (u.state === 'running') u.pollsLeft = 0;
      }),
    revisionMismatchOnNextSwitch: (id, rev) => change(id, (h) => void (h.revisionMismatchOnNextSwitch = rev)),
    timeOutNextCommand: (id) => change(id, (h) => void (h.timeOutNextCommand = true)),
    setBackupBucket: (id, bucket) =>
      change(id, (h) => {
        if (bucket === null) delete h.backupBucket;
        else h.backupBucket = bucket;
      }),
    failNextBackup: (id, message) => change(id, (h) => void (h.failNextBackup = { message })),
    failNextRestore: (id, message) => change(id, (h) => void (h.failNextRestore = { message })),
  };
}
