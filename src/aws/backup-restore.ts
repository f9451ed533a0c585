import { RemoteError } from '../core/errors.js';
import { backupComment, restoreCommands, tailLines } from '../core/ssm-script.js';
import type { SsmApi } from './clients.js';
import { runOnBackupHost, type BackupHost } from './backup-now.js';
import type { PollMeter, Sleep } from './run-command.js';

// `claw backup restore --restart HOST`: the host's restore unit (latest/ -> disk), then
// openclaw.service restarted on what was restored, then whether it came back.

export interface RestoreRun {
  commandId: string;
  /** `systemctl is-active openclaw.service` after the restart. */
  active: boolean;
  tail: string[];
}

export async function runRestoreUnit(
  ssm: SsmApi,
  target: BackupHost,
  o: { meter: PollMeter; signal?: AbortSignal | undefined; sleep?: Sleep | undefined },
): Promise<RestoreRun> {
  const r = await runOnBackupHost(
    ssm,
    target,
    {
      commands: restoreCommands(),
      comment: backupComment('restore', target.host),
      whatNow:
        'the SSM agent must be online on the host; latest/ is restored, run the restore on the host by hand: systemctl start openclaw-s3-restore.service && systemctl restart openclaw.service',
    },
    o,
  );
  const tail = tailLines(`${r.stdout}\n${r.stderr}`, 15);
  const last = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
  const run: RestoreRun = { commandId: r.commandId, active: r.status === 'Success' && last === 'active', tail };
  if (run.active) return run;
  const why =
    r.status !== 'Success'
      ? `the command ended ${r.status}${r.responseCode >= 0 ? `, exit ${r.responseCode}` : ''}`
      : `openclaw.service is ${last ?? 'not active'} after the restart`;
  throw new RemoteError(
    `restore on ${target.host} (${target.instanceId}) failed: ${why}${tail.length ? `\n  ${tail.join('\n  ')}` : ''}`,
    "latest/ holds the restored state; the host's journal has the rest: journalctl -u openclaw-s3-restore.service -u openclaw.service",
  );
}
