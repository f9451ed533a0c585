import { freshness } from './backup.js';
import type { FleetInstance, HostStatus, SsmPing, StatusReport, UnregisteredInstance } from './fleet.js';

// The dashboard's fleet table as data: one row per registered host, per unregistered
// instance and (with a backup stack) per OpenClaw host of that stack, with the
// comparisons (AMI vs latest, rev vs repo HEAD, backup freshness) made once here, then
// filtered and sorted. Pure: the Ink table only lays the cells out.

export type AmiStanding = 'latest' | 'behind' | 'untracked' | 'unknown';
export type RevStanding = 'head' | 'other' | 'unknown';

export type RowKind = 'host' | 'unregistered' | 'backup';

export interface FleetRow {
  /** Stable across refreshes: the host for registered rows, `i:<id>` unregistered, `b:<id>` backup hosts. */
  key: string;
  /** The registry host, or the instance's Name tag (or `(no Name tag)`). */
  host: string;
  /** A registry host, a tagged instance missing from the registry, or an OpenClaw host with S3 backups. */
  kind: RowKind;
  registered: boolean;
  instanceId: string | null;
  /** Further active instances carrying the host's Name (drift). */
  extraInstances: number;
  state: string;
  instanceType: string | null;
  /** The registry wants another instance type. */
  typeDrift: boolean;
  desiredInstanceType: string | null;
  availabilityZone: string | null;
  imageId: string | null;
  ami: AmiStanding;
  imagesBehind: number | null;
  launchTime: string | null;
  rev: string | null;
  revStanding: RevStanding;
  ssm: SsmPing | null;
  /** When the host's newest backup was taken (ISO), where known. */
  backupAt: string | null;
  /** Drift kinds (as `claw status` names them), `unregistered` for instances outside the registry. */
  drift: string[];
  /** Drift as sentences, for the detail view. */
  driftMessages: string[];
}

export interface RowExtras {
  /** HEAD of the clawdinators checkout; null when unknown (not a checkout). */
  head: string | null;
  /** SSM ping per instance id, for unregistered instances (registered ones carry theirs). */
  pings?: ReadonlyMap<string, SsmPing> | undefined;
  /** OpenClaw hosts of the backup stack, and when their bucket's latest/ last changed (null: empty). */
  backup?: { hosts: readonly FleetInstance[]; latestAt: string | null; now: Date } | undefined;
  /** Tagged AMI ids newest first, to place unregistered instances' AMIs. */
  imageOrder?: readonly string[] | undefined;
}

function amiStanding(imageIsLatest: boolean | null, imagesBehind: number | null, imageId: string | null): AmiStanding {
  if (!imageId || imageIsLatest === null) return 'unknown';
  if (imageIsLatest) return 'latest';
  return imagesBehind ? 'behind' : 'untracked';
}

function revStanding(rev: string | null, head: string | null): RevStanding {
  if (!rev || !head) return 'unknown';
  return rev === head ? 'head' : 'other';
}

function hostRow(h: HostStatus, x: RowExtras): FleetRow {
  return {
    key: h.host,
    host: h.host,
    kind: 'host',
    registered: true,
    instanceId: h.instanceId,
    extraInstances: Math.max(0, h.instanceIds.length - 1),
    state: h.state,
    instanceType: h.instanceType,
    typeDrift: h.instanceType !== null && h.instanceType !== h.desiredInstanceType,
    desiredInstanceType: h.desiredInstanceType,
    availabilityZone: h.availabilityZone,
    imageId: h.imageId,
    ami: amiStanding(h.imageIsLatest, h.imagesBehind, h.imageId),
    imagesBehind: h.imagesBehind,
    launchTime: h.launchTime,
    rev: h.rev,
    revStanding: revStanding(h.rev, x.head),
    ssm: h.instanceId === null ? null : h.ssmPing,
    backupAt: null,
    drift: h.drift.map((d) => d.kind),
    driftMessages: h.drift.map((d) => d.message),
  };
}

function unregisteredRow(u: UnregisteredInstance, x: RowExtras): FleetRow {
  // The status report does not place these against the tagged AMIs: do it the same way.
  const order = x.imageOrder ?? [];
  const idx = u.imageId === null ? -1 : order.indexOf(u.imageId);
  const ami: AmiStanding = u.imageId === null || order.length === 0 ? 'unknown' : idx === 0 ? 'latest' : idx > 0 ? 'behind' : 'untracked';
  return {
    key: `i:${u.instanceId}`,
    host: u.name ?? '(no Name tag)',
    kind: 'unregistered',
    registered: false,
    instanceId: u.instanceId,
    extraInstances: 0,
    state: u.state,
    instanceType: u.instanceType,
    typeDrift: false,
    desiredInstanceType: null,
    availabilityZone: u.availabilityZone,
    imageId: u.imageId,
    ami,
    imagesBehind: idx >= 0 ? idx : null,
    launchTime: u.launchTime,
    rev: null,
    revStanding: 'unknown',
    ssm: x.pings?.get(u.instanceId) ?? null,
    backupAt: null,
    drift: ['unregistered'],
    driftMessages: ['tagged for the fleet but not in nix/instances.json'],
  };
}

