import { Box, Text } from 'ink';
import type { PlanStatus } from '../../core/dashboard-state.js';
import { useTone } from './theme.js';

// `d`: the deploy dialog. First the plan (the same text `claw deploy --dry-run`
// prints), then y to run exactly it, n or Esc to leave; without a HEAD to deploy, the
// rev is asked for first.

export function ConfirmDeploy({ host, plan, height }: { host: string; plan: PlanStatus; height: number }) {
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
  const room = Math.max(1, height - 3);
  const shown = body.length > room ? [...body.slice(0, Math.max(0, room - 1)), `… ${body.length - room + 1} more lines`] : body;
  // Borders and the prompt take three lines; the box is as tall as what it says.
  return (
    <Box flexDirection="column" height={Math.min(height, shown.length + 3)} overflow="hidden" borderStyle="round" borderColor={tone(plan.status === 'error' ? 'red' : 'cyan')} paddingX={1}>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate-end" color={tone(plan.status === 'error' ? 'red' : undefined)}>
          {l || ' '}
        </Text>
      ))}
      <Text wrap="truncate-end" bold>
        {prompt}
      </Text>
    </Box>
  );
}

export function RevPrompt({ host, text, note, height }: { host: string; text: string; note: string; height: number }) {
  const tone = useTone();
  return (
    <Box flexDirection="column" height={height} overflow="hidden" borderStyle="round" borderColor={tone('cyan')} paddingX={1}>
      <Text wrap="truncate-end">{`deploy ${host}: the repo has no HEAD to deploy (${note})`}</Text>
      <Text wrap="truncate-end">{`rev: ${text}_`}</Text>
      <Text wrap="truncate-end" bold>
        Enter show the plan · Esc cancel (a full 40-hex SHA outside a git checkout)
      </Text>
    </Box>
  );
}
