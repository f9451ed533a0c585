// Summary statistics over repeated wall-time samples (milliseconds).

const sorted = (xs) => [...xs].sort((a, b) => a - b);

/** Median (mean of the two middle samples for an even count). */
export function median(xs) {
  if (!xs.length) return NaN;
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile: with fewer than 10 runs, p90 is the slowest run. */
export function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = sorted(xs);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1];
}

export function summarize(samples) {
  return {
    runs: samples.length,
    medianMs: round(median(samples)),
    p90Ms: round(percentile(samples, 90)),
    minMs: round(Math.min(...samples)),
    samplesMs: samples.map(round),
  };
}

export const round = (x, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);

/** a / b, rounded; null when either side is missing. */
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 2) : null);
