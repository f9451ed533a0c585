import { escapeCell } from '../core/terminal-text.js';
import { visibleLength } from './style.js';

/** A plain, aligned text table (two spaces between columns, no trailing blanks). */
/**
 * A plain table: columns two spaces apart, left-aligned, but `right` ones (numbers, so
 * their digits line up) right-aligned, titles included.
 */
export function renderTable(headers: string[], rawRows: string[][], o: { right?: ReadonlySet<number> } = {}): string {
  // Cells hold data from outside (tags, keys): one line each, control characters shown as escapes.
  const rows = rawRows.map((r) => r.map(escapeCell));
  // A loop, not Math.max(...rows): a spread of a few hundred thousand rows overflows the stack.
  const widths = headers.map((h) => visibleLength(h));
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, visibleLength(r[i] ?? ''));
  const fill = (c: string, i: number) => ' '.repeat(Math.max(0, widths[i]! - visibleLength(c)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (o.right?.has(i) ? fill(c, i) + c : i === cells.length - 1 ? c : c + fill(c, i)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export interface FitColumn {
  title: string;
  /** Dropped when the terminal is too narrow: lowest first. Undefined: never dropped. */
  drop?: number;
}

/**
 * renderTable, fitted to `width` (a terminal's columns): while the table is wider, the
 * column with the lowest `drop` goes. Without a width (not a terminal) every column stays.
 */
export function renderFitted(columns: readonly FitColumn[], rows: readonly string[][], width: number | undefined): string {
  const cells = rows.map((r) => r.map(escapeCell));
  const widths = columns.map((c) => visibleLength(c.title));
  for (const r of cells) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, visibleLength(r[i] ?? ''));
  let keep = columns.map((_, i) => i);
  const total = (ix: readonly number[]) => ix.reduce((n, i) => n + widths[i]!, 0) + 2 * Math.max(0, ix.length - 1);
  if (width !== undefined) {
    const order = columns
      .map((c, i) => ({ i, drop: c.drop }))
      .filter((x) => x.drop !== undefined)
      .sort((a, b) => a.drop! - b.drop!);
    for (const { i } of order) {
      if (total(keep) <= width) break;
      keep = keep.filter((x) => x !== i);
    }
  }
  return renderTable(
    keep.map((i) => columns[i]!.title),
    cells.map((r) => keep.map((i) => r[i] ?? '')),
  );
}
