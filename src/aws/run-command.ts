import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { InterruptedError, RemoteError } from '../core/errors.js';
import { DEFAULT_POLL_BUDGET, pollSchedule, type PollBudget, type PollSchedule } from '../core/rollout-poll.js';
import { SSM_DOCUMENT, SSM_OUTPUT_LIMIT } from '../core/ssm-script.js';
import type { SsmApi } from './clients.js';
import { isTransientAwsError, retryTransient } from './transient.js';

// One AWS-RunShellScript command on one instance: SendCommand, then
// GetCommandInvocation with backoff until the invocation ends. Right after SendCommand
// SSM answers InvocationDoesNotExist for a while: that is retried, not an error, and so
// is a poll that failed transiently (throttling, a 5xx). Every read is charged to the
// host's PollMeter, a hard cap shared by all the commands a deploy sends to that host
// (DESIGN §3: a fixed API-call budget per host).

/** The per-host budget: calls made and time waited so far, against PollBudget. */
export class PollMeter {
  readonly schedule: PollSchedule;
  calls = 0;
  waitedMs = 0;
  constructor(readonly budget: PollBudget = DEFAULT_POLL_BUDGET) {
    this.schedule = pollSchedule(budget);
  }
  /**
   * The wait before read number `attempt` of one wait sequence (the ramp restarts for
   * each command, so quick commands stay quick), or undefined when the host's budget
   * (calls or time) is spent.
   */
  take(attempt: number): number | undefined {
    const delay = this.schedule.delaysMs[Math.min(attempt, this.schedule.delaysMs.length - 1)]!;
    if (this.calls >= this.budget.maxCalls || this.waitedMs + delay > this.budget.timeoutMs) return undefined;
    this.calls++;
    this.waitedMs += delay;
    return delay;
  }
}

/** The host's budget ran out before SSM reported an end. */
export class PollBudgetExceeded extends RemoteError {
  constructor(
    readonly instanceId: string,
    readonly calls: number,
    readonly waitedMs: number,
  ) {
    super(`no result from ${instanceId} within the poll budget (${calls} calls, ${Math.round(waitedMs / 1000)}s)`);
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface RunCommandInput {
  ssm: SsmApi;
  instanceId: string;
  commands: string[];
  comment: string;
  meter: PollMeter;
  signal?: AbortSignal | undefined;
  sleep?: Sleep | undefined;
  /** Delivery timeout (SendCommand TimeoutSeconds, 30..), default 600. */
  deliveryTimeoutSeconds?: number | undefined;
  /** The script's own timeout (executionTimeout), default 600. */
  executionTimeoutSeconds?: number | undefined;
  /** The script only reads: a SendCommand that failed transiently may be sent again. */
  retrySend?: boolean | undefined;
}

export type FinalStatus = 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';
const FINAL = new Set<string>(['Success', 'Failed', 'TimedOut', 'Cancelled']);

export interface CommandResult {
  commandId: string;
  status: FinalStatus;
  statusDetails: string;
  responseCode: number;
  /** At most SSM_OUTPUT_LIMIT characters (SSM's inline cut). */
  stdout: string;
  stderr: string;
  /** stdout reached SSM's cut: the end of it is missing. */
  truncated: boolean;
}

const isInvocationMissing = (err: unknown) => (err as Error | undefined)?.name === 'InvocationDoesNotExist';

/** Send `commands` to one instance and wait for the invocation's end (or PollBudgetExceeded). */
export async function runCommand(input: RunCommandInput): Promise<CommandResult> {
  const wait = input.sleep ?? sleep;
  input.signal?.throwIfAborted();
  const send = () =>
    input.ssm.sendCommand({
      DocumentName: SSM_DOCUMENT,
      InstanceIds: [input.instanceId],
      Parameters: { commands: input.commands, executionTimeout: [String(input.executionTimeoutSeconds ?? 600)] },
      Comment: input.comment,
      TimeoutSeconds: input.deliveryTimeoutSeconds ?? 600,
    });
  const sent = input.retrySend ? await retryTransient(send, { sleep: (ms) => wait(ms, input.signal) }) : await send();
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new RemoteError(`SSM SendCommand to ${input.instanceId} answered without a CommandId`);
  for (let attempt = 0; ; attempt++) {
    const delay = input.meter.take(attempt);
    if (delay === undefined) throw new PollBudgetExceeded(input.instanceId, input.meter.calls, input.meter.waitedMs);
    await wait(delay, input.signal);
    let out: GetCommandInvocationCommandOutput;
    try {
      out = await input.ssm.getCommandInvocation({ CommandId: commandId, InstanceId: input.instanceId });
    } catch (err) {
      // A poll is a read: one that was throttled or failed transiently is asked again
      // (charged to the budget), rather than failing a host whose command runs fine.
      if (isInvocationMissing(err) || isTransientAwsError(err)) continue;
      throw err;
    }
    if (out.Status === undefined || !FINAL.has(out.Status)) continue;
    const stdout = (out.StandardOutputContent ?? '').slice(0, SSM_OUTPUT_LIMIT);
    return {
      commandId,
      status: out.Status as FinalStatus,
      statusDetails: out.StatusDetails ?? out.Status,
      responseCode: out.ResponseCode ?? -1,
      stdout,
      stderr: out.StandardErrorContent ?? '',
      truncated: stdout.length >= SSM_OUTPUT_LIMIT,
    };
  }
}
