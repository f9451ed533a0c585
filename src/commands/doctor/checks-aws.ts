import { readBackupListing, type BackupBucket } from '../../aws/backup.js';
import { readOverwriteMarker } from '../../aws/backup-marker.js';
import { unfinishedOverwrite } from '../../core/backup-overwrite.js';
import { bucketExists } from '../../aws/bootstrap.js';
import type { Ec2Api, S3Api, StsApi } from '../../aws/clients.js';
import { imageExists } from '../../aws/ami-inventory.js';
import { readLock } from '../../aws/lock.js';
import { BACKUP_UNIT, assessStatus } from '../../core/backup.js';
import { ageDays, fail, isTooOld, ok, warn, type CheckResult } from '../../core/doctor.js';
import { buildStatus, latestImage, type FleetSnapshot } from '../../core/fleet.js';
import { LOCK_KEY, describeLock, isExpired, type LockRecord } from '../../core/lock.js';
import { KNOWN_REGIONS } from '../../core/regions.js';
import type { Registry } from '../../core/registry.js';

// The doctor's checks that ask AWS. Each takes only what it needs and returns one
// result (or a few); a failing call is turned into a failed check by the caller.

export async function checkCredentials(sts: StsApi): Promise<CheckResult> {
  const me = await sts.getCallerIdentity({});
  return ok('credentials', `account ${me.Account ?? '?'} as ${me.Arn ?? '?'}`);
}

export function checkRegion(region: string, origin: string, endpointUrl: string | undefined): CheckResult {
  const where = `region ${region} (${origin})${endpointUrl ? ` at ${endpointUrl}` : ''}`;
  if (!KNOWN_REGIONS.has(region) && !endpointUrl) return warn('region', `${where} is not a region AWS lists`, 'check --region, AWS_REGION or the config file');
  return ok('region', where);
}

export async function checkImagesBucket(s3: S3Api, bucket: string, origin: string): Promise<CheckResult> {
  if (await bucketExists(s3, bucket)) return ok('images-bucket', `images bucket s3://${bucket} is reachable`);
  return fail(
    'images-bucket',
    `images bucket s3://${bucket} does not exist (${origin})`,
    'set imagesBucket in claw.config.json or CLAW_IMAGES_BUCKET; "claw config" shows the value in use',
  );
}

export interface AmiCheckInput {
  snapshot: FleetSnapshot;
  amiTag: string;
  override: { imageId: string; origin: string } | undefined;
  maxAgeMs: number;
  maxAgeText: string;
  now: Date;
}

/** A latest tagged AMI exists, not older than allowed; an override must exist too. */
export async function checkLatestAmi(ec2: Ec2Api, o: AmiCheckInput): Promise<CheckResult> {
  const newest = latestImage(o.snapshot.images);
  if (o.override) {
    if (!(await imageExists(ec2, o.override.imageId))) {
      return fail(
        'ami',
        `AMI ${o.override.imageId} (override from ${o.override.origin}) does not exist`,
        'fix the override or drop it to use the newest tagged AMI',
      );
    }
    return ok('ami', `AMI ${o.override.imageId} from the override (${o.override.origin})`);
  }
  if (!newest) return fail('ami', `no AMI tagged ${o.amiTag}`, 'build and register one: claw ami build');
  const age = ageDays(newest.creationDate, o.now);
  const line = `latest AMI ${newest.imageId} (${newest.name ?? 'no name'}) is ${age}d old`;
  if (isTooOld(newest.creationDate, o.now, o.maxAgeMs)) return warn('ami', `${line}, older than ${o.maxAgeText}`, 'build a fresh one: claw ami build');
  return ok('ami', line);
}

const reached = (n: number) => (n === 0 ? 'no instance for SSM to reach (see instances)' : `SSM reaches all ${n} instances`);

/**
 * From one fleet read: every registered host has exactly one instance; SSM reaches
 * each; hosts running an AMI behind the latest (a warning: it works, it is just old).
 */
