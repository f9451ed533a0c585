import type { DescribeInstancesCommandInput, Instance } from '@aws-sdk/client-ec2';
import { BACKUP_UNIT, OPENCLAW_TAG, type BackupTarget } from '../core/backup.js';
import { parseBackupUnitOutput, type BackupUnitOutcome } from '../core/backup-unit.js';
import { asHostId, type HostId } from '../core/deploy-target.js';
import { RefusedError, RemoteError, UsageError } from '../core/errors.js';
import { HOSTNAME_RE } from '../core/patterns.js';
import { backupCommands, backupComment, tailLines } from '../core/ssm-script.js';
import type { Ec2Api, SsmApi } from './clients.js';
import { tagMap } from './instances.js';
import { collectPages } from './paginate.js';
import { runCommand, type CommandResult, type PollMeter, type Sleep } from './run-command.js';

// `claw backup now`: find the OpenClaw host's instance (by Name tag or id; these hosts
// do not carry the fleet's app tag) and run its backup unit through Run Command.

const USABLE = new Set(['pending', 'running']);

export interface BackupHost {
  /** The Name tag (or the instance id when it has no usable name). */
  host: HostId;
  instanceId: string;
  state: string;
}

const describe = (i: Instance) => `${i.InstanceId ?? '?'} ${i.State?.Name ?? '?'}`;

/** Exactly one pending|running instance; otherwise an error naming what was found. */
/**
 * The one pending or running instance `wanted` names, which must be an OpenClaw host
 * (tagged app=openclaw, and stack=<stack> when the stack is known): only those have the
 * backup lane's units, so anything else is refused before a command is sent, naming the
 * stack's OpenClaw hosts.
 */
export async function findBackupHost(ec2: Ec2Api, wanted: BackupTarget, stack?: string): Promise<BackupHost> {
  const byId = wanted.kind === 'instance-id';
  const raw = wanted.value;
  let found: Instance[];
  try {
    const input: DescribeInstancesCommandInput = byId ? { InstanceIds: [raw] } : { Filters: [{ Name: 'tag:Name', Values: [raw] }] };
    const reservations = await collectPages(
      (i: DescribeInstancesCommandInput) => ec2.describeInstances(i),
      input,
      (out) => out.Reservations,
      'DescribeInstances',
    );
    found = reservations.flatMap((r) => r.Instances ?? []);
  } catch (err) {
    if ((err as Error).name === 'InvalidInstanceID.NotFound') found = [];
    else throw err;
  }
  const what = byId ? `instance ${raw}` : `instance named ${raw}`;
  if (found.length === 0) throw new UsageError(`no ${what} in this account and region`, 'check the name (the EC2 Name tag) and --region');
  const usable = found.filter((i) => USABLE.has(i.State?.Name ?? ''));
  if (usable.length !== 1) {
    const why = usable.length === 0 ? 'none is pending or running' : `${usable.length} are pending or running`;
    throw new RefusedError(
      `${byId ? what : `an ${what}`}: ${why} (found ${found.map(describe).join(', ')})`,
      usable.length ? 'name the one to back up by its instance id' : 'start the instance first; nothing was sent',
    );
  }
  const one = usable[0]!;
  const tags = tagMap(one.Tags);
  const host = tags.Name !== undefined && HOSTNAME_RE.test(tags.Name) ? tags.Name : one.InstanceId!;
  const openclaw = tags[OPENCLAW_TAG.key] === OPENCLAW_TAG.value;
  if (!openclaw || (stack !== undefined && tags.stack !== stack)) {
    const why = !openclaw
      ? `it is not an OpenClaw host (no tag ${OPENCLAW_TAG.key}=${OPENCLAW_TAG.value})`
      : `it is an OpenClaw host of stack ${tags.stack ?? '(none)'}, not ${stack}`;
    const others = await openclawHosts(ec2, stack);
    const of = stack === undefined ? '' : ` of stack ${stack}`;
    throw new RefusedError(
      `${host} (${one.InstanceId}) has no ${BACKUP_UNIT}: ${why}; nothing was sent`,
      others.length
        ? `the OpenClaw hosts${of}: ${others.join(', ')}`
        : `no pending or running instance is tagged ${OPENCLAW_TAG.key}=${OPENCLAW_TAG.value}${stack === undefined ? '' : ` and stack=${stack}`}`,
    );
  }
  return { host: asHostId(host), instanceId: one.InstanceId!, state: one.State!.Name! };
}

