import { escapeCell } from '../core/terminal-text.js';
import { visibleLength } from './style.js';

/** A plain, aligned text table (two spaces between columns, no trailing blanks). */
export function renderTable(headers: string[], rawRows: string[][]): string {
  // Cells hold data from outside (tags, keys): one line each, control characters shown as escapes.
  const rows = rawRows.map((r) => r.map(escapeCell));
  // A loop, not Math.max(...rows): a spread of a few hundred thousand rows overflows the stack.
  const widths = headers.map((h) => visibleLength(h));
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, visibleLength(r[i] ?? ''));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
