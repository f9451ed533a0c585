import { formatAge } from '../format.js';
import { amiLabel, driftLabel, revLabel, type FleetRow } from '../../core/dashboard-rows.js';

// The fleet table's cells as text and tone, and the column widths. Pure: the Ink table
// only pads and colours them, and the widths come from every visible row (not just
// the ones on screen), so scrolling never makes the columns jump.

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'gray';

export interface Cell {
  text: string;
  tone?: Tone | undefined;
}

export interface Column {
  title: string;
  width: number;
}

const STATE_TONE: Record<string, Tone> = { running: 'green', pending: 'yellow', stopping: 'yellow', stopped: 'red', missing: 'red' };
const SSM_TONE: Record<string, Tone> = { online: 'green', 'connection-lost': 'red', inactive: 'red', 'not-managed': 'yellow', unknown: 'gray' };
const AMI_TONE: Record<FleetRow['ami'], Tone | undefined> = { latest: 'green', behind: 'yellow', untracked: 'red', unknown: undefined };

const HOST_TONE: Record<FleetRow['kind'], Tone | undefined> = { host: undefined, unregistered: 'gray', backup: 'cyan' };

const TITLES = ['HOST', 'INSTANCE', 'STATE', 'TYPE', 'AZ', 'AMI', 'REV', 'SSM'];

export function rowCells(r: FleetRow, now: number, showBackup: boolean): Cell[] {
  const cells: Cell[] = [
    { text: r.host, tone: HOST_TONE[r.kind] },
    { text: r.instanceId ? `${r.instanceId}${r.extraInstances ? ` +${r.extraInstances}` : ''}` : '-', tone: r.extraInstances ? 'yellow' : undefined },
    { text: r.state, tone: STATE_TONE[r.state] ?? 'yellow' },
    { text: r.instanceType === null ? '-' : r.typeDrift ? `${r.instanceType}!` : r.instanceType, tone: r.typeDrift ? 'yellow' : undefined },
    { text: r.availabilityZone ?? '-' },
    { text: amiLabel(r), tone: AMI_TONE[r.ami] },
    { text: revLabel(r), tone: r.revStanding === 'head' ? 'green' : r.revStanding === 'other' ? 'yellow' : undefined },
    { text: r.ssm ?? '-', tone: r.ssm ? SSM_TONE[r.ssm] : undefined },
  ];
  // Whole units (12m, 3h): the column keeps its width while the seconds tick.
  if (showBackup) cells.push({ text: r.backupAt ? `${formatAge(r.backupAt, new Date(now))} ago` : '-', tone: r.kind === 'backup' ? (r.drift.length ? 'yellow' : 'green') : undefined });
  cells.push({ text: driftLabel(r), tone: r.drift.length === 0 ? 'green' : r.kind === 'unregistered' ? 'gray' : 'yellow' });
  return cells;
}

/** Only when the backup lane knows something: a column of dashes is noise. */
export const hasBackups = (rows: readonly FleetRow[]): boolean => rows.some((r) => r.backupAt !== null);

export function layoutColumns(rows: readonly FleetRow[], now: number, showBackup: boolean): Column[] {
  const titles = [...TITLES, ...(showBackup ? ['BACKUP'] : []), 'DRIFT'];
  // `123d ago` at most: room for every backup age, so the columns after it stay put.
  const widths = titles.map((t) => (t === 'BACKUP' ? 8 : t.length));
  for (const r of rows) {
    rowCells(r, now, showBackup).forEach((c, i) => {
      widths[i] = Math.max(widths[i]!, c.text.length);
    });
  }
  return titles.map((title, i) => ({ title, width: widths[i]! }));
}

export const GAP = '  ';
export const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length));

/** The header line of the table, aligned with the rows (after the two-character selection marker). */
export const headerLine = (columns: readonly Column[]): string =>
  `  ${columns.map((c, i) => (i === columns.length - 1 ? c.title : pad(c.title, c.width))).join(GAP)}`;
