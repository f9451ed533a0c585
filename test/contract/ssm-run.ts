import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import type { SsmApi } from '../../src/aws/clients.js';

// Run a command to its end the way a client of Run Command must: SendCommand, then
// GetCommandInvocation until a terminal status, retrying InvocationDoesNotExist (normal
// right after SendCommand). No sleeping: the sandbox and the recorded answers move on
// per read, and moto answers the end at once.

export const DOC = 'AWS-RunShellScript';
const RUNNING = ['Pending', 'InProgress', 'Delayed', 'Cancelling'];

export interface RunResult {
  commandId: string;
  /** Every read in order: a Status, or `InvocationDoesNotExist`. */
  seen: string[];
  /** Every answer in order (the reads that did not throw). */
  views: GetCommandInvocationCommandOutput[];
  out: GetCommandInvocationCommandOutput;
}

export async function readToEnd(ssm: SsmApi, commandId: string, instanceId: string, maxReads = 20): Promise<RunResult> {
  const seen: string[] = [];
  const views: GetCommandInvocationCommandOutput[] = [];
  for (let n = 0; n < maxReads; n++) {
    try {
      const out = await ssm.getCommandInvocation({ CommandId: commandId, InstanceId: instanceId });
      seen.push(out.Status!);
      views.push(out);
      if (!RUNNING.includes(out.Status!)) return { commandId, seen, views, out };
    } catch (err) {
      if ((err as Error).name !== 'InvocationDoesNotExist') throw err;
      seen.push('InvocationDoesNotExist');
    }
  }
  throw new Error(`command ${commandId} on ${instanceId} did not end within ${maxReads} reads: ${seen.join(', ')}`);
}

export async function runToEnd(ssm: SsmApi, instanceId: string, commands: string[], comment?: string): Promise<RunResult> {
  const sent = await ssm.sendCommand({
    DocumentName: DOC,
    InstanceIds: [instanceId],
    Parameters: { commands },
    ...(comment !== undefined && { Comment: comment }),
  });
  return readToEnd(ssm, sent.Command!.CommandId!, instanceId);
}
