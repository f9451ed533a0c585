import { Box, Text } from 'ink';
import { clock } from './header.js';
import type { SpotState } from '../../core/dashboard-types.js';
import { useTone } from './theme.js';

// `p`: spot prices for the configured instance types in the configured region, as
// `claw spot prices` prints them, fetched when asked (not on every refresh).

export function SpotView({ spot, height }: { spot: SpotState | null; height: number }) {
  const tone = useTone();
  const head =
    spot?.status === 'loading'
      ? 'spot prices: asking EC2 …'
      : spot?.status === 'error'
        ? `spot prices: could not read them: ${spot.message}`
        : `spot prices${spot?.at ? ` at ${clock(spot.at)}` : ''}`;
  const lines = spot?.lines ?? [];
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate-end" bold color={tone(spot?.status === 'error' ? 'red' : undefined)}>
        {`${head} · r again · Esc back`}
      </Text>
      {lines.slice(0, Math.max(0, height - 1)).map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}
