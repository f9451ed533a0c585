import { z } from 'zod';

// The persisted shape of SSM Run Command in the sandbox: the commands sent and their
// invocations, and the tiny deterministic "host" each managed instance is (see
// host.ts and the "Run Command simulation" section of fixtures/sandbox/README.md).

const isoTime = z.iso.datetime();

export const SERVICE_STATES = ['active', 'inactive', 'failed'] as const;
export type ServiceStateName = (typeof SERVICE_STATES)[number];

/** A transient `claw-switch-<rev>` unit started by systemd-run (Type=simple, RemainAfterExit=yes). */
export const unitRecord = z.strictObject({
  name: z.string(),
  rev: z.string(),
  /** running: nixos-rebuild still runs; exited: it succeeded; failed: it failed. */
  state: z.enum(['running', 'exited', 'failed']),
  /** `systemctl show` polls that still see it running. */
  pollsLeft: z.number().int().nonnegative(),
  /** Decided when the switch starts: a failure message, or the revision it installs. */
  failure: z.string().optional(),
  installsRevision: z.string().nullable(),
});
export type UnitRecord = z.infer<typeof unitRecord>;

export const hostRecord = z.strictObject({
  instanceId: z.string(),
  /** The running system's configurationRevision (/run/current-system/configurationRevision, nixos-version --json); null: none. */
  currentRev: z.string().nullable(),
  /** false: the system writes no /run/current-system/configurationRevision (stock NixOS: only nixos-version --json tells). */
  revisionFile: z.boolean().optional(),
  /** /var/lib/clawd/deploy after `install -d`: the last good switch's time (`date -Is`) and rev, as recorded there. */
  deployRecord: z.strictObject({ time: z.string().optional(), rev: z.string().optional() }).optional(),
  /** `systemctl is-active clawdinator`. */
  clawdinator: z.enum(SERVICE_STATES).default('active'),
  /** Loaded claw-switch units. */
  units: z.array(unitRecord).default([]),
  /** The journal per unit name (kept after the unit is unloaded, as journald does). */
  journal: z.record(z.string(), z.array(z.string())).default({}),
  /** An OpenClaw host: the bucket its openclaw-s3-backup / -restore units use (absent: no such units, no openclaw.service). */
  backupBucket: z.string().optional(),
  /** `systemctl is-active openclaw` on an OpenClaw host. */
  openclaw: z.enum(SERVICE_STATES).default('active'),
  /** The last outcome of each oneshot unit that ran (openclaw-s3-backup, openclaw-s3-restore). */
  oneshots: z.record(z.string(), z.strictObject({ result: z.enum(['success', 'exit-code']), execMainStatus: z.number().int() })).default({}),
  /** Units `systemctl disable --now` turned off: not started again by a reboot. */
  disabled: z.array(z.string()).optional(),
  /** Reboots so far (`systemd-run --on-active=N systemctl reboot`). */
  reboots: z.number().int().nonnegative().optional(),
  /** /var/lib/clawdinator/workspace exists (an OpenClaw restore of a non-empty latest/ makes it). */
  workspace: z.boolean().optional(),
  /** Files in /var/lib/clawdinator/secrets (absent: no such folder). */
  secretFiles: z.number().int().nonnegative().optional(),
  /** Every switch stays running for this many `systemctl show` polls (default 1). */
  switchDurationPolls: z.number().int().nonnegative().optional(),
  // One-shot faults, consumed by the next switch (or the next command) on this host.
  failNextSwitch: z.strictObject({ message: z.string() }).optional(),
  agentRestartOnNextSwitch: z.boolean().optional(),
  revisionMismatchOnNextSwitch: z.string().optional(),
  timeOutNextCommand: z.boolean().optional(),
  /** One-shot faults of the backup lane: the next start of that unit fails with this message. */
  failNextBackup: z.strictObject({ message: z.string() }).optional(),
  failNextRestore: z.strictObject({ message: z.string() }).optional(),
});
export type HostRecord = z.infer<typeof hostRecord>;

/** How an invocation ends (decided when the command is sent; revealed over successive reads). */
export const invocationResult = z.strictObject({
  status: z.enum(['Success', 'Failed', 'TimedOut']),
  statusDetails: z.enum(['Success', 'Failed', 'ExecutionTimedOut', 'Undeliverable']),
  responseCode: z.number().int(),
  /** Whole output; the API cuts it (24,000 / 8,000 chars) when it is read. */
  stdout: z.string(),
  stderr: z.string(),
  /** false: the agent never picked it up (Pending until it ends Undeliverable). */
  delivered: z.boolean(),
});
export type InvocationResult = z.infer<typeof invocationResult>;

export const invocationRecord = z.strictObject({
  instanceId: z.string(),
  /** Orders ListCommandInvocations (newest first) and pages it. */
  seq: z.number().int().nonnegative(),
  /** How many reads (GetCommandInvocation, or a ListCommandInvocations page) have seen it. */
  reads: z.number().int().nonnegative(),
  result: invocationResult,
  startedAt: isoTime.optional(),
  endedAt: isoTime.optional(),
});
export type InvocationRecord = z.infer<typeof invocationRecord>;

export const commandRecord = z.strictObject({
  commandId: z.string(),
  documentName: z.string(),
  comment: z.string(),
  parameters: z.record(z.string(), z.array(z.string())),
  timeoutSeconds: z.number().int().positive(),
  executionTimeoutSeconds: z.number().int().positive(),
  requestedAt: isoTime,
  cloudWatchOutput: z.strictObject({ logGroupName: z.string(), enabled: z.boolean() }),
  invocations: z.array(invocationRecord),
});
export type CommandRecord = z.infer<typeof commandRecord>;
