import { RemoteError, UsageError } from './errors.js';
import { BUCKET_RE, HOSTNAME_RE, INSTANCE_ID_RE } from './patterns.js';

// The OpenClaw backup bucket, as the host's timer writes it (DESIGN §3):
//   latest/                        synced (with delete) every 20 minutes
//   snapshots/<YYYY-MM-DD-HH-MM>/   UTC copies of latest/
// Pure: bucket naming, stack validation, snapshot stamps, grouping a listing and
// judging its freshness. The listing itself is src/aws/backup.ts.

export const LATEST_PREFIX = 'latest/';
export const SNAPSHOTS_PREFIX = 'snapshots/';
export const BACKUP_UNIT = 'openclaw-s3-backup.service';
/** The OpenClaw hosts of a stack, the ones with the backup lane's units, carry this tag and `stack=<stack>`. */
export const OPENCLAW_TAG = { key: 'app', value: 'openclaw' } as const;
/** The host's timer interval; latest/ is stale beyond two of them. */
export const BACKUP_INTERVAL_MS = 20 * 60_000;
export const STALE_AFTER_MS = 2 * BACKUP_INTERVAL_MS;

export const STACK_RE = /^[a-z0-9-]{1,40}$/;
const STAMP_RE = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;
const ACCOUNT_RE = /^\d{12}$/;
const PLACEHOLDER_RE = /\{([^}]*)\}/g;

