import { Box, Text } from 'ink';
import type { PlanStatus } from '../../core/dashboard-types.js';
import { wrapLines } from '../wrap.js';
import { useTone } from './theme.js';

// `d`: the deploy dialog. First the plan (the same text `claw deploy --dry-run`
// prints), then y to run exactly it, n or Esc to leave; without a HEAD to deploy, the
// rev is asked for first.

/** Inside the box: its border and one column of padding on each side. */
const inner = (width: number) => Math.max(8, width - 4);

export function ConfirmDeploy({ host, plan, height, width }: { host: string; plan: PlanStatus; height: number; width: number }) {
  const tone = useTone();
  let body: string[];
  let prompt: string;
  if (plan.status === 'loading') {
    body = [`planning: claw deploy ${host} --dry-run …`];
    prompt = 'Esc cancel';
  } else if (plan.status === 'error') {
    body = [`cannot deploy ${host}: ${plan.message}`];
    prompt = 'Esc back';
  } else {
    body = plan.text.split('\n');
    prompt = `Deploy ${host} to ${plan.sha}?  y deploy · n/Esc cancel`;
  }
  // Wrapped here, not by Ink: the box is sized by the lines it will really take.
  const lines = wrapLines(body, inner(width));
  const asks = wrapLines([prompt], inner(width));
  const room = Math.max(1, height - 2 - asks.length);
  const shown = lines.length > room ? [...lines.slice(0, Math.max(0, room - 1)), `… ${lines.length - room + 1} more lines`] : lines;
  // Borders take two lines and the prompt its own; the box is as tall as what it says.
  return (
    <Box
      flexDirection="column"
      height={Math.min(height, shown.length + 2 + asks.length)}
      overflow="hidden"
      borderStyle="round"
      borderColor={tone(plan.status === 'error' ? 'red' : 'cyan')}
      paddingX={1}
    >
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate-end" color={tone(plan.status === 'error' ? 'red' : undefined)}>
          {l || ' '}
        </Text>
      ))}
      {asks.map((l, i) => (
        <Text key={`ask-${i}`} wrap="truncate-end" bold>
          {l}
        </Text>
      ))}
    </Box>
  );
}

export function RevPrompt({ host, text, note, height, width }: { host: string; text: string; note: string; height: number; width: number }) {
  const tone = useTone();
  const say = wrapLines([`deploy ${host}: the repo has no HEAD to deploy (${note})`], inner(width));
  const ask = wrapLines(['Enter show the plan · Esc cancel (a full 40-hex SHA outside a git checkout)'], inner(width));
  return (
    <Box
      flexDirection="column"
      height={Math.min(height, say.length + ask.length + 3)}
      overflow="hidden"
      borderStyle="round"
      borderColor={tone('cyan')}
      paddingX={1}
    >
      {say.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
      <Text wrap="truncate-end">{`rev: ${text}_`}</Text>
      {ask.map((l, i) => (
        <Text key={`ask-${i}`} wrap="truncate-end" bold>
          {l}
        </Text>
      ))}
    </Box>
  );
}
