import { Text } from 'ink';
import type { DashboardState } from '../../core/dashboard-types.js';
import { useTone } from './theme.js';

// The bottom line: the filter being typed, a notice, or the keys of the current view.

function hints(s: DashboardState): string {
  const act = s.readonly ? '' : ' · d deploy · b backup';
  switch (s.mode.kind) {
    case 'table':
      return `j/k move · Enter detail · / filter · s/S sort · r refresh${act} · p spot · ? help · q quit`;
    case 'detail':
      return `Esc back · j/k next host${act} · q quit`;
    case 'confirm':
      return s.mode.plan.status === 'ready' ? 'y deploy · n/Esc cancel · q quit' : 'Esc back · q quit';
    case 'rev':
      return 'type the rev · Enter show the plan · Esc cancel';
    case 'filter':
      return '';
    case 'rollout':
      return s.rollout?.status === 'running' ? 'deploy running · Ctrl-C interrupts it' : 'Esc back · q quit';
    default:
      return 'Esc back · q quit';
  }
}

export function Footer({ state }: { state: DashboardState }) {
  const tone = useTone();
  if (state.mode.kind === 'filter') {
    return (
      <Text wrap="truncate-end">
        <Text bold>/</Text>
        {`${state.filter}_`}
        <Text dimColor>{`   ${state.visible.length} of ${state.rows.length} · Enter keep · Esc clear`}</Text>
      </Text>
    );
  }
  if (state.flash) {
    return (
      <Text wrap="truncate-end" color={tone('yellow')}>
        {state.flash.text}
      </Text>
    );
  }
  if (state.backingUp && state.mode.kind === 'table') {
    return (
      <Text wrap="truncate-end" color={tone('cyan')}>
        {`backing up ${state.backingUp} … (the table refreshes when it is done)`}
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" dimColor>
      {hints(state)}
    </Text>
  );
}
