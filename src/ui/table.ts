import { escapeCell } from '../core/terminal-text.js';
import { visibleLength } from './style.js';

/** A plain, aligned text table (two spaces between columns, no trailing blanks). */
export function renderTable(headers: string[], rawRows: string[][]): string {
  // Cells hold data from outside (tags, keys): one line each, control characters shown as escapes.
  const rows = rawRows.map((r) => r.map(escapeCell));
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
