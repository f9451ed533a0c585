import { UsageError } from './errors.js';
import { INSTANCE_TYPE_RE } from './patterns.js';

// `claw spot prices`, the pure part: one row per region, AZ and instance type from the
// spot price points, cheapest first, the cheapest AZ of each type marked, and min /
// mean / max over a history window. No I/O here.

export const HOURS_PER_MONTH = 730;
export const SPOT_PRODUCT = 'Linux/UNIX';
/** AWS keeps 90 days of spot price history. */
export const MAX_HISTORY_MS = 90 * 86_400_000;
/** DescribeInstanceTypes takes up to 100 names. */
export const MAX_INSTANCE_TYPES = 100;

export const SORT_KEYS = ['price', 'az', 'type'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface InstanceTypeSpec {
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
}

export interface PricePoint {
  region: string;
  availabilityZone: string;
  instanceType: string;
  /** USD per hour. */
  price: number;
  /** ISO 8601. */
  timestamp: string;
}

export interface WindowStats {
  min: number;
  /** Time-weighted: each price counts for as long as it was in effect inside the window. */
  mean: number;
  max: number;
}

export interface SpotRow {
  region: string;
  availabilityZone: string;
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  pricePerHour: number;
  pricePerMonth: number;
  /** When the current price took effect. */
  timestamp: string;
  /** The cheapest AZ for this instance type among all rows (ties: each of them). */
  cheapest: boolean;
  history?: WindowStats;
}

export const monthly = (hourly: number) => Math.round(hourly * HOURS_PER_MONTH * 100) / 100;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function parseSortKey(raw: string | undefined): SortKey {
  if (raw === undefined) return 'price';
  if ((SORT_KEYS as readonly string[]).includes(raw)) return raw as SortKey;
  throw new UsageError(`--sort ${raw}: expected one of ${SORT_KEYS.join(', ')}`);
}

/** Instance type names from flags (each may be a comma list), checked strictly, duplicates dropped. */
export function parseInstanceTypes(raw: readonly string[]): string[] {
  const names = [
    ...new Set(
      raw
        .flatMap((r) => r.split(','))
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (names.length === 0) throw new UsageError('--instance-types: no instance type given');
  const bad = names.find((n) => n.length > 64 || !INSTANCE_TYPE_RE.test(n));
  if (bad !== undefined) throw new UsageError(`--instance-types ${JSON.stringify(bad)}: not an instance type name`, 'like t4g.small or m8g.large');
  if (names.length > MAX_INSTANCE_TYPES) throw new UsageError(`--instance-types: at most ${MAX_INSTANCE_TYPES} types at once (got ${names.length})`);
  return names;
}

const seriesKey = (p: { region: string; availabilityZone: string; instanceType: string }) => `${p.region}|${p.availabilityZone}|${p.instanceType}`;

function groupSeries(points: readonly PricePoint[]): Map<string, PricePoint[]> {
  const out = new Map<string, PricePoint[]>();
  for (const p of points) {
    const list = out.get(seriesKey(p)) ?? [];
    list.push(p);
    out.set(seriesKey(p), list);
  }
  for (const list of out.values()) list.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  return out;
}

/**
 * Min / mean / max of one series (oldest first) over [start, end]. The price in effect
 * at `start` is the last change at or before it; a series whose first change is inside
 * the window counts from that change on.
 */
export function windowStats(series: readonly PricePoint[], start: number, end: number): WindowStats | undefined {
  const relevant: { price: number; from: number }[] = [];
  for (const p of series) {
    const t = Date.parse(p.timestamp);
    if (t > end) break;
    if (t <= start) relevant.splice(0, relevant.length, { price: p.price, from: start });
    else relevant.push({ price: p.price, from: t });
  }
  if (relevant.length === 0) return undefined;
  let weighted = 0;
  let span = 0;
  relevant.forEach((r, i) => {
    const until = relevant[i + 1]?.from ?? end;
    weighted += r.price * (until - r.from);
    span += until - r.from;
  });
  const prices = relevant.map((r) => r.price);
  const mean = span > 0 ? weighted / span : relevant[relevant.length - 1]!.price;
  return { min: Math.min(...prices), mean: round6(mean), max: Math.max(...prices) };
}

export interface BuildRowsInput {
  types: readonly (InstanceTypeSpec & { region: string })[];
  points: readonly PricePoint[];
  /** With a history window: its bounds (ms). */
  window?: { start: number; end: number } | undefined;
}

/** One row per region, AZ and type with a known type; the newest point is the current price. */
export function buildRows(input: BuildRowsInput): SpotRow[] {
  const specs = new Map(input.types.map((t) => [`${t.region}|${t.instanceType}`, t]));
  const rows: SpotRow[] = [];
  for (const series of groupSeries(input.points).values()) {
    const current = series[series.length - 1]!;
    const spec = specs.get(`${current.region}|${current.instanceType}`);
    if (!spec) continue;
    const history = input.window ? windowStats(series, input.window.start, input.window.end) : undefined;
    rows.push({
      region: current.region,
      availabilityZone: current.availabilityZone,
      instanceType: current.instanceType,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      pricePerHour: current.price,
      pricePerMonth: monthly(current.price),
      timestamp: current.timestamp,
      cheapest: false,
      ...(history && { history }),
    });
  }
  return sortRows(markCheapest(rows), 'price');
}

/** Mark, per instance type, the row(s) with the lowest hourly price. */
export function markCheapest(rows: readonly SpotRow[]): SpotRow[] {
  const min = new Map<string, number>();
  for (const r of rows) min.set(r.instanceType, Math.min(min.get(r.instanceType) ?? Infinity, r.pricePerHour));
  return rows.map((r) => ({ ...r, cheapest: r.pricePerHour === min.get(r.instanceType) }));
}

const ORDER: Record<SortKey, ((a: SpotRow, b: SpotRow) => number)[]> = {
  price: [(a, b) => a.pricePerHour - b.pricePerHour, (a, b) => cmp(a.instanceType, b.instanceType), (a, b) => cmp(a.availabilityZone, b.availabilityZone)],
  az: [(a, b) => cmp(a.availabilityZone, b.availabilityZone), (a, b) => a.pricePerHour - b.pricePerHour, (a, b) => cmp(a.instanceType, b.instanceType)],
  type: [(a, b) => cmp(a.instanceType, b.instanceType), (a, b) => a.pricePerHour - b.pricePerHour, (a, b) => cmp(a.availabilityZone, b.availabilityZone)],
};

export function sortRows(rows: readonly SpotRow[], key: SortKey): SpotRow[] {
  const order = [...ORDER[key], (a: SpotRow, b: SpotRow) => cmp(a.region, b.region)];
  return [...rows].sort((a, b) => {
    for (const c of order) {
      const d = c(a, b);
      if (d !== 0) return d;
    }
    return 0;
  });
}

export type ProblemKind = 'unknown-instance-type' | 'region-not-enabled' | 'no-data' | 'region-failed';
export interface SpotProblem {
  region: string;
  instanceType: string | null;
  kind: ProblemKind;
  message: string;
}

export interface SpotDocument {
  prices: Record<string, unknown>[];
  history?: { window: string; start: string; end: string };
  problems: SpotProblem[];
}

export function toJson(rows: readonly SpotRow[], problems: readonly SpotProblem[], history?: { window: string; start: string; end: string }): SpotDocument {
  return {
    prices: rows.map((r) => ({
      region: r.region,
      availabilityZone: r.availabilityZone,
      instanceType: r.instanceType,
      vcpus: r.vcpus,
      memoryMiB: r.memoryMiB,
      pricePerHour: r.pricePerHour,
      pricePerMonth: r.pricePerMonth,
      timestamp: r.timestamp,
      cheapest: r.cheapest,
      ...(history && { minPerHour: r.history?.min ?? null, meanPerHour: r.history?.mean ?? null, maxPerHour: r.history?.max ?? null }),
    })),
    ...(history && { history }),
    problems: [...problems],
  };
}

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const opt6 = (n: number | undefined) => (n === undefined ? '' : n.toFixed(6));

export function toCsv(rows: readonly SpotRow[], withHistory: boolean): string {
  const header = ['Region', 'AZ', 'InstanceType', 'VCpus', 'MemoryMiB', 'PriceUSD/hr', 'PriceUSD/mo', 'Cheapest', 'Timestamp'];
  if (withHistory) header.push('MinUSD/hr', 'MeanUSD/hr', 'MaxUSD/hr');
  const lines = rows.map((r) => {
    const cells = [
      r.region,
      r.availabilityZone,
      r.instanceType,
      String(r.vcpus),
      String(r.memoryMiB),
      r.pricePerHour.toFixed(6),
      r.pricePerMonth.toFixed(2),
      r.cheapest ? 'yes' : 'no',
      r.timestamp,
    ];
    if (withHistory) cells.push(opt6(r.history?.min), opt6(r.history?.mean), opt6(r.history?.max));
    return cells.map(csvCell).join(',');
  });
  return [header.join(','), ...lines].join('\n');
}
