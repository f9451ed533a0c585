import type { PollBudget } from './rollout-poll.js';
import type { SnapshotSummary } from './backup.js';

// `claw backup now`: how long to wait for the host's backup unit, what its outcome says,
// and whether the newest snapshot afterwards is the run's own.

/** A backup takes seconds to minutes: look after 1 s, back off to 15 s, give up after 30 min. */
export const BACKUP_POLL_BUDGET: PollBudget = { initialMs: 1_000, factor: 2, maxIntervalMs: 15_000, timeoutMs: 30 * 60_000, maxCalls: 150 };
/** The sandbox's Run Command moves on per read, not with time: poll it quickly. */
export const SANDBOX_POLL_BUDGET: PollBudget = { initialMs: 50, factor: 2, maxIntervalMs: 250, timeoutMs: 20_000, maxCalls: 150 };

/** What `claw backup now` reports: the host, and the snapshot its run made (if any). */
export interface BackupNowReport {
  host: string;
  instanceId: string;
  bucket: string;
  snapshot: SnapshotSummary | null;
  isNew: boolean;
  previous: SnapshotSummary | null;
}

/**
 * Whether `after` (the newest snapshot once a backup ran) is the run's own: a later stamp
 * than the newest before it, or the same minute's snapshot written again (a second backup
 * in one minute copies into the same folder, so its objects are newer).
 */
export function isNewSnapshot(before: SnapshotSummary | null, after: SnapshotSummary | null): boolean {
  if (after === null) return false;
  if (before === null) return true;
  if (Date.parse(after.time) > Date.parse(before.time)) return true;
  return after.stamp === before.stamp && Date.parse(after.lastModified) > Date.parse(before.lastModified);
}

// ---- the backup unit's outcome (backupCommands() in ssm-script.ts ends with `systemctl show`) ----

export interface BackupUnitOutcome {
  ok: boolean;
  result: string | null;
  exitStatus: number | null;
}

export function parseBackupUnitOutput(stdout: string): BackupUnitOutcome {
  const result = /^Result=(.*)$/m.exec(stdout)?.[1]?.trim() ?? null;
  const status = /^ExecMainStatus=(\d+)\s*$/m.exec(stdout)?.[1];
  const exitStatus = status === undefined ? null : Number(status);
  return { ok: result === 'success' && exitStatus === 0, result, exitStatus };
}