export function checkFleet(registry: Registry, snapshot: FleetSnapshot, ssmWhy?: string): CheckResult[] {
  const report = buildStatus(registry, snapshot);
  const missing = report.hosts.filter((h) => h.instanceIds.length === 0).map((h) => h.host);
  const several = report.hosts.filter((h) => h.instanceIds.length > 1).map((h) => `${h.host} (${h.instanceIds.join(', ')})`);
  const instances =
    missing.length || several.length
      ? fail(
          'instances',
          [missing.length ? `no instance: ${missing.join(', ')}` : '', several.length ? `several instances: ${several.join(', ')}` : '']
            .filter(Boolean)
            .join('; '),
          'claw replace <host> creates a missing one; terminate the extra instance of a host with several',
        )
      : ok('instances', `each of ${report.hosts.length} registered hosts has exactly one instance`);

  let ssm: CheckResult;
  if (snapshot.ssm === 'unavailable') {
    ssm = fail(
      'ssm',
      `SSM could not be asked about the instances${ssmWhy ? ` (${ssmWhy})` : ''}`,
      'check the credentials allow ssm:DescribeInstanceInformation',
    );
  } else {
    const unreached = report.hosts.filter((h) => h.instanceIds.length > 0 && h.ssmPing !== 'online');
    ssm = unreached.length
      ? fail(
          'ssm',
          `SSM does not reach ${unreached.map((h) => `${h.host} (${h.ssmPing})`).join(', ')}`,
          'check the instance is running and its amazon-ssm-agent is up (reboot it from the EC2 console if it hangs)',
        )
      : ok('ssm', reached(report.hosts.filter((h) => h.instanceIds.length > 0).length));
  }

  const behind = report.hosts.filter((h) => (h.imagesBehind ?? 0) > 0);
  const amis = behind.length
    ? warn(
        'host-amis',
        `${behind.map((h) => `${h.host} runs an AMI ${h.imagesBehind} behind latest`).join('; ')}`,
        `replace it to move to the latest AMI: claw replace ${behind[0]!.host}`,
      )
    : ok('host-amis', report.latestImageId ? `every host runs the latest AMI ${report.latestImageId}` : 'no tagged AMI to compare hosts with');
  return [instances, ssm, amis];
}

/** The deploy lock is free; an expired or dead-holder lock is a warning (the next deploy takes it over). */
export async function checkLock(s3: S3Api, bucket: string, now: Date, isStale: (lock: LockRecord) => boolean): Promise<CheckResult> {
  const where = `s3://${bucket}/${LOCK_KEY}`;
  const state = await readLock(s3, { bucket, key: LOCK_KEY });
  if (state.kind === 'free') return ok('lock', `deploy lock is free (${where})`);
  if (state.kind === 'unreadable') return fail('lock', `${where} is not a lock record (${state.reason})`, 'look at it, then claw lock release --force');
  if (isExpired(state.lock, now) || isStale(state.lock)) {
    return warn('lock', `deploy lock is stale: ${describeLock(state.lock, now)}`, 'the next deploy takes it over; or claw lock release');
  }
  return fail(
    'lock',
    `a deploy holds the lock: ${describeLock(state.lock, now)}`,
    'wait for it to finish (claw lock status), or claw lock release --force if it is gone',
  );
}

/** latest/ of a stack's backup bucket is fresh. */
export async function checkBackup(s3: S3Api, stack: string, bucket: BackupBucket, now: Date): Promise<CheckResult> {
  const id = `backup:${stack}`;
  const [listing, marker] = await Promise.all([readBackupListing(s3, bucket), readOverwriteMarker(s3, bucket)]);
  const status = assessStatus(listing, now, unfinishedOverwrite(marker, `--stack ${stack}`, now));
  const where = `backup ${stack} (s3://${bucket.name}/latest/)`;
  // A push or restore stopped part-way: latest/ is a mix that never existed on the host.
  const u = status.unfinishedOverwrite;
  if (u)
    return fail(
      id,
      u.readable
        ? `${where} is part-written: a ${u.command} started ${u.startedAt} by ${u.by} stopped part-way`
        : `${where}: unreadable claw/unfinished-overwrite.json (${u.reason})`,
      u.fix,
    );
  if (status.latest.state === 'empty') return fail(id, `${where} is empty`, `check ${BACKUP_UNIT} on the host, or run claw backup now <host> --stack ${stack}`);
  const minutes = Math.floor((status.latest.ageSeconds ?? 0) / 60);
  if (status.latest.state === 'stale') {
    return warn(
      id,
      `${where} last changed ${minutes}m ago (stale after ${status.latest.staleAfterMinutes}m)`,
      `check ${BACKUP_UNIT} on the host, or run claw backup now <host> --stack ${stack}`,
    );
  }
  return ok(id, `${where} last changed ${minutes}m ago`);
}
