import type { LaneUnit, LineResult, Service } from './host-lines.js';
import { copiedRecord } from './s3-copy.js';
import type { BucketRecord } from './state.js';
import type { HostRecord } from './state-ssm.js';
import { snapshotStamp } from './time.js';

// The backup lane on a simulated OpenClaw host (one with a backup bucket): the oneshot
// units openclaw-s3-backup (sync to latest/, then a server-side copy of latest/ to
// snapshots/<UTC YYYY-MM-DD-HH-MM>/) and openclaw-s3-restore (latest/ to disk), and
// openclaw.service. A host without a backup bucket has none of these units, as systemd
// would say.

/** What the host sees of the account: its S3 buckets, and the time. */
export interface HostEnv {
  /** The instance's Name tag. */
  name: string | undefined;
  now: Date;
  buckets: BucketRecord[];
}

const DESCRIPTION: Record<LaneUnit, string> = {
  'openclaw-s3-backup': 'OpenClaw S3 backup',
  'openclaw-s3-restore': 'OpenClaw S3 restore',
};
const LATEST = 'latest/';

const notFound = (verb: string, unit: string): LineResult => ({ err: `Failed to ${verb} ${unit}.service: Unit ${unit}.service not found.\n`, code: 5 });

function log(host: HostRecord, unit: string, ...lines: string[]): void {
  host.journal[unit] = [...(host.journal[unit] ?? []), ...lines];
}

/** The backup: latest/ refreshed (the host's sync), then copied to this minute's snapshot folder. */
function backup(bucket: BucketRecord, now: Date): string[] {
  const latest = bucket.objects.filter((o) => o.key.startsWith(LATEST)).map((o) => ({ ...o, lastModified: now.toISOString() }));
  const prefix = `snapshots/${snapshotStamp(now)}/`;
  const copies = latest.map((o) => copiedRecord(o, prefix + o.key.slice(LATEST.length), now, 'keep'));
  const written = new Set([...latest, ...copies].map((o) => o.key));
  bucket.objects = [...bucket.objects.filter((o) => !written.has(o.key)), ...latest, ...copies];
  return [`synced ${latest.length} objects to s3://${bucket.name}/${LATEST}`, `snapshot s3://${bucket.name}/${prefix}: ${copies.length} objects`];
}

function restore(bucket: BucketRecord): string[] {
  const count = bucket.objects.filter((o) => o.key.startsWith(LATEST)).length;
  return [`restored ${count} objects from s3://${bucket.name}/${LATEST}`];
}

/** `systemctl start <unit>` of a oneshot: returns when the unit has run, non-zero when it failed. */
export function startOneshot(host: HostRecord, unit: LaneUnit, env: HostEnv): LineResult {
  if (host.backupBucket === undefined) return notFound('start', unit);
  const fault = unit === 'openclaw-s3-backup' ? host.failNextBackup : host.failNextRestore;
  if (unit === 'openclaw-s3-backup') delete host.failNextBackup;
  else delete host.failNextRestore;
  const bucket = env.buckets.find((b) => b.name === host.backupBucket);
  const failure = fault?.message ?? (bucket ? undefined : `s3://${host.backupBucket}: NoSuchBucket: The specified bucket does not exist`);
  log(host, unit, `Starting ${unit}.service - ${DESCRIPTION[unit]}...`);
  if (failure !== undefined || !bucket) {
    host.oneshots[unit] = { result: 'exit-code', execMainStatus: 1 };
    log(
      host,
      unit,
      `error: ${failure}`,
      `${unit}.service: Main process exited, code=exited, status=1/FAILURE`,
      `${unit}.service: Failed with result 'exit-code'.`,
      `Failed to start ${unit}.service - ${DESCRIPTION[unit]}.`,
    );
    return {
      err: `Job for ${unit}.service failed because the control process exited with error code.\nSee "systemctl status ${unit}.service" and "journalctl -xeu ${unit}.service" for details.\n`,
      code: 1,
    };
  }
  const lines = unit === 'openclaw-s3-backup' ? backup(bucket, env.now) : restore(bucket);
  // The restore puts latest/ on disk: the workspace is there when latest/ held something.
  if (unit === 'openclaw-s3-restore' && bucket.objects.some((o) => o.key.startsWith(LATEST))) host.workspace = true;
  host.oneshots[unit] = { result: 'success', execMainStatus: 0 };
  log(host, unit, ...lines, `${unit}.service: Deactivated successfully.`, `Finished ${unit}.service - ${DESCRIPTION[unit]}.`);
  return { code: 0 };
}

/** `systemctl show` of a oneshot: inactive after a success, failed after a failure. */
export function oneshotProperties(host: HostRecord, unit: LaneUnit): Record<'Result' | 'ExecMainStatus' | 'LoadState' | 'ActiveState' | 'SubState', string> {
  if (host.backupBucket === undefined) return { Result: 'success', ExecMainStatus: '0', LoadState: 'not-found', ActiveState: 'inactive', SubState: 'dead' };
  const last = host.oneshots[unit];
  return last?.result === 'exit-code'
    ? { Result: 'exit-code', ExecMainStatus: String(last.execMainStatus), LoadState: 'loaded', ActiveState: 'failed', SubState: 'failed' }
    : { Result: 'success', ExecMainStatus: '0', LoadState: 'loaded', ActiveState: 'inactive', SubState: 'dead' };
}

/** `systemctl is-active`: the state and exit 0 when active, 3 otherwise (also for a unit that does not exist). */
export function isActive(host: HostRecord, service: Service): LineResult {
  const state = service === 'clawdinator' ? host.clawdinator : host.backupBucket === undefined ? 'inactive' : host.openclaw;
  return { out: `${state}\n`, code: state === 'active' ? 0 : 3 };
}
