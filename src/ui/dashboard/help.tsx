import { Box, Text } from 'ink';

// `?`: every key, in the words of src/core/dashboard-keys.ts.

export const HELP: [string, string][] = [
  ['up/down, j/k', 'move the selection (PgUp/PgDn a page, g/G first/last)'],
  ['Enter', 'details of the selected host (tags, launch time, last deploy, output tail)'],
  ['Esc', 'back; in the table, clear the filter'],
  ['/', 'filter the hosts (every word must match somewhere in the row); Enter keeps it'],
  ['s', 'sort by the next column (host, state, type, az, ami, rev, ssm, drift)'],
  ['S', 'reverse the sort (↑ natural order, ↓ reversed; the column header shows which)'],
  ['r', 'refresh now'],
  ['d', 'deploy the selected host: shows the plan, asks, then the live rollout'],
  ['b', 'back up the selected host now, where that applies'],
  ['p', 'spot prices for the configured instance types'],
  ['l', 'the last deploy of this session'],
  ['?', 'this help'],
  ['q, Ctrl-C', 'quit (during a deploy, Ctrl-C interrupts it instead)'],
];

export function Help({ height, readonly }: { height: number; readonly: boolean }) {
  const lines = [
    'keys',
    '',
    ...HELP.map(([k, what]) => `  ${k.padEnd(14)} ${what}`),
    '',
    readonly ? 'read-only (--readonly): d and b are disabled' : 'claw tui --readonly disables every action',
    'data refreshes on the interval; on errors the last good data stays, marked STALE with its age',
  ];
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {lines.slice(0, height).map((l, i) => (
        <Text key={i} wrap="truncate-end" bold={i === 0}>
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}
