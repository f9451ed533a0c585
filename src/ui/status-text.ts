import type { HostStatus, StatusReport } from '../core/fleet.js';
import { formatAge, shortSha } from './format.js';
import type { Color, Styler } from './style.js';
import { renderFitted, type FitColumn } from './table.js';

const STATE_COLOR: Record<string, Color> = {
  running: 'green',
  pending: 'yellow',
  stopping: 'yellow',
  stopped: 'red',
  missing: 'red',
};
const PING_COLOR: Record<string, Color> = { online: 'green', 'connection-lost': 'red', inactive: 'red', 'not-managed': 'yellow' };

function amiCell(h: HostStatus, paint: Styler): string {
  if (!h.imageId) return '-';
  if (h.imageIsLatest) return `${h.imageId} ${paint('green', 'latest')}`;
  if (h.imagesBehind) return `${h.imageId} ${paint('yellow', `${h.imagesBehind} behind`)}`;
  if (h.imageIsLatest === false) return `${h.imageId} ${paint('red', 'untracked')}`;
  return h.imageId;
}

export interface StatusLayout {
  /** The terminal's columns: the table drops its least telling columns to fit; undefined: full width. */
  width?: number | undefined;
  /** Every column (and the public IP), whatever the width. */
  wide?: boolean;
}

/** Dropped first to last to fit a terminal: host, state, SSM and drift always stay. */
const HOST_COLUMNS: FitColumn[] = [
  { title: 'HOST' },
  { title: 'INSTANCE', drop: 5 },
  { title: 'STATE' },
  { title: 'TYPE', drop: 4 },
  { title: 'AZ', drop: 1 },
  { title: 'AMI', drop: 6 },
  { title: 'REV', drop: 3 },
  { title: 'UP', drop: 2 },
  { title: 'SSM' },
  { title: 'DRIFT' },
];
const WIDE_COLUMNS: FitColumn[] = [...HOST_COLUMNS.slice(0, 5), { title: 'PUBLIC IP' }, ...HOST_COLUMNS.slice(5)];

/** The `claw status` table plus drift, unregistered instances and a summary line. */
export function renderStatus(report: StatusReport, now: Date, paint: Styler, layout: StatusLayout = {}): string {
  const wide = Boolean(layout.wide);
  const row = (h: HostStatus) => [
    paint('bold', h.host),
    h.instanceIds.length > 1 ? `${h.instanceId} +${h.instanceIds.length - 1}` : (h.instanceId ?? '-'),
    paint(STATE_COLOR[h.state] ?? 'yellow', h.state),
    h.instanceType === null ? '-' : h.instanceType === h.desiredInstanceType ? h.instanceType : paint('yellow', `${h.instanceType}!`),
    h.availabilityZone ?? '-',
    ...(wide ? [h.publicIp ?? '-'] : []),
    amiCell(h, paint),
    shortSha(h.rev),
    formatAge(h.launchTime, now),
    paint(PING_COLOR[h.ssmPing] ?? 'gray', h.ssmPing),
    h.drift.length ? paint('yellow', h.drift.map((d) => d.kind).join(',')) : paint('green', 'ok'),
  ];
  // A host with several instances: the newest on its row, then each other one under it.
  const others = (h: HostStatus) =>
    h.instances
      .slice(1)
      .map((i) => [
        '  \u2514 also',
        i.instanceId,
        paint(STATE_COLOR[i.state] ?? 'yellow', i.state),
        i.instanceType ?? '-',
        i.availabilityZone ?? '-',
        ...(wide ? [i.publicIp ?? '-'] : []),
        i.imageId ?? '-',
        '',
        formatAge(i.launchTime, now),
        paint(PING_COLOR[i.ssmPing] ?? 'gray', i.ssmPing),
        '',
      ]);
  const rows = report.hosts.flatMap((h) => [row(h), ...others(h)]);
  const out = [renderFitted(wide ? WIDE_COLUMNS : HOST_COLUMNS, rows, wide ? undefined : layout.width)];

  const drifted = report.hosts.filter((h) => h.drift.length);
  if (drifted.length) {
    out.push('', paint('bold', 'Drift'));
    for (const h of drifted) for (const d of h.drift) out.push(`  ${h.host}: ${d.message}`);
  }
  if (report.unregistered.length) {
    out.push('', paint('bold', 'Unregistered instances (tagged, not in the registry)'));
    const columns: FitColumn[] = [
      { title: '  NAME' },
      { title: 'INSTANCE' },
      { title: 'STATE' },
      { title: 'TYPE', drop: 3 },
      { title: 'AZ', drop: 1 },
      ...(wide ? [{ title: 'PUBLIC IP' }] : []),
      { title: 'AMI', drop: 2 },
      { title: 'SSM' },
    ];
    const rowsU = report.unregistered.map((u) => [
      `  ${u.name ?? '(no Name tag)'}`,
      u.instanceId,
      paint(STATE_COLOR[u.state] ?? 'yellow', u.state),
      u.instanceType ?? '-',
      u.availabilityZone ?? '-',
      ...(wide ? [u.publicIp ?? '-'] : []),
      u.imageId ?? '-',
      paint(PING_COLOR[u.ssmPing] ?? 'gray', u.ssmPing),
    ]);
    out.push(renderFitted(columns, rowsU, wide ? undefined : layout.width));
  }
  const latest = report.latestImageId ? `latest AMI ${report.latestImageId}` : 'no tagged AMI found';
  const summary = `${report.hosts.length} hosts, ${drifted.length} with drift, ${report.unregistered.length} unregistered; ${latest}`;
  out.push('', drifted.length || report.unregistered.length ? paint('yellow', summary) : paint('green', summary));
  return out.join('\n');
}
