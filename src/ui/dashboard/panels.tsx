import { Box, Text } from 'ink';
import { memo } from 'react';
import { formatAgo, staleness, type Section } from '../../core/dashboard-refresh.js';
import type { HistoryRecord } from '../../core/history.js';
import type { PrunePlan } from '../../core/retention.js';
import { useTone } from './theme.js';

// The lower panels: what an AMI prune would remove now, and the recent deploys. Each
// says when its data is stale, on its own: one failed read never blanks the other.

interface PanelProps<T> {
  section: Section<T>;
  now: number;
  intervalMs: number;
  width: number;
  height: number;
}

function Title({ text, section, now, intervalMs }: { text: string; section: Section<unknown>; now: number; intervalMs: number }) {
  const tone = useTone();
  const st = staleness(section, now, intervalMs);
  return (
    <Text wrap="truncate-end" bold>
      {text}
      {st.stale ? <Text color={tone('red')}>{` STALE${st.ageMs !== null ? ` ${formatAgo(st.ageMs)}` : ''}`}</Text> : null}
    </Text>
  );
}

function Body({ section, lines, loading }: { section: Section<unknown>; lines: string[]; loading: string }) {
  if (section.value === null) return <Text wrap="truncate-end">{section.error ? `  could not read: ${section.error}` : `  ${loading}`}</Text>;
  return (
    <>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
    </>
  );
}

const gib = (n: number) => `${Math.round(n * 10) / 10} GiB`;

export function retentionLines(plan: PrunePlan, now: number): string[] {
  const pruned = plan.images.filter((i) => i.action === 'prune');
  if (pruned.length === 0) return [`  ${plan.images.length} tagged; a prune would remove nothing`];
  return [
    `  ${plan.images.length} tagged; a prune would remove ${pruned.length} (${gib(plan.freedGiB)}, $${plan.monthlySavingsUsd.toFixed(2)}/mo):`,
    ...pruned.map((i) => `  ${i.imageId}  ${formatAgo(now - Date.parse(i.creationDate))} old  ${i.name ?? ''}`.trimEnd()),
  ];
}

export const RetentionPanel = memo(function RetentionPanel({ section, now, intervalMs, width, height }: PanelProps<PrunePlan>) {
  const keep = section.value?.keep;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden" paddingRight={1}>
      <Title text={`AMI retention${keep !== undefined ? ` (keep newest ${keep})` : ''}`} section={section} now={now} intervalMs={intervalMs} />
      <Body section={section} lines={section.value ? retentionLines(section.value, now) : []} loading="reading the AMIs…" />
    </Box>
  );
});

export function historyLines(records: readonly HistoryRecord[], now: number): string[] {
  if (records.length === 0) return ['  no deploy recorded yet'];
  return records.map((r) => `  ${formatAgo(now - Date.parse(r.finishedAt)).padStart(6)} ago  ${r.host}  ${r.rev.slice(0, 8)}  ${r.result}  ${r.who}`);
}

export const HistoryPanel = memo(function HistoryPanel({ section, now, intervalMs, width, height }: PanelProps<HistoryRecord[]>) {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Title text="Recent deploys" section={section} now={now} intervalMs={intervalMs} />
      <Body section={section} lines={section.value ? historyLines(section.value, now) : []} loading="reading the history…" />
    </Box>
  );
});