/** --stack: lower-case letters, digits and '-', 1 to 40 characters. */
export function parseStack(raw: string): string {
  if (!STACK_RE.test(raw)) {
    throw new UsageError(
      `--stack ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}...` : raw)} is not a stack name`,
      "a stack name is 1 to 40 lower-case letters, digits and '-', e.g. --stack lab",
    );
  }
  return raw;
}

const BUCKET_HINT = "bucket names are 3 to 63 lower-case letters, digits, '.' and '-'";
const isBucketName = (s: string) => BUCKET_RE.test(s) && !s.includes('..');

export function parseBucketName(raw: string): string {
  if (!isBucketName(raw)) throw new UsageError(`--bucket ${JSON.stringify(raw.slice(0, 80))} is not an S3 bucket name`, BUCKET_HINT);
  return raw;
}

/** Which placeholders a backupBucketPattern uses; any other `{...}` is refused. */
export function patternNeeds(pattern: string): { stack: boolean; account: boolean } {
  for (const m of pattern.matchAll(PLACEHOLDER_RE)) {
    if (m[1] !== 'stack' && m[1] !== 'account') {
      throw new UsageError(`backupBucketPattern ${pattern}: unknown placeholder {${m[1]}}`, 'only {stack} and {account} are filled in; see claw config');
    }
  }
  return { stack: pattern.includes('{stack}'), account: pattern.includes('{account}') };
}

/** The AWS account id from STS, checked before it goes into a bucket name. */
export function parseAccountId(raw: string | undefined): string {
  if (raw === undefined || !ACCOUNT_RE.test(raw))
    throw new RemoteError(`STS GetCallerIdentity answered an account id that is not 12 digits: ${JSON.stringify(raw ?? null)}`);
  return raw;
}

/** A pattern with {stack} needs --stack: checked before any AWS call. */
export function requireStack(pattern: string, stack: string | undefined): void {
  if (patternNeeds(pattern).stack && stack === undefined) {
    throw new UsageError(
      `--stack is required: backupBucketPattern ${pattern} names one bucket per stack`,
      'e.g. --stack lab, or name the bucket with --bucket NAME',
    );
  }
}

/** Fill the pattern; the result must be a valid bucket name. */
export function backupBucketName(pattern: string, vars: { stack?: string | undefined; account?: string | undefined }): string {
  const needs = patternNeeds(pattern);
  requireStack(pattern, vars.stack);
  if (needs.account && vars.account === undefined) throw new Error('backupBucketName: the pattern needs {account} and none was given');
  const name = pattern.replaceAll('{stack}', vars.stack ?? '').replaceAll('{account}', vars.account ?? '');
  if (!isBucketName(name)) throw new UsageError(`backupBucketPattern ${pattern} gives ${JSON.stringify(name)}, which is not an S3 bucket name`, BUCKET_HINT);
  return name;
}

/** `claw backup now <host>`: an instance id, or an EC2 Name tag that is a valid host name. */
export type BackupTarget = { kind: 'instance-id' | 'name'; value: string };

export function parseBackupTarget(raw: string): BackupTarget {
  if (INSTANCE_ID_RE.test(raw)) return { kind: 'instance-id', value: raw };
  if (HOSTNAME_RE.test(raw)) return { kind: 'name', value: raw };
  throw new UsageError(
    `host ${JSON.stringify(raw.slice(0, 60))} is neither a host name nor an instance id`,
    "give the instance's Name tag (lower-case letters, digits, '-') or its id (i-...)",
  );
}

// ---- snapshot stamps ----

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD-HH-MM` (UTC) of an instant (seconds dropped). */
export function formatStamp(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}`;
}

/** The instant a snapshot stamp names, or undefined when it is not a real UTC minute. */
export function parseStamp(stamp: string): Date | undefined {
  const m = STAMP_RE.exec(stamp);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi));
  // Date.UTC rolls 2026-02-30 over to March: only a stamp that round-trips is real.
  return formatStamp(t) === stamp ? t : undefined;
}

export const snapshotPrefix = (stamp: string) => `${SNAPSHOTS_PREFIX}${stamp}/`;

// ---- a listing, grouped ----

export interface BackupObject {
  key: string;
  size: number;
  /** ISO time. */
  lastModified: string;
}

export interface SnapshotSummary {
  stamp: string;
  prefix: string;
  /** The instant the stamp names (ISO). */
  time: string;
  objects: number;
  bytes: number;
  /** The newest LastModified under the prefix (ISO). */
  lastModified: string;
}

/** Something under snapshots/ that is not `<stamp>/...`: reported, never touched. */
export interface UnparsableEntry {
  prefix: string;
  objects: number;
  bytes: number;
}

export interface LatestSummary {
  objects: number;
  bytes: number;
  /** The newest LastModified under latest/ (ISO), null when empty. */
  newest: string | null;
}

export interface BackupListing {
  bucket: string;
  latest: LatestSummary;
  /** Newest first. */
  snapshots: SnapshotSummary[];
  unparsable: UnparsableEntry[];
}

const later = (a: string | null, b: string) => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

export function summarizeLatest(objects: readonly BackupObject[]): LatestSummary {
  let newest: string | null = null;
  let bytes = 0;
  for (const o of objects) {
    bytes += o.size;
    newest = later(newest, o.lastModified);
  }
  return { objects: objects.length, bytes, newest };
}

/** Group the keys under snapshots/ by their first folder: a snapshot when it parses as a stamp. */
export function groupSnapshots(objects: readonly BackupObject[]): { snapshots: SnapshotSummary[]; unparsable: UnparsableEntry[] } {
  const groups = new Map<string, { objects: number; bytes: number; newest: string | null }>();
  for (const o of objects) {
    if (!o.key.startsWith(SNAPSHOTS_PREFIX)) continue;
    const rest = o.key.slice(SNAPSHOTS_PREFIX.length);
    const slash = rest.indexOf('/');
    // A key right under snapshots/ (no folder) is its own unparsable entry.
    const prefix = slash === -1 ? o.key : `${SNAPSHOTS_PREFIX}${rest.slice(0, slash + 1)}`;
    const g = groups.get(prefix) ?? { objects: 0, bytes: 0, newest: null };
    g.objects++;
    g.bytes += o.size;
    g.newest = later(g.newest, o.lastModified);
    groups.set(prefix, g);
  }
  const snapshots: SnapshotSummary[] = [];
  const unparsable: UnparsableEntry[] = [];
  for (const [prefix, g] of groups) {
    const stamp = prefix.endsWith('/') ? prefix.slice(SNAPSHOTS_PREFIX.length, -1) : '';
    const time = parseStamp(stamp);
    if (time) snapshots.push({ stamp, prefix, time: time.toISOString(), objects: g.objects, bytes: g.bytes, lastModified: g.newest! });
    else unparsable.push({ prefix, objects: g.objects, bytes: g.bytes });
  }
  snapshots.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  unparsable.sort((a, b) => a.prefix.localeCompare(b.prefix));
  return { snapshots, unparsable };
}

// ---- status ----

export type Freshness = 'fresh' | 'stale' | 'empty';

export interface BackupStatus {
  bucket: string;
  checkedAt: string;
  latest: {
    state: Freshness;
    newestObjectTime: string | null;
    /** now − newest object time, in whole seconds (negative under clock skew). */
    ageSeconds: number | null;
    objects: number;
    bytes: number;
    intervalMinutes: number;
    staleAfterMinutes: number;
  };
  snapshots: { count: number; objects: number; bytes: number; newest: SnapshotSummary | null };
  unparsable: UnparsableEntry[];
  /** A push or restore of latest/ that stopped part-way (its marker in the bucket), null when none. */
  unfinishedOverwrite: UnfinishedOverwrite | null;
}

export type UnfinishedOverwrite =
  | {
      readable: true;
      command: 'push' | 'restore';
      source: string;
      by: string;
      startedAt: string;
      updatedAt: string;
      /** The snapshot that holds latest/ as it was before (a partial copy while keepFinished is false); null: latest/ was empty. */
      keptAs: string | null;
      keepFinished: boolean;
      /** The run is alive (it renewed the marker within its lease): it is writing now, not stopped. */
      live: boolean;
      /** What to do, with the commands. */
      fix: string;
    }
  | { readable: false; reason: string; fix: string };

/** latest/ is fresh while its newest object is at most two timer intervals old. */
export function freshness(newest: string | null, now: Date): Freshness {
  if (newest === null) return 'empty';
  return now.getTime() - Date.parse(newest) <= STALE_AFTER_MS ? 'fresh' : 'stale';
}

export function assessStatus(listing: BackupListing, now: Date, unfinishedOverwrite: UnfinishedOverwrite | null = null): BackupStatus {
  const { latest, snapshots } = listing;
  return {
    bucket: listing.bucket,
    checkedAt: now.toISOString(),
    latest: {
      state: freshness(latest.newest, now),
      newestObjectTime: latest.newest,
      ageSeconds: latest.newest === null ? null : Math.floor((now.getTime() - Date.parse(latest.newest)) / 1000),
      objects: latest.objects,
      bytes: latest.bytes,
      intervalMinutes: BACKUP_INTERVAL_MS / 60_000,
      staleAfterMinutes: STALE_AFTER_MS / 60_000,
    },
    snapshots: {
      count: snapshots.length,
      objects: snapshots.reduce((s, x) => s + x.objects, 0),
      bytes: snapshots.reduce((s, x) => s + x.bytes, 0),
      newest: snapshots[0] ?? null,
    },
    unparsable: listing.unparsable,
    unfinishedOverwrite,
  };
}