function backupRow(i: FleetInstance, x: RowExtras, b: NonNullable<RowExtras['backup']>): FleetRow {
  // Backups are synced to latest/ every 20 minutes: older than two runs is stale.
  const fresh = freshness(b.latestAt, b.now);
  const drift = fresh === 'fresh' ? [] : [fresh === 'empty' ? 'no-backup' : 'backup-stale'];
  return {
    key: `b:${i.instanceId}`,
    host: i.name ?? i.instanceId,
    kind: 'backup',
    registered: false,
    instanceId: i.instanceId,
    extraInstances: 0,
    state: i.state,
    instanceType: i.instanceType ?? null,
    typeDrift: false,
    desiredInstanceType: null,
    availabilityZone: i.availabilityZone ?? null,
    imageId: i.imageId ?? null,
    // Not a clawdinator image: there is no "latest" to compare with.
    ami: 'unknown',
    imagesBehind: null,
    launchTime: i.launchTime ?? null,
    rev: null,
    revStanding: 'unknown',
    ssm: x.pings?.get(i.instanceId) ?? null,
    backupAt: b.latestAt,
    drift,
    driftMessages: drift.length
      ? [fresh === 'empty' ? 'the backup bucket has nothing under latest/' : `latest/ last changed at ${b.latestAt}: more than two 20-minute backup runs ago`]
      : [],
  };
}

/** Registered hosts in registry order, then unregistered instances, then the backup stack's hosts. */
export function buildFleetRows(report: StatusReport, extras: RowExtras): FleetRow[] {
  const b = extras.backup;
  return [
    ...report.hosts.map((h) => hostRow(h, extras)),
    ...report.unregistered.map((u) => unregisteredRow(u, extras)),
    ...(b ? b.hosts.map((i) => backupRow(i, extras, b)) : []),
  ];
}

/** The AMI cell: `latest`, `2 behind`, `untracked` or `-`. */
export function amiLabel(r: Pick<FleetRow, 'ami' | 'imagesBehind'>): string {
  if (r.ami === 'behind') return `${r.imagesBehind} behind`;
  return r.ami === 'unknown' ? '-' : r.ami;
}

/** The rev cell: 8 hex digits, and how it stands against the repo's HEAD when that is known. */
export function revLabel(r: Pick<FleetRow, 'rev' | 'revStanding'>): string {
  if (!r.rev) return '-';
  const short = r.rev.slice(0, 8);
  return r.revStanding === 'head' ? `${short} =HEAD` : r.revStanding === 'other' ? `${short} !=HEAD` : short;
}

export const driftLabel = (r: Pick<FleetRow, 'drift'>): string => (r.drift.length ? r.drift.join(',') : 'ok');

/** Every text a filter matches against. */
function haystack(r: FleetRow): string {
  return [r.host, r.instanceId, r.state, r.instanceType, r.availabilityZone, r.imageId, amiLabel(r), r.rev, r.ssm, driftLabel(r)]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

/** Rows matching every whitespace-separated word of `filter` (case-insensitive, anywhere in the row). */
export function filterRows(rows: readonly FleetRow[], filter: string): FleetRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...rows];
  return rows.filter((r) => {
    const text = haystack(r);
    return words.every((w) => text.includes(w));
  });
}

export const SORT_KEYS = ['host', 'state', 'type', 'az', 'ami', 'rev', 'ssm', 'drift'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const nextSortKey = (k: SortKey): SortKey => SORT_KEYS[(SORT_KEYS.indexOf(k) + 1) % SORT_KEYS.length]!;

const AMI_ORDER: Record<AmiStanding, number> = { latest: 0, behind: 1, untracked: 2, unknown: 3 };
const text = (s: string | null) => s ?? '\uffff'; // blanks last

/** The comparison of one column; ties fall back to the host, then the key, so the order is total. */
const COMPARE: Record<SortKey, (a: FleetRow, b: FleetRow) => number> = {
  host: () => 0,
  state: (a, b) => a.state.localeCompare(b.state),
  type: (a, b) => text(a.instanceType).localeCompare(text(b.instanceType)),
  az: (a, b) => text(a.availabilityZone).localeCompare(text(b.availabilityZone)),
  ami: (a, b) => AMI_ORDER[a.ami] - AMI_ORDER[b.ami] || (a.imagesBehind ?? 0) - (b.imagesBehind ?? 0),
  rev: (a, b) => text(a.rev).localeCompare(text(b.rev)),
  ssm: (a, b) => text(a.ssm).localeCompare(text(b.ssm)),
  // Most drift first: what needs attention rises to the top.
  drift: (a, b) => b.drift.length - a.drift.length || driftLabel(a).localeCompare(driftLabel(b)),
};

/** Sorted by `key` (ties by host, then row key: a total order); `reversed` is that order backwards. */
export function sortRows(rows: readonly FleetRow[], key: SortKey, reversed = false): FleetRow[] {
  const cmp = COMPARE[key];
  const sorted = [...rows].sort((a, b) => cmp(a, b) || a.host.localeCompare(b.host) || a.key.localeCompare(b.key));
  return reversed ? sorted.reverse() : sorted;
}

/** What the table shows: filtered, then sorted. */
export function visibleRows(rows: readonly FleetRow[], filter: string, sort: SortKey, reversed = false): FleetRow[] {
  return sortRows(filterRows(rows, filter), sort, reversed);
}
