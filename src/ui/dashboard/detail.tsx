import { Box, Text } from 'ink';
import { formatAgo } from '../../core/dashboard-refresh.js';
import { amiLabel, type FleetRow } from '../../core/dashboard-rows.js';
import { freshness } from '../../core/backup.js';
import type { BackupData, FleetData } from '../../core/dashboard-types.js';
import type { HistoryRecord } from '../../core/history.js';

// The selected host in full (Enter): instance, launch time, AMI, rev, SSM, drift,
// every tag, its last recorded deploy and, when it was deployed from this dashboard,
// the tail of that deploy's output.

export interface DetailInput {
  row: FleetRow;
  instance: FleetData['instances'][string] | undefined;
  lastDeploy: HistoryRecord | undefined;
  tail: readonly string[] | undefined;
  /** The backup stack, for its OpenClaw hosts. */
  backup: BackupData | undefined;
  now: number;
}

const KIND = {
  host: '(in nix/instances.json)',
  unregistered: '(unregistered: tagged for the fleet, not in nix/instances.json)',
  backup: '(OpenClaw host with S3 backups)',
} as const;

const when = (iso: string | null | undefined, now: number) => (iso ? `${iso} (${formatAgo(now - Date.parse(iso))} ago)` : '-');

export function detailLines({ row, instance, lastDeploy, tail, backup, now }: DetailInput): string[] {
  const field = (name: string, value: string) => `${name.padEnd(12)} ${value}`;
  const lines = [
    `${row.host}  ${KIND[row.kind]}`,
    '',
    field('instance', row.instanceId ? `${row.instanceId}${row.extraInstances ? ` (+${row.extraInstances} more with this Name)` : ''}` : '-'),
    field('state', row.state),
    field('type', `${row.instanceType ?? '-'}${row.typeDrift ? ` (registry wants ${row.desiredInstanceType})` : ''}`),
    field('AZ', row.availabilityZone ?? '-'),
    field('launched', when(instance?.launchTime ?? row.launchTime, now)),
    field('AMI', row.imageId ? `${row.imageId} ${amiLabel(row)}` : '-'),
    field('rev', row.rev ? `${row.rev}${row.revStanding === 'head' ? ' (the repo HEAD)' : row.revStanding === 'other' ? ' (not the repo HEAD)' : ''}` : '-'),
    field('deployed at', when(instance?.tags['clawdinator:deployed-at'], now)),
    field('SSM', row.ssm ?? '-'),
    field('drift', row.driftMessages.length ? row.driftMessages.join('; ') : 'none'),
    field(
      'last deploy',
      lastDeploy
        ? `${lastDeploy.result} ${lastDeploy.rev.slice(0, 12)} ${formatAgo(now - Date.parse(lastDeploy.finishedAt))} ago by ${lastDeploy.who}: ${lastDeploy.detail}`
        : 'none recorded',
    ),
  ];
  if (row.kind === 'backup' && backup) {
    const fresh = freshness(backup.latestAt, new Date(now));
    lines.push(
      field(
        'backup',
        `stack ${backup.stack}: s3://${backup.bucket}/latest/ ${backup.latestAt ? `last changed ${when(backup.latestAt, now)}` : 'is empty'}, ${fresh}`,
      ),
    );
  }
  const tags = Object.entries(instance?.tags ?? {}).sort(([a], [b]) => a.localeCompare(b));
  lines.push('', `tags (${tags.length})`, ...tags.map(([k, v]) => `  ${k} = ${v}`));
  if (tail?.length) lines.push('', 'output tail of the deploy from this dashboard', ...tail.map((l) => `  | ${l}`));
  return lines;
}

export function Detail({ input, height }: { input: DetailInput; height: number }) {
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {detailLines(input)
        .slice(0, height)
        .map((l, i) => (
          <Text key={i} wrap="truncate-end" bold={i === 0}>
            {l || ' '}
          </Text>
        ))}
    </Box>
  );
}
