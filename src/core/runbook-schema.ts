import { z } from 'zod';
import { HOSTNAME_RE } from './patterns.js';

// The runbook file's shape (`claw migrate`): zod schemas for the YAML, and the types the
// rest of claw works with (durations already in milliseconds, defaults filled in).
// src/core/runbook-parse.ts turns zod's issues into `file:line:col` errors.

export const STEP_KINDS = ['run', 'ssm', 'check', 'wait', 'manual'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Step and phase ids end up in file names (logs/<id>.log) and on command lines. */
export const RUNBOOK_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The runbook name is a folder under .claw/runbooks/. */
export const RUNBOOK_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DURATION_RE = /^(\d+[smhd])+$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

interface StepBase {
  id: string;
  title: string | undefined;
}
interface LocalCommand {
  argv: string[];
  cwd: string | undefined;
  env: Record<string, string>;
}
export interface RunStep extends StepBase, LocalCommand {
  kind: 'run';
  timeoutMs: number | undefined;
}
export interface CheckStep extends StepBase, LocalCommand {
  kind: 'check';
  timeoutMs: number;
}
export interface WaitStep extends StepBase, LocalCommand {
  kind: 'wait';
  intervalMs: number;
  timeoutMs: number;
}
export interface SsmStep extends StepBase {
  kind: 'ssm';
  host: string;
  commands: string[];
  timeoutMs: number;
}
export interface ManualStep extends StepBase {
  kind: 'manual';
  instructions: string;
}
export type Step = RunStep | CheckStep | WaitStep | SsmStep | ManualStep;
export type CommandStep = RunStep | CheckStep | WaitStep;

export interface Phase {
  id: string;
  title: string;
  reversible: boolean;
  disruptive: boolean;
  steps: Step[];
  /** Run in this order when the phase is rolled back (only reversible phases have them). */
  rollback: Step[];
}

export interface Runbook {
  name: string;
  description: string;
  preflight: CheckStep[];
  phases: Phase[];
}

export const DEFAULTS = { checkTimeoutMs: 10 * 60_000, waitIntervalMs: 30_000, waitTimeoutMs: 30 * 60_000, ssmTimeoutMs: 10 * 60_000 } as const;

function durationMs(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

/** A type error's message, except for a missing key (zod's own, which describeIssue turns into "is missing"). */
const msg = (text: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? undefined : text) });

const duration = z
  .string(msg('is not a duration (like 90s, 30m, 2h)'))
  .regex(DURATION_RE, 'is not a duration (like 90s, 30m, 2h)')
  .transform(durationMs)
  .refine((ms) => ms > 0, 'must be more than 0')
  // claw waits with one timer, whose longest wait is 2^31 - 1 ms (24.8 days).
  .refine((ms) => ms <= MAX_DURATION_MS, 'must be at most 24d (claw waits with one timer)');

/** The longest timeout or interval a runbook may ask for. */
export const MAX_DURATION_MS = 24 * 86_400_000;

const text = (what: string) =>
  z
    .string(msg(`must be ${what}`))
    .trim()
    .min(1, `must be ${what}`);
const id = z
  .string(msg('must be an id'))
  .regex(RUNBOOK_ID_RE, "is not a valid id (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)");
const argv = z
  .array(
    z.string(msg('each argument must be a string')).min(1, 'an argument is empty'),
    msg('must be a list of arguments, like [systemctl, status, sshd] (no shell)'),
  )
  .min(1, 'must name a program');
const env = z.record(
  z.string().regex(ENV_KEY_RE, 'is not an environment variable name'),
  z.union([z.string(), z.number(), z.boolean()], msg('environment values must be strings')).transform(String),
  msg('must be a map of NAME: value'),
);

const base = { id, title: text('a title').optional() };
const local = { argv, cwd: text('a folder').optional(), env: env.optional() };

