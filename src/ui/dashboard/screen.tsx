import { Box, Text } from 'ink';
import { formatAgo, staleness } from '../../core/dashboard-refresh.js';
import { newestRead, selectedRow } from '../../core/dashboard-state.js';
import { type DashboardState } from '../../core/dashboard-types.js';
import { ConfirmDeploy, RevPrompt } from './confirm.js';
import { Detail } from './detail.js';
import { sortArrow } from './columns.js';
import { FleetTable } from './fleet-table.js';
import { Footer } from './footer.js';
import { ErrorBanner, Header, type Where } from './header.js';
import { Help } from './help.js';
import { HistoryPanel, RetentionPanel } from './panels.js';
import { RolloutView } from './rollout.js';
import { SpotView } from './spot.js';
import { useTone } from './theme.js';

// The whole frame, exactly `height` lines of at most `width` columns (a frame that
// overflows the terminal makes Ink clear and redraw it: flicker). Fixed regions:
// header, optional error banner, the main area (table and panels, or the current
// view), footer. Pure: a state in, a frame out.

export interface Layout {
  banner: number;
  /** The table's title, column header and rows. */
  table: number;
  /** The lower panels (0 on a short terminal). */
  panels: number;
  /** Lines for a view that replaces the table and panels. */
  main: number;
}

const HEADER = 2;
const FOOTER = 1;

export function layout(height: number, banner: boolean): Layout {
  const b = banner ? 1 : 0;
  const main = Math.max(3, height - HEADER - FOOTER - b);
  const panels = height >= 24 ? Math.min(10, Math.floor(main / 3)) : 0;
  return { banner: b, table: main - panels, panels, main };
}

function TableTitle({ state }: { state: DashboardState }) {
  const tone = useTone();
  const count = (kind: string) => state.rows.filter((r) => r.kind === kind).length;
  const st = staleness(state.fleet, state.now, state.intervalMs);
  const filtered = state.filter ? ` · filter /${state.filter} (${state.visible.length} shown)` : '';
  const backups = state.backup.value ? `, ${count('backup')} OpenClaw (stack ${state.backup.value.stack})` : '';
  const counts = state.fleet.value ? `: ${count('host')} hosts, ${count('unregistered')} unregistered${backups}` : '';
  return (
    <Text wrap="truncate-end" bold>
      {`Fleet${counts} · sort: ${state.sort} ${sortArrow(state.sortReversed)}${filtered}`}
      {st.stale ? <Text color={tone('red')}>{` STALE${st.ageMs !== null ? ` ${formatAgo(st.ageMs)}` : ''}`}</Text> : null}
    </Text>
  );
}

function emptyText(s: DashboardState): string {
  if (s.fleet.value === null) return s.fleet.error ? `could not read the fleet: ${s.fleet.error}` : 'reading the fleet…';
  if (s.rows.length === 0) return 'no hosts in nix/instances.json and no tagged instances';
  return `no host matches /${s.filter} (Esc clears the filter)`;
}

function Main({ state, width, l }: { state: DashboardState; width: number; l: Layout }) {
  const mode = state.mode;
  const row = selectedRow(state);
  switch (mode.kind) {
    case 'detail':
      if (row) {
        const backup = state.backup.value ?? undefined;
        const own = backup?.hosts.find((h) => h.instanceId === row.instanceId);
        const inst = own ? { tags: own.tags, launchTime: own.launchTime ?? null } : row.instanceId ? state.fleet.value?.instances[row.instanceId] : undefined;
        const lastDeploy = state.history.value?.find((h) => h.host === row.host);
        return <Detail input={{ row, instance: inst, lastDeploy, tail: state.tails[row.host], backup, now: state.now }} height={l.main} />;
      }
      break;
    case 'help':
      return <Help height={l.main} readonly={state.readonly} />;
    case 'rev':
      return <RevPrompt host={mode.host} text={mode.text} note={state.head.value?.note ?? 'unknown'} height={l.main} width={width} />;
    case 'confirm':
      return <ConfirmDeploy host={mode.host} plan={mode.plan} height={l.main} width={width} />;
    case 'rollout':
      if (state.rollout) return <RolloutView rollout={state.rollout} now={state.now} height={l.main} />;
      break;
    case 'spot':
      return <SpotView spot={state.spot} height={l.main} />;
    default:
      break;
  }
  const half = Math.floor(width / 2);
  return (
    <Box flexDirection="column" height={l.main}>
      <TableTitle state={state} />
      <FleetTable
        rows={state.visible}
        selectedKey={state.selectedKey}
        top={state.top}
        height={l.table - 1}
        width={width}
        now={state.now}
        empty={emptyText(state)}
        sortKey={state.sort}
        sortReversed={state.sortReversed}
      />
      {l.panels > 0 ? (
        <Box flexDirection="row" height={l.panels}>
          <RetentionPanel section={state.retention} now={state.now} intervalMs={state.intervalMs} width={half} height={l.panels} />
          <HistoryPanel section={state.history} now={state.now} intervalMs={state.intervalMs} width={width - half} height={l.panels} />
        </Box>
      ) : null}
    </Box>
  );
}

export interface ScreenProps {
  state: DashboardState;
  where: Where;
  width: number;
  height: number;
}

export function DashboardScreen({ state, where, width, height }: ScreenProps) {
  const l = layout(height, state.refresh.errors.length > 0);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Header
        where={where}
        account={state.account}
        head={state.head}
        lock={state.lock}
        refresh={state.refresh}
        now={state.now}
        intervalMs={state.intervalMs}
        readonly={state.readonly}
        faults={state.faults}
        dataAt={newestRead(state)}
      />
      <ErrorBanner refresh={state.refresh} now={state.now} intervalMs={state.intervalMs} dataAt={newestRead(state)} />
      <Main state={state} width={width} l={l} />
      <Footer state={state} />
    </Box>
  );
}
