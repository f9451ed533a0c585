import { randomUUID } from 'node:crypto';
import type {
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommandInput,
  ListCommandInvocationsCommandOutput,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { SsmApi } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import { defaultHost, runScript, type RunOutcome } from './host.js';
import { decodeToken, encodeToken, requestFingerprint } from './paging.js';
import type { SandboxState } from './state.js';
import type { CommandRecord, HostRecord, InvocationResult } from './state-ssm.js';
import { invocationView, listView, NO_NOTIFICATIONS, PLUGIN_NAME, read } from './ssm-invocations.js';
import { liveState, type SandboxWorld } from './world.js';

// SSM Run Command over the sandbox: SendCommand runs AWS-RunShellScript on the
// simulated hosts (host.ts) at once; GetCommandInvocation and ListCommandInvocations
// reveal each invocation's result over successive reads (ssm-invocations.ts).

export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';
const DEFAULT_TIMEOUT = 3600;
const INSTANCE_ID_RE = /^(?:i-(?:\w{8}|\w{17})|mi-\w{17})$/;

const validation = (message: string) => awsError('ValidationException', `1 validation error detected: ${message}`);
const invocationMissing = () => awsError('InvocationDoesNotExist', 'UnknownError');

export function hostOf(state: SandboxState, instanceId: string): HostRecord {
  let host = state.hosts.find((h) => h.instanceId === instanceId);
  if (!host) {
    // A new instance's host is what its NixOS config (its Name's profile) makes it.
    const name = state.instances.find((i) => i.instanceId === instanceId)?.tags.Name;
    const profile = name === undefined ? undefined : state.hostProfiles[name];
    host = { ...defaultHost(instanceId), ...(profile?.backupBucket !== undefined && { backupBucket: profile.backupBucket }) };
    state.hosts.push(host);
  }
  return host;
}

function checkInstances(state: SandboxState, ids: string[]): void {
  // Unknown, unmanaged, or not running: refused at once, as AWS does.
  const bad = ids.filter((id) => {
    if (!state.managedInstances.some((m) => m.instanceId === id)) return true;
    const ec2 = state.instances.find((i) => i.instanceId === id);
    return ec2 !== undefined && ec2.state !== 'running';
  });
  if (bad.length > 0) throw awsError('InvalidInstanceId', `Instances [[${bad.join(', ')}]] not in a valid state for account ${state.accountId}`);
}

function parameters(input: SendCommandCommandInput): { params: Record<string, string[]>; executionTimeout: number } {
  const params = input.Parameters ?? {};
  for (const key of Object.keys(params)) {
    if (key === 'workingDirectory') throw new SandboxUnsupportedError(`SSM SendCommand: ${RUN_SHELL_SCRIPT} parameter "workingDirectory" is not simulated`);
    if (key !== 'commands' && key !== 'executionTimeout')
      throw awsError('InvalidParameters', `Parameter "${key}" is not defined in document ${RUN_SHELL_SCRIPT}.`);
  }
  const commands = params.commands;
  if (!Array.isArray(commands) || commands.length === 0 || commands.some((c) => typeof c !== 'string')) {
    throw awsError('InvalidParameters', `Parameter "commands" of document ${RUN_SHELL_SCRIPT} is required: a list of at least one command.`);
  }
  const timeout = params.executionTimeout;
  let executionTimeout = DEFAULT_TIMEOUT;
  if (timeout !== undefined) {
    const n = timeout.length === 1 && /^\d{1,6}$/.test(timeout[0]!) ? Number(timeout[0]) : NaN;
    if (!(n >= 1 && n <= 172_800)) throw awsError('InvalidParameters', 'Parameter "executionTimeout" must be a whole number of seconds from 1 to 172800.');
    executionTimeout = n;
  }
  return { params: { ...params }, executionTimeout };
}

function resultOf(run: RunOutcome): InvocationResult {
  if (run.lost) return { status: 'Failed', statusDetails: 'Undeliverable', responseCode: -1, stdout: '', stderr: '', delivered: true };
  if (run.code === 0) return { status: 'Success', statusDetails: 'Success', responseCode: 0, stdout: run.stdout, stderr: run.stderr, delivered: true };
  const sep = run.stderr === '' || run.stderr.endsWith('\n') ? '' : '\n';
  const stderr = `${run.stderr}${sep}failed to run commands: exit status ${run.code}`;
  return { status: 'Failed', statusDetails: 'Failed', responseCode: run.code, stdout: run.stdout, stderr, delivered: true };
}

function execute(state: SandboxState, instanceId: string, commands: string[], now: Date): InvocationResult {
  const managed = state.managedInstances.find((m) => m.instanceId === instanceId)!;
  if (managed.pingStatus !== 'Online') {
    return { status: 'Failed', statusDetails: 'Undeliverable', responseCode: -1, stdout: '', stderr: '', delivered: false };
  }
  const host = hostOf(state, instanceId);
  if (host.timeOutNextCommand) {
    delete host.timeOutNextCommand;
    return { status: 'TimedOut', statusDetails: 'ExecutionTimedOut', responseCode: -1, stdout: '', stderr: '', delivered: true };
  }
  const name = state.instances.find((i) => i.instanceId === instanceId)?.tags.Name;
  return resultOf(runScript(host, commands, { name, now, buckets: state.buckets }));
}

export function commandOps(world: SandboxWorld): Pick<SsmApi, 'sendCommand' | 'getCommandInvocation' | 'listCommandInvocations'> {
  const state = liveState(world);
  const find = (commandId: string | undefined) => state.ssmCommands.find((c) => c.commandId === commandId);

  return {
    async sendCommand(input: SendCommandCommandInput): Promise<SendCommandCommandOutput> {
      const op = 'SSM SendCommand';
      rejectUnsupported(op, input, ['DocumentName', 'InstanceIds', 'Parameters', 'Comment', 'TimeoutSeconds', 'CloudWatchOutputConfig']);
      if (input.DocumentName !== RUN_SHELL_SCRIPT) {
        throw new SandboxUnsupportedError(`${op} simulates only the document ${RUN_SHELL_SCRIPT}, not ${JSON.stringify(input.DocumentName)}`);
      }
      const ids = [...new Set(input.InstanceIds ?? [])];
      if (ids.length === 0) throw validation("Value at 'instanceIds' failed to satisfy constraint: give InstanceIds (the sandbox does not simulate Targets)");
      if (ids.length > 50) throw validation("Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");
      const timeoutSeconds = input.TimeoutSeconds ?? DEFAULT_TIMEOUT;
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 30 || timeoutSeconds > 2_592_000) {
        throw validation(`Value '${timeoutSeconds}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000`);
      }
      const comment = input.Comment ?? '';
      if (comment.length > 100) throw validation(`Value at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100`);
      const cw = input.CloudWatchOutputConfig ?? {};
      rejectUnsupported(`${op} CloudWatchOutputConfig`, cw, ['CloudWatchLogGroupName', 'CloudWatchOutputEnabled']);
      const { params, executionTimeout } = parameters(input);
      checkInstances(state, ids);

      const requested = world.now();
      let seq = Math.max(-1, ...state.ssmCommands.flatMap((c) => c.invocations.map((i) => i.seq))) + 1;
      const record: CommandRecord = {
        commandId: randomUUID(),
        documentName: RUN_SHELL_SCRIPT,
        comment,
        parameters: params,
        timeoutSeconds,
        executionTimeoutSeconds: executionTimeout,
        requestedAt: requested.toISOString(),
        cloudWatchOutput: { logGroupName: cw.CloudWatchLogGroupName ?? '', enabled: cw.CloudWatchOutputEnabled ?? false },
        invocations: ids.map((instanceId) => ({ instanceId, seq: seq++, reads: 0, result: execute(state, instanceId, params.commands!, requested) })),
      };
      state.ssmCommands.push(record);
      await world.persist();
      return {
        $metadata: okMetadata(),
        Command: {
          CommandId: record.commandId,
          DocumentName: RUN_SHELL_SCRIPT,
          DocumentVersion: '$DEFAULT',
          Comment: comment,
          // The total timeout: delivery (TimeoutSeconds) plus execution.
          ExpiresAfter: new Date(requested.getTime() + (timeoutSeconds + executionTimeout) * 1000),
          Parameters: structuredClone(params),
          InstanceIds: ids,
          Targets: [],
          RequestedDateTime: requested,
          Status: 'Pending',
          StatusDetails: 'Pending',
          OutputS3Region: state.region,
          OutputS3BucketName: '',
          OutputS3KeyPrefix: '',
          MaxConcurrency: '50',
          MaxErrors: '0',
          TargetCount: ids.length,
          CompletedCount: 0,
          ErrorCount: 0,
          DeliveryTimedOutCount: 0,
          ServiceRole: '',
          NotificationConfig: NO_NOTIFICATIONS,
          CloudWatchOutputConfig: { CloudWatchLogGroupName: record.cloudWatchOutput.logGroupName, CloudWatchOutputEnabled: record.cloudWatchOutput.enabled },
          TimeoutSeconds: timeoutSeconds,
        },
      };
    },

    async getCommandInvocation(input: GetCommandInvocationCommandInput): Promise<GetCommandInvocationCommandOutput> {
      rejectUnsupported('SSM GetCommandInvocation', input, ['CommandId', 'InstanceId', 'PluginName']);
      const id = input.CommandId ?? '';
      if (id.length !== 36) {
        throw validation(
          `Value '${id}' at 'commandId' failed to satisfy constraint: Member must have length ${id.length < 36 ? 'greater' : 'less'} than or equal to 36`,
        );
      }
      if (!INSTANCE_ID_RE.test(input.InstanceId ?? '')) {
        throw validation(
          `Value '${input.InstanceId ?? ''}' at 'instanceId' failed to satisfy constraint: Member must satisfy regular expression pattern: (^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)`,
        );
      }
      if (input.PluginName !== undefined && input.PluginName !== PLUGIN_NAME) throw awsError('InvalidPluginName', 'UnknownError');
      const cmd = find(id);
      const inv = cmd?.invocations.find((i) => i.instanceId === input.InstanceId);
      if (!cmd || !inv) throw invocationMissing();
      const phase = read(inv, world.now());
      await world.persist();
      if (phase === 'absent') throw invocationMissing();
      return invocationView(cmd, inv, phase);
    },

    async listCommandInvocations(input: ListCommandInvocationsCommandInput): Promise<ListCommandInvocationsCommandOutput> {
      const op = 'SSM ListCommandInvocations';
      rejectUnsupported(op, input, ['CommandId', 'InstanceId', 'MaxResults', 'NextToken', 'Details']);
      const max = input.MaxResults ?? 50;
      if (!Number.isInteger(max) || max < 1 || max > 50) {
        throw validation(
          `Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value ${max < 1 ? 'greater than or equal to 1' : 'less than or equal to 50'}`,
        );
      }
      if (input.CommandId !== undefined && !find(input.CommandId)) throw awsError('InvalidCommandId', 'UnknownError');
      const fp = requestFingerprint(input, ['MaxResults', 'NextToken']);
      let before = Number.POSITIVE_INFINITY;
      if (input.NextToken !== undefined) {
        const cursor = decodeToken<number>(op, fp, input.NextToken);
        if (typeof cursor !== 'number') throw awsError('InvalidNextToken', 'The specified token is not valid.');
        before = cursor;
      }
      const now = world.now();
      const matching = state.ssmCommands
        .filter((c) => input.CommandId === undefined || c.commandId === input.CommandId)
        .flatMap((cmd) => cmd.invocations.filter((i) => input.InstanceId === undefined || i.instanceId === input.InstanceId).map((inv) => ({ cmd, inv })))
        .sort((a, b) => b.inv.seq - a.inv.seq);
      // Invocations no read has seen yet are not listed; this read makes them visible.
      const visible = matching.filter(({ inv }) => inv.reads > 0 && inv.seq < before);
      for (const { inv } of matching) if (inv.reads === 0) read(inv, now);
      const page = visible.slice(0, max);
      const more = visible.length > max;
      const list = page.map(({ cmd, inv }) => listView(cmd, inv, read(inv, now), input.Details === true, state.region));
      await world.persist();
      return {
        $metadata: okMetadata(),
        CommandInvocations: list,
        ...(more && { NextToken: encodeToken(op, fp, page.at(-1)!.inv.seq) }),
      };
    },
  };
}
