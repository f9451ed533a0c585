import { parseRevInput, resolveDeployTarget } from '../../core/deploy-target.js';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_POLL_BUDGET, type PollBudget } from '../../core/rollout-poll.js';
import { planRollout } from '../../core/rollout.js';
import type { ServiceDeps } from '../deps.js';
import type { DeployRequest } from './plan.js';

// A deploy's request from what the operator typed (`claw deploy` or `d` in the
// dashboard): every input checked before anything is asked or sent.

export interface DeployInput {
  target: string | undefined;
  rev?: string | undefined;
  /** Hosts at a time after the canaries, already checked (a whole number from 1 to 1000). */
  parallel?: number | undefined;
  canary?: string | undefined;
  caller?: string | undefined;
  eval?: boolean | undefined;
  bootstrap?: boolean | undefined;
  pollBudget?: string | undefined;
}

/** `--poll-budget initial=MS,max=MS,timeout=MS,calls=N` (any subset) over the default. */
export function parsePollBudget(raw: string | undefined, sandbox = false): PollBudget {
  // The simulated account answers at once and advances per poll: no reason to wait for real.
  const base: PollBudget = sandbox ? { ...DEFAULT_POLL_BUDGET, initialMs: 50, maxIntervalMs: 250, timeoutMs: 20_000 } : DEFAULT_POLL_BUDGET;
  if (raw === undefined) return base;
  const keys = { initial: 'initialMs', max: 'maxIntervalMs', timeout: 'timeoutMs', calls: 'maxCalls' } as const;
  const out: PollBudget = { ...base };
  for (const part of raw.split(',')) {
    const m = /^(initial|max|timeout|calls)=(\d{1,9})$/.exec(part.trim());
    if (!m) throw new UsageError(`--poll-budget ${JSON.stringify(raw)}: expected initial=MS,max=MS,timeout=MS,calls=N`);
    out[keys[m[1] as keyof typeof keys]] = Number(m[2]);
  }
  return out;
}

/** The target, rev, canary order and poll budget of a deploy, validated. */
export function deployRequest(deps: Pick<ServiceDeps, 'config' | 'registry' | 'sandbox'>, input: DeployInput): DeployRequest {
  const v = deps.config.values;
  const target = resolveDeployTarget({ target: input.target, caller: input.caller ?? v.caller, registry: deps.registry() });
  const rev = input.rev === undefined ? undefined : parseRevInput(input.rev);
  const plan = planRollout({
    hosts: target.hosts,
    canaryOrder: v.canaryOrder,
    canary: input.canary?.split(',').map((s) => s.trim()),
    parallel: input.parallel,
  });
  return {
    verb: 'deploy',
    target,
    rev,
    plan,
    eval: input.eval !== false,
    bootstrap: input.bootstrap !== false,
    budget: parsePollBudget(input.pollBudget, deps.sandbox),
  };
}
