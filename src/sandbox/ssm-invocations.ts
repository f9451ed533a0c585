import type { CommandInvocation, CommandPlugin, GetCommandInvocationCommandOutput, NotificationConfig } from '@aws-sdk/client-ssm';
import { okMetadata } from './errors.js';
import type { CommandRecord, InvocationRecord } from './state-ssm.js';

// How an invocation looks at each read. Reads move it on, one step per read:
//   read 1: not there yet (GetCommandInvocation: InvocationDoesNotExist; List: absent)
//   read 2: Pending
//   read 3: InProgress (Pending again when it was never delivered)
//   read 4+: its end: Success, Failed, TimedOut, or Failed/Undeliverable
// The script itself ran when the command was sent; reads only reveal its result.

/** AWS's cuts: GetCommandInvocation stdout/stderr, and a CommandPlugin's combined Output. */
export const STDOUT_LIMIT = 24_000;
export const STDERR_LIMIT = 8_000;
export const PLUGIN_OUTPUT_LIMIT = 2_500;
const TRUNCATED = '\n---Output truncated---';

export const PLUGIN_NAME = 'aws:runShellScript';

/** What AWS answers for a command sent without notifications (the type is "", outside the SDK's enum). */
export const NO_NOTIFICATIONS: NotificationConfig = {
  NotificationArn: '',
  NotificationEvents: [],
  NotificationType: '' as NotificationConfig['NotificationType'],
};

export type Phase = 'absent' | 'Pending' | 'InProgress' | 'done';

export function phaseAt(inv: InvocationRecord): Phase {
  if (inv.reads === 0) return 'absent';
  if (inv.reads === 1) return 'Pending';
  if (inv.reads === 2) return inv.result.delivered ? 'InProgress' : 'Pending';
  return 'done';
}

/** One read: the phase it is seen in, and the times the moves stamp. */
export function read(inv: InvocationRecord, now: Date): Phase {
  const phase = phaseAt(inv);
  if (phase === 'InProgress') inv.startedAt ??= now.toISOString();
  if (phase === 'done') {
    if (inv.result.delivered) inv.startedAt ??= now.toISOString();
    inv.endedAt ??= now.toISOString();
  }
  inv.reads++;
  return phase;
}

type SeenStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut';

function statusOf(inv: InvocationRecord, phase: Phase): { Status: SeenStatus; StatusDetails: string } {
  if (phase === 'done') return { Status: inv.result.status, StatusDetails: inv.result.statusDetails };
  return phase === 'InProgress' ? { Status: 'InProgress', StatusDetails: 'InProgress' } : { Status: 'Pending', StatusDetails: 'Pending' };
}

/** ISO 8601 duration as SSM writes it (`PT1.503S`). */
function elapsed(startIso: string, endIso: string): string {
  const ms = Math.max(0, Date.parse(endIso) - Date.parse(startIso));
  return `PT${(ms / 1000).toFixed(3)}S`;
}

const executed = (inv: InvocationRecord, phase: Phase) => phase === 'done' && inv.result.delivered && inv.result.statusDetails !== 'Undeliverable';

export function invocationView(cmd: CommandRecord, inv: InvocationRecord, phase: Phase): GetCommandInvocationCommandOutput {
  const done = phase === 'done';
  const started = phase !== 'Pending' && inv.startedAt !== undefined;
  return {
    $metadata: okMetadata(),
    CommandId: cmd.commandId,
    InstanceId: inv.instanceId,
    Comment: cmd.comment,
    DocumentName: cmd.documentName,
    DocumentVersion: '$DEFAULT',
    PluginName: PLUGIN_NAME,
    ResponseCode: done ? inv.result.responseCode : -1,
    ExecutionStartDateTime: started ? inv.startedAt : '',
    ExecutionElapsedTime: done && started ? elapsed(inv.startedAt!, inv.endedAt!) : '',
    ExecutionEndDateTime: done && started ? inv.endedAt : '',
    ...statusOf(inv, phase),
    StandardOutputContent: executed(inv, phase) ? inv.result.stdout.slice(0, STDOUT_LIMIT) : '',
    StandardOutputUrl: '',
    StandardErrorContent: executed(inv, phase) ? inv.result.stderr.slice(0, STDERR_LIMIT) : '',
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: cmd.cloudWatchOutput.logGroupName, CloudWatchOutputEnabled: cmd.cloudWatchOutput.enabled },
  };
}

/** The agent's combined plugin output: stdout, then stderr after its separator, cut at 2,500. */
export function pluginOutput(stdout: string, stderr: string): string {
  const all = stderr === '' ? stdout : `${stdout}\n----------ERROR-------\n${stderr}`;
  return all.length <= PLUGIN_OUTPUT_LIMIT ? all : `${all.slice(0, PLUGIN_OUTPUT_LIMIT - TRUNCATED.length)}${TRUNCATED}`;
}

export function listView(cmd: CommandRecord, inv: InvocationRecord, phase: Phase, details: boolean, region: string): CommandInvocation {
  const status = statusOf(inv, phase);
  const started = phase !== 'Pending' && inv.startedAt !== undefined;
  const plugin: CommandPlugin = {
    Name: PLUGIN_NAME,
    ...status,
    ResponseCode: phase === 'done' ? inv.result.responseCode : -1,
    ...(started && { ResponseStartDateTime: new Date(inv.startedAt!) }),
    ...(started && phase === 'done' && { ResponseFinishDateTime: new Date(inv.endedAt!) }),
    Output: executed(inv, phase) ? pluginOutput(inv.result.stdout, inv.result.stderr) : '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    OutputS3Region: region,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
  };
  return {
    CommandId: cmd.commandId,
    InstanceId: inv.instanceId,
    InstanceName: '',
    Comment: cmd.comment,
    DocumentName: cmd.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: new Date(cmd.requestedAt),
    ...status,
    TraceOutput: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: details ? [plugin] : [],
    ServiceRole: '',
    NotificationConfig: NO_NOTIFICATIONS,
    CloudWatchOutputConfig: { CloudWatchLogGroupName: cmd.cloudWatchOutput.logGroupName, CloudWatchOutputEnabled: cmd.cloudWatchOutput.enabled },
  };
}