const runSchema = z.strictObject({ ...base, kind: z.literal('run'), ...local, timeout: duration.optional() });
const checkSchema = z.strictObject({ ...base, kind: z.literal('check'), ...local, timeout: duration.optional() });
const waitSchema = z.strictObject({ ...base, kind: z.literal('wait'), ...local, interval: duration.optional(), timeout: duration.optional() });
const ssmSchema = z.strictObject({
  ...base,
  kind: z.literal('ssm'),
  host: z.string(msg('must be a host of nix/instances.json')).regex(HOSTNAME_RE, 'is not a valid hostname (lower-case letters, digits and -)'),
  commands: z
    .array(z.string(msg('each command must be a string')).min(1, 'a command is empty'), msg('must be a list of command lines'))
    .min(1, 'must hold at least one command'),
  timeout: duration.optional(),
});
const manualSchema = z.strictObject({ ...base, kind: z.literal('manual'), instructions: text('the instructions for the operator') });

const stepSchema = z.discriminatedUnion('kind', [runSchema, checkSchema, waitSchema, ssmSchema, manualSchema]);
type RawStep = z.infer<typeof stepSchema>;

const phaseSchema = z.strictObject({
  id,
  title: text('a title'),
  reversible: z.boolean(msg('must be true or false (can this phase be rolled back?)')),
  disruptive: z.boolean(msg('must be true or false')).optional(),
  steps: z.array(stepSchema, msg('must be a list of steps')).min(1, 'must hold at least one step'),
  rollback: z.array(stepSchema, msg('must be a list of steps')).optional(),
});

export const runbookSchema = z.strictObject({
  name: z
    .string(msg('must be the runbook name'))
    .regex(RUNBOOK_NAME_RE, "is not a valid name (lower-case letters, digits, '.', '_' and '-'; it names a folder)"),
  description: text('a description'),
  preflight: z.array(stepSchema, msg('must be a list of check steps')).optional(),
  phases: z.array(phaseSchema, msg('must be a list of phases')).min(1, 'must hold at least one phase'),
});
export type RawRunbook = z.infer<typeof runbookSchema>;

export function toStep(raw: RawStep): Step {
  const common = { id: raw.id, title: raw.title };
  switch (raw.kind) {
    case 'run':
      return { ...common, kind: 'run', argv: raw.argv, cwd: raw.cwd, env: raw.env ?? {}, timeoutMs: raw.timeout };
    case 'check':
      return { ...common, kind: 'check', argv: raw.argv, cwd: raw.cwd, env: raw.env ?? {}, timeoutMs: raw.timeout ?? DEFAULTS.checkTimeoutMs };
    case 'wait':
      return {
        ...common,
        kind: 'wait',
        argv: raw.argv,
        cwd: raw.cwd,
        env: raw.env ?? {},
        intervalMs: raw.interval ?? DEFAULTS.waitIntervalMs,
        timeoutMs: raw.timeout ?? DEFAULTS.waitTimeoutMs,
      };
    case 'ssm':
      return { ...common, kind: 'ssm', host: raw.host, commands: raw.commands, timeoutMs: raw.timeout ?? DEFAULTS.ssmTimeoutMs };
    case 'manual':
      return { ...common, kind: 'manual', instructions: raw.instructions.trim() };
  }
}

export function toRunbook(raw: RawRunbook): Runbook {
  return {
    name: raw.name,
    description: raw.description,
    preflight: (raw.preflight ?? []).map(toStep) as CheckStep[],
    phases: raw.phases.map((p) => ({
      id: p.id,
      title: p.title,
      reversible: p.reversible,
      disruptive: p.disruptive ?? false,
      steps: p.steps.map(toStep),
      rollback: (p.rollback ?? []).map(toStep),
    })),
  };
}

/** Every step of the runbook with where it lives. */
export interface StepPlace {
  step: Step;
  phase: Phase | undefined;
  role: 'preflight' | 'forward' | 'rollback';
}

export function allSteps(rb: Runbook): StepPlace[] {
  return [
    ...rb.preflight.map((step) => ({ step, phase: undefined, role: 'preflight' as const })),
    ...rb.phases.flatMap((phase) => [
      ...phase.steps.map((step) => ({ step, phase, role: 'forward' as const })),
      ...phase.rollback.map((step) => ({ step, phase, role: 'rollback' as const })),
    ]),
  ];
}

export function findStep(rb: Runbook, stepId: string): StepPlace | undefined {
  return allSteps(rb).find((p) => p.step.id === stepId);
}
