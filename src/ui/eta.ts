// When a transfer's ETA is worth showing, and how. The rate is averaged from the step's
// start, so right after it (connections opening, the first small chunk) it says nothing
// yet: an ETA from it would read "ETA 850164s". Shown only once measured over enough
// time and bytes, and long ones in hours and minutes.

const MiB = 1024 * 1024;
/** Measure at least this long before promising an end. */
export const ETA_MIN_MS = 2_000;
/** ...and over at least this much of the transfer (less for a small one). */
const ETA_MIN_BYTES = MiB;

/** Seconds left at the average rate so far, or undefined while that rate is not yet measured. */
export function etaSeconds(done: number, total: number, elapsedMs: number): number | undefined {
  if (elapsedMs < ETA_MIN_MS || done >= total || done <= 0) return undefined;
  if (done < Math.min(ETA_MIN_BYTES, total / 20)) return undefined;
  return Math.ceil((total - done) / (done / (elapsedMs / 1000)));
}

/** "45s", "12m05s", "2h05m". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  // Rounded up to the minute, so "ETA 1h00m" never shows while seconds remain past it.
  const m = Math.ceil(s / 60);
  return `${Math.floor(m / 60)}h${pad(m % 60)}m`;
}

/** ", ETA 2h05m" for a byte transfer, or "" while there is nothing honest to say. */
export function etaSuffix(done: number, total: number | undefined, elapsedMs: number): string {
  if (total === undefined) return '';
  const eta = etaSeconds(done, total, elapsedMs);
  return eta === undefined ? '' : `, ETA ${formatEta(eta)}`;
}
