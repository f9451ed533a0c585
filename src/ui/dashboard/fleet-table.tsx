import { Box, Text } from 'ink';
import { memo, useMemo, useRef } from 'react';
import type { FleetRow } from '../../core/dashboard-rows.js';
import { styler } from '../style.js';
import { GAP, headerLine, layoutColumns, pad, rowCells, type Column } from './columns.js';
import { useColor } from './theme.js';

interface RowProps {
  row: FleetRow;
  columns: readonly Column[];
  selected: boolean;
  /** The clock, for the backup age (0 when that column is not shown: nothing to redraw). */
  now: number;
}

/**
 * One row as one string (colours as escape codes when on): a single Text node per row
 * keeps Ink's layout work per frame small, however many cells a row has.
 */
const Row = memo(function Row({ row, columns, selected, now }: RowProps) {
  const color = useColor();
  const paint = styler(color);
  const cells = rowCells(row, now, columns);
  const text = cells
    .map((c, i) => {
      const cell = i === cells.length - 1 ? c.text : pad(c.text, columns[i]!.width);
      const toned = c.tone ? paint(c.tone, cell) : cell;
      return i === 0 && row.kind !== 'unregistered' ? paint('bold', toned) : toned;
    })
    .join(GAP);
  return (
    <Text wrap="truncate-end" inverse={selected && color}>
      {`${selected ? '> ' : '  '}${text}`}
    </Text>
  );
});

export interface FleetTableProps {
  rows: readonly FleetRow[];
  selectedKey: string | null;
  /** First visible row (the state scrolls it). */
  top: number;
  /** Lines for the column header and the rows. */
  height: number;
  width: number;
  now: number;
  /** Shown instead of rows when there are none. */
  empty: string;
  /** The sort column and direction, marked in the column header (primitives: the table is memoised). */
  sortKey: string;
  sortReversed: boolean;
}

/** The column header and the rows that fit; only those are rendered, however large the fleet. */
export const FleetTable = memo(function FleetTable({ rows, selectedKey, top, height, width, now, empty, sortKey, sortReversed }: FleetTableProps) {
  // Widths follow the rows and the terminal, not the clock: they are laid out with the
  // clock of the refresh that brought the rows; only the backup ages move with it.
  const laidOut = useRef({ rows, width, now });
  if (laidOut.current.rows !== rows || laidOut.current.width !== width) laidOut.current = { rows, width, now };
  const columns = useMemo(() => layoutColumns(rows, laidOut.current.now, width), [rows, width]);
  const clock = columns.some((c) => c.id === 'backup') ? now : 0;
  const shown = rows.slice(top, top + Math.max(0, height - 1));
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate-end" bold>
        {headerLine(columns, { key: sortKey, reversed: sortReversed })}
      </Text>
      {shown.length === 0 ? <Text wrap="truncate-end">{`  ${empty}`}</Text> : null}
      {shown.map((r) => (
        <Row key={r.key} row={r} columns={columns} selected={r.key === selectedKey} now={clock} />
      ))}
    </Box>
  );
});