/** The names of the pending or running OpenClaw hosts (of `stack`, when given). */
async function openclawHosts(ec2: Ec2Api, stack: string | undefined): Promise<string[]> {
  const filters = [
    { Name: `tag:${OPENCLAW_TAG.key}`, Values: [OPENCLAW_TAG.value] },
    { Name: 'instance-state-name', Values: [...USABLE] },
    ...(stack === undefined ? [] : [{ Name: 'tag:stack', Values: [stack] }]),
  ];
  const reservations = await collectPages(
    (i: DescribeInstancesCommandInput) => ec2.describeInstances(i),
    { Filters: filters },
    (out) => out.Reservations,
    'DescribeInstances',
  );
  return reservations
    .flatMap((r) => r.Instances ?? [])
    .map((i) => tagMap(i.Tags).Name ?? i.InstanceId!)
    .sort();
}

export interface BackupRun extends BackupUnitOutcome {
  commandId: string;
  status: string;
  /** Last lines of the command's output (stdout then stderr), for a failure. */
  tail: string[];
}

/**
 * Run one of the backup lane's fixed scripts on the host and wait for it. SSM refusing the
 * instance (not managed, not running) means nothing ran: a RefusedError with `whatNow`.
 */
export async function runOnBackupHost(
  ssm: SsmApi,
  target: BackupHost,
  run: { commands: string[]; comment: string; whatNow: string },
  o: { meter: PollMeter; signal?: AbortSignal | undefined; sleep?: Sleep | undefined },
): Promise<CommandResult> {
  try {
    return await runCommand({
      ssm,
      instanceId: target.instanceId,
      commands: run.commands,
      comment: run.comment,
      meter: o.meter,
      signal: o.signal,
      sleep: o.sleep,
    });
  } catch (err) {
    if ((err as Error).name === 'InvalidInstanceId') {
      throw new RefusedError(`SSM cannot run commands on ${target.host} (${target.instanceId}): ${(err as Error).message.split('\n')[0]}`, run.whatNow);
    }
    throw err;
  }
}

/** Start the backup unit and wait for it; a failed unit or command is a RemoteError carrying the output's tail. */
export async function runBackupUnit(
  ssm: SsmApi,
  target: BackupHost,
  o: { meter: PollMeter; signal?: AbortSignal | undefined; sleep?: Sleep | undefined },
): Promise<BackupRun> {
  const r = await runOnBackupHost(
    ssm,
    target,
    {
      commands: backupCommands(),
      comment: backupComment('backup', target.host),
      whatNow: 'the SSM agent must be online on the host (claw status shows SSM ping); nothing was sent',
    },
    o,
  );
  const outcome = parseBackupUnitOutput(r.stdout);
  const tail = tailLines(`${r.stdout}\n${r.stderr}`, 15);
  const run: BackupRun = { ...outcome, commandId: r.commandId, status: r.status, tail };
  if (r.status === 'Success' && outcome.ok) return run;
  const why =
    r.status !== 'Success'
      ? `the command ended ${r.status}${r.statusDetails !== r.status ? ` (${r.statusDetails})` : ''}${r.responseCode >= 0 ? `, exit ${r.responseCode}` : ''}`
      : `the unit ended with result ${outcome.result ?? '?'}, exit status ${outcome.exitStatus ?? '?'}`;
  const output = tail.length ? `\n  ${tail.join('\n  ')}` : '';
  throw new BackupUnitFailed(`openclaw-s3-backup.service on ${target.host} (${target.instanceId}) failed: ${why}${output}`, run);
}

export class BackupUnitFailed extends RemoteError {
  constructor(
    message: string,
    readonly run: BackupRun,
  ) {
    super(message, "the host's journal has the rest: journalctl -u openclaw-s3-backup.service");
  }
}
