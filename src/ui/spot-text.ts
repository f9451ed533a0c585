import type { SpotRow } from '../core/spot.js';
import type { Styler } from './style.js';
import { renderTable } from './table.js';

// `claw spot prices` as plain text: the upstream columns (AZ InstanceType VCpus
// MemoryMiB PriceUSD/hr PriceUSD/mo), min / mean / max with --history, and the
// cheapest AZ of each type marked.

export function renderSpot(rows: readonly SpotRow[], o: { window?: string | undefined; paint: Styler }): string {
  if (rows.length === 0) return 'no spot prices';
  const headers = ['AZ', 'InstanceType', 'VCpus', 'MemoryMiB', 'PriceUSD/hr', 'PriceUSD/mo'];
  if (o.window) headers.push(`Min/hr(${o.window})`, 'Mean/hr', 'Max/hr');
  headers.push('');
  const body = rows.map((r) => {
    const cells = [r.availabilityZone, r.instanceType, String(r.vcpus), String(r.memoryMiB), r.pricePerHour.toFixed(6), r.pricePerMonth.toFixed(2)];
    if (o.window) cells.push(...[r.history?.min, r.history?.mean, r.history?.max].map((n) => (n === undefined ? '-' : n.toFixed(6))));
    cells.push(r.cheapest ? o.paint('green', '* cheapest') : '');
    return r.cheapest ? cells.map((c, i) => (i === 1 ? o.paint('bold', c) : c)) : cells;
  });
  // Counts and prices right-aligned: their digits line up (the AZ, type and mark stay left).
  const right = new Set(headers.map((_, i) => i).filter((i) => i >= 2 && i < headers.length - 1));
  const table = renderTable(headers, body, { right });
  const note = o.window ? `\nmonthly = hourly × 730; mean is time-weighted over the last ${o.window}` : '\nmonthly = hourly × 730';
  return table + note;
}
