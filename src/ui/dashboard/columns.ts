import { amiLabel, driftLabel, revLabel, type FleetRow } from '../../core/dashboard-rows.js';
import { formatAge } from '../format.js';

// The fleet table's columns: each cell as text and tone, the widths, and which columns
// fit the terminal. Pure: the Ink table only pads and colours. Widths come from every
// visible row (not just the ones on screen), so scrolling never makes columns jump; on
// a narrow terminal the least telling columns go first (the detail view has them all).

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'gray';

export interface Cell {
  text: string;
  tone?: Tone | undefined;
}

export type ColumnId = 'host' | 'instance' | 'state' | 'type' | 'az' | 'ami' | 'rev' | 'ssm' | 'backup' | 'drift';

export interface Column {
  id: ColumnId;
  title: string;
  width: number;
}

const STATE_TONE: Record<string, Tone> = { running: 'green', pending: 'yellow', stopping: 'yellow', stopped: 'red', missing: 'red' };
const SSM_TONE: Record<string, Tone> = { online: 'green', 'connection-lost': 'red', inactive: 'red', 'not-managed': 'yellow', unknown: 'gray' };
const AMI_TONE: Record<FleetRow['ami'], Tone | undefined> = { latest: 'green', behind: 'yellow', untracked: 'red', unknown: undefined };
const HOST_TONE: Record<FleetRow['kind'], Tone | undefined> = { host: undefined, unregistered: 'gray', backup: 'cyan' };

const CELL: Record<ColumnId, (r: FleetRow, now: number) => Cell> = {
  host: (r) => ({ text: r.host, tone: HOST_TONE[r.kind] }),
  instance: (r) => ({
    text: r.instanceId ? `${r.instanceId}${r.extraInstances ? ` +${r.extraInstances}` : ''}` : '-',
    tone: r.extraInstances ? 'yellow' : undefined,
  }),
  state: (r) => ({ text: r.state, tone: STATE_TONE[r.state] ?? 'yellow' }),
  type: (r) => ({ text: r.instanceType === null ? '-' : r.typeDrift ? `${r.instanceType}!` : r.instanceType, tone: r.typeDrift ? 'yellow' : undefined }),
  az: (r) => ({ text: r.availabilityZone ?? '-' }),
  ami: (r) => ({ text: amiLabel(r), tone: AMI_TONE[r.ami] }),
  rev: (r) => ({ text: revLabel(r), tone: r.revStanding === 'head' ? 'green' : r.revStanding === 'other' ? 'yellow' : undefined }),
  ssm: (r) => ({ text: r.ssm ?? '-', tone: r.ssm ? SSM_TONE[r.ssm] : undefined }),
  // Whole units (12m, 3h): the column keeps its width while the seconds tick.
  backup: (r, now) => ({
    text: r.backupAt ? `${formatAge(r.backupAt, new Date(now))} ago` : '-',
    tone: r.kind === 'backup' ? (r.drift.length ? 'yellow' : 'green') : undefined,
  }),
  drift: (r) => ({ text: driftLabel(r), tone: r.drift.length === 0 ? 'green' : r.kind === 'unregistered' ? 'gray' : 'yellow' }),
};

const ORDER: ColumnId[] = ['host', 'instance', 'state', 'type', 'az', 'ami', 'rev', 'ssm', 'backup', 'drift'];
/** Dropped first to last when the terminal is too narrow; host, state and drift always stay. */
const DROP: ColumnId[] = ['az', 'instance', 'type', 'backup', 'rev', 'ssm', 'ami'];
/** The drift column gets at least this much before another column goes. */
const DRIFT_ROOM = 12;

export const rowCells = (r: FleetRow, now: number, columns: readonly Column[]): Cell[] => columns.map((c) => CELL[c.id](r, now));

/** Only when the backup lane knows something: a column of dashes is noise. */
export const hasBackups = (rows: readonly FleetRow[]): boolean => rows.some((r) => r.backupAt !== null);

export const GAP = '  ';
const MARK = 2; // the selection marker

export function layoutColumns(rows: readonly FleetRow[], now: number, width: number): Column[] {
  let ids = ORDER.filter((id) => id !== 'backup' || hasBackups(rows));
  // `123d ago` at most; a title has room for the sort arrow after it.
  const widthOf = new Map<ColumnId, number>(ids.map((id) => [id, id === 'backup' ? 8 : id.length + 1]));
  for (const r of rows) for (const id of ids) widthOf.set(id, Math.max(widthOf.get(id)!, CELL[id](r, now).text.length));
  const needed = (cols: ColumnId[]) =>
    MARK + cols.filter((id) => id !== 'drift').reduce((n, id) => n + widthOf.get(id)! + GAP.length, 0) + Math.min(widthOf.get('drift')!, DRIFT_ROOM);
  for (const id of DROP) {
    if (needed(ids) <= width) break;
    ids = ids.filter((x) => x !== id);
  }
  return ids.map((id) => ({ id, title: id.toUpperCase(), width: widthOf.get(id)! }));
}

export const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length));

/** The header line of the table, aligned with the rows (after the two-character selection marker). */
export const headerLine = (columns: readonly Column[], sort?: { key: string; reversed: boolean }): string =>
  `  ${columns
    .map((c) => (c.id === sort?.key ? `${c.title}${sortArrow(sort.reversed)}` : c.title))
    .map((t, i) => (i === columns.length - 1 ? t : pad(t, columns[i]!.width)))
    .join(GAP)}`;

/** ↑ in the column's natural order (A to Z, most drift first), ↓ reversed (S). */
export const sortArrow = (reversed: boolean): string => (reversed ? '↓' : '↑');
