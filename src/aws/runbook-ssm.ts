import { SSM_COMMENT_MAX } from '../core/ssm-script.js';
import type { PollBudget } from '../core/rollout-poll.js';
import { HOSTNAME_RE } from '../core/patterns.js';
import { UsageError } from '../core/errors.js';
import type { Ec2Api, SsmApi } from './clients.js';
import { listFleetInstances } from './instances.js';
import { PollBudgetExceeded, PollMeter, runCommand, type Sleep } from './run-command.js';
import { pingInstances } from './ssm-ping.js';

// A runbook's `ssm` step: the registry host -> its one running instance (the same
// resolution deploy uses: instance tag + Name), SSM reaches it, then the runbook's own
// command lines through AWS-RunShellScript (src/aws/run-command.ts), polled within a
// budget sized from the step's timeout. The command's outcome is a result; a failed AWS
// call throws (the caller records the step failed and reports the error).

export interface SsmStepInput {
  ec2: Ec2Api;
  ssm: SsmApi;
  instanceTag: { key: string; value: string };
  host: string;
  commands: string[];
  timeoutMs: number;
  comment: string;
  budget: PollBudget;
  signal?: AbortSignal | undefined;
  sleep?: Sleep | undefined;
  output(line: string): void;
}

export interface SsmStepResult {
  ok: boolean;
  exitCode?: number | undefined;
  error?: string | undefined;
  instanceId?: string | undefined;
}

export function ssmStepComment(runbook: string, stepId: string): string {
  return `claw migrate ${runbook} ${stepId}`.slice(0, SSM_COMMENT_MAX);
}

const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

export async function runSsmStep(input: SsmStepInput): Promise<SsmStepResult> {
  if (!HOSTNAME_RE.test(input.host)) throw new UsageError(`ssm step: host ${JSON.stringify(input.host)} is not a valid hostname`);
  const fleet = await listFleetInstances(input.ec2, input.instanceTag);
  const mine = fleet.filter((i) => i.name === input.host);
  const tag = `${input.instanceTag.key}=${input.instanceTag.value}`;
  if (mine.length === 0) return { ok: false, error: `${input.host}: no instance tagged ${tag} and Name=${input.host} in pending|running|stopping|stopped` };
  if (mine.length > 1)
    return { ok: false, error: `${input.host}: ${mine.length} instances (${mine.map((i) => `${i.instanceId} ${i.state}`).join(', ')}); expected exactly one` };
  const instance = mine[0]!;
  if (instance.state !== 'running')
    return { ok: false, error: `${input.host}: instance ${instance.instanceId} is ${instance.state}, not running`, instanceId: instance.instanceId };

  const pings = await pingInstances(input.ssm, [instance.instanceId]);
  if ('unavailable' in pings) return { ok: false, error: `cannot check that SSM reaches ${input.host}: ${pings.unavailable}`, instanceId: instance.instanceId };
  const ping = pings.pings.get(instance.instanceId) ?? 'not-managed';
  if (ping !== 'online') return { ok: false, error: `SSM cannot reach ${input.host} (${instance.instanceId}: ${ping})`, instanceId: instance.instanceId };

  input.output(`ssm: ${input.host} is ${instance.instanceId}; sending ${input.commands.length} command line${input.commands.length > 1 ? 's' : ''}`);
  const seconds = Math.max(30, Math.ceil(input.timeoutMs / 1000));
  // The host gets the step's timeout; polling may take a little longer to see its end.
  const meter = new PollMeter({ ...input.budget, timeoutMs: input.timeoutMs + 60_000 });
  try {
    const result = await runCommand({
      ssm: input.ssm,
      instanceId: instance.instanceId,
      commands: input.commands,
      comment: input.comment,
      meter,
      signal: input.signal,
      sleep: input.sleep,
      executionTimeoutSeconds: seconds,
      deliveryTimeoutSeconds: Math.max(30, Math.min(seconds, 600)),
    });
    for (const l of lines(result.stdout)) input.output(l);
    for (const l of lines(result.stderr)) input.output(l);
    if (result.truncated) input.output('ssm: (output cut by SSM at 24,000 characters)');
    const ok = result.status === 'Success' && result.responseCode === 0;
    if (ok) return { ok: true, exitCode: 0, instanceId: instance.instanceId };
    const code = result.responseCode >= 0 ? result.responseCode : undefined;
    const why = code !== undefined ? `exit code ${code} on ${input.host}` : `${result.status} on ${input.host} (${result.statusDetails})`;
    return { ok: false, exitCode: code, error: why, instanceId: instance.instanceId };
  } catch (err) {
    if (err instanceof PollBudgetExceeded) return { ok: false, error: err.message, instanceId: instance.instanceId };
    throw err;
  }
}
