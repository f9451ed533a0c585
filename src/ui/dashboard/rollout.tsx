import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { formatAgo } from '../../core/dashboard-refresh.js';
import type { RolloutState } from '../../core/dashboard-types.js';
import { describeProgress, emptyModel, reduceProgress } from '../progress-model.js';
import { useTone } from './theme.js';

// The live rollout inside the dashboard: the deploy's progress events folded by the
// same model as `claw deploy`'s terminal view (src/ui/progress-model.ts). That view
// puts finished steps in <Static> above the frame, which a full-screen dashboard does
// not have: here they are the newest lines that fit, with the running steps below.

const TONE = { ok: 'green', skipped: 'yellow', failed: 'red', warning: 'yellow', plan: 'cyan' } as const;
const STATUS_TONE = { running: 'cyan', succeeded: 'green', failed: 'red', interrupted: 'yellow' } as const;

export function RolloutView({ rollout, now, height }: { rollout: RolloutState; now: number; height: number }) {
  const tone = useTone();
  const model = useMemo(() => rollout.events.reduce((m, e) => reduceProgress(m, e.event, e.at), emptyModel()), [rollout.events]);
  const elapsed = formatAgo((rollout.finishedAt ?? now) - rollout.startedAt);
  const title = `deploy ${rollout.host} -> ${rollout.sha.slice(0, 12)}: ${rollout.status} (${elapsed})`;
  const tail = rollout.status === 'running' ? [] : [rollout.message ?? '', ...rollout.result];
  const footer = rollout.status === 'running' ? 'Ctrl-C interrupts the deploy (hosts not started are left alone)' : 'Esc back to the fleet';
  const room = Math.max(0, height - 2 - model.active.length - tail.length);
  const finished = model.finished.slice(-room);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate-end" bold color={tone(STATUS_TONE[rollout.status])}>
        {title}
      </Text>
      {finished.map((l) => (
        <Text key={l.key} wrap="truncate-end" color={tone(TONE[l.tone])}>
          {l.text}
        </Text>
      ))}
      {model.active.map((s) => (
        <Text key={s.step} wrap="truncate-end">
          <Text bold>{s.step}</Text> <Text dimColor>{describeProgress(s, now)}</Text>
        </Text>
      ))}
      {tail.map((l, i) => (
        <Text key={`t${i}`} wrap="truncate-end" bold={i === 0} color={tone(i === 0 ? STATUS_TONE[rollout.status] : undefined)}>
          {l || ' '}
        </Text>
      ))}
      <Text wrap="truncate-end" dimColor>
        {footer}
      </Text>
    </Box>
  );
}
