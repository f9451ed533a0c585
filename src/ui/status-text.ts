import type { HostStatus, StatusReport } from '../core/fleet.js';
import { formatAge, shortSha } from './format.js';
import type { Color, Styler } from './style.js';
import { renderTable } from './table.js';

const STATE_COLOR: Record<string, Color> = {
  running: 'green', pending: 'yellow', stopping: 'yellow', stopped: 'red', missing: 'red',
};
const PING_COLOR: Record<string, Color> = { online: 'green', 'connection-lost': 'red', inactive: 'red', 'not-managed': 'yellow' };

function amiCell(h: HostStatus, paint: Styler): string {
  if (!h.imageId) return '-';
  if (h.imageIsLatest) return `${h.imageId} ${paint('green', 'latest')}`;
  if (h.imagesBehind) return `${h.imageId} ${paint('yellow', `${h.imagesBehind} behind`)}`;
  if (h.imageIsLatest === false) return `${h.imageId} ${paint('red', 'untracked')}`;
  return h.imageId;
}

/** The `claw status` table plus drift, unregistered instances and a summary line. */
export function renderStatus(report: StatusReport, now: Date, paint: Styler): string {
  const rows = report.hosts.map((h) => [
    paint('bold', h.host),
    h.instanceIds.length > 1 ? `${h.instanceId} +${h.instanceIds.length - 1}` : (h.instanceId ?? '-'),
    paint(STATE_COLOR[h.state] ?? 'yellow', h.state),
    h.instanceType === null ? '-' : h.instanceType === h.desiredInstanceType ? h.instanceType : paint('yellow', `${h.instanceType}!`),
    h.availabilityZone ?? '-',
    amiCell(h, paint),
    shortSha(h.rev),
    formatAge(h.launchTime, now),
    paint(PING_COLOR[h.ssmPing] ?? 'gray', h.ssmPing),
    h.drift.length ? paint('yellow', h.drift.map((d) => d.kind).join(',')) : paint('green', 'ok'),
  ]);
  const out = [renderTable(['HOST', 'INSTANCE', 'STATE', 'TYPE', 'AZ', 'AMI', 'REV', 'UP', 'SSM', 'DRIFT'], rows)];

  const drifted = report.hosts.filter((h) => h.drift.length);
  if (drifted.length) {
    out.push('', paint('bold', 'Drift'));
    for (const h of drifted) for (const d of h.drift) out.push(`  ${h.host}: ${d.message}`);
  }
  if (report.unregistered.length) {
    out.push('', paint('bold', 'Unregistered instances (tagged, not in the registry)'));
    out.push(
      renderTable(
        ['  NAME', 'INSTANCE', 'STATE', 'TYPE', 'AZ', 'AMI'],
        report.unregistered.map((u) => [`  ${u.name ?? '(no Name tag)'}`, u.instanceId, u.state, u.instanceType ?? '-', u.availabilityZone ?? '-', u.imageId ?? '-']),
      ),
    );
  }
  const latest = report.latestImageId ? `latest AMI ${report.latestImageId}` : 'no tagged AMI found';
  const summary = `${report.hosts.length} hosts, ${drifted.length} with drift, ${report.unregistered.length} unregistered; ${latest}`;
  out.push('', drifted.length || report.unregistered.length ? paint('yellow', summary) : paint('green', summary));
  return out.join('\n');
}
