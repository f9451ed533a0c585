import { readBackupListing, type BackupBucket } from '../../aws/backup.js';
import { BackupUnitFailed, findBackupHost, runBackupUnit, type BackupHost } from '../../aws/backup-now.js';
import { PollMeter } from '../../aws/run-command.js';
import { BACKUP_UNIT, type BackupTarget, type SnapshotSummary } from '../../core/backup.js';
import { BACKUP_POLL_BUDGET, isNewSnapshot, SANDBOX_POLL_BUDGET, type BackupNowReport } from '../../core/backup-unit.js';
import type { ServiceDeps } from '../deps.js';

// `claw backup now <host>` and `b` in the dashboard: the host's backup unit started
// through Run Command and waited for, then the snapshot it made looked up. Mutating but
// not destructive: a plan, no prompt.

export interface BackupNowPlan {
  /** The plan in one line. */
  text: string;
  host: BackupHost;
  bucket: BackupBucket;
  /** The newest snapshot before the run: "new" is judged against it. */
  before: SnapshotSummary | null;
}

export interface BackupNowResult extends BackupNowReport {
  commandId: string;
  unit: { result: string | null; exitStatus: number | null };
}

/** The host (one running OpenClaw instance of the stack) and the newest snapshot now; nothing sent. */
export async function planBackupNow(deps: ServiceDeps, req: { target: BackupTarget; stack: string | undefined; bucket: BackupBucket }): Promise<BackupNowPlan> {
  const { ec2, s3 } = await deps.clients();
  const host = await findBackupHost(ec2, req.target, req.stack);
  // Read before sending: a missing bucket stops here, and "new" needs a before.
  const before = (await readBackupListing(s3, req.bucket)).snapshots[0] ?? null;
  const text = `start ${BACKUP_UNIT} on ${host.host} (${host.instanceId}), then look for its snapshot in s3://${req.bucket.name}/snapshots/`;
  return { text, host, bucket: req.bucket, before };
}

/** Run the plan: the unit started and waited for, then the snapshot it made (or a warning that none appeared). */
export async function runBackupNow(deps: ServiceDeps, plan: BackupNowPlan): Promise<BackupNowResult> {
  const { ssm, s3 } = await deps.clients();
  const { host, bucket, before } = plan;
  deps.events.emit({ type: 'planned', summary: plan.text });
  const step = `backup ${host.host}`;
  deps.events.emit({ type: 'step-started', step, detail: `${BACKUP_UNIT} via SSM Run Command` });
  let run;
  try {
    run = await runBackupUnit(ssm, host, { meter: new PollMeter(deps.sandbox ? SANDBOX_POLL_BUDGET : BACKUP_POLL_BUDGET), signal: deps.signal });
  } catch (err) {
    deps.events.emit({
      type: 'step-finished',
      step,
      outcome: 'failed',
      detail: err instanceof BackupUnitFailed ? `result ${err.run.result ?? err.run.status}` : undefined,
    });
    throw err;
  }
  deps.events.emit({ type: 'step-finished', step, outcome: 'ok', detail: `command ${run.commandId}` });
  const after = (await readBackupListing(s3, bucket)).snapshots[0] ?? null;
  const isNew = isNewSnapshot(before, after);
  if (!isNew) deps.log.warn(`${BACKUP_UNIT} succeeded but no snapshot newer than ${before?.stamp ?? '(none)'} appeared in s3://${bucket.name}/snapshots/`);
  return {
    host: host.host,
    instanceId: host.instanceId,
    bucket: bucket.name,
    snapshot: isNew ? after : null,
    isNew,
    previous: before,
    commandId: run.commandId,
    unit: { result: run.result, exitStatus: run.exitStatus },
  };
}
