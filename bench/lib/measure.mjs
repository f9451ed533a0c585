// Repeated wall-time measurement of a set of cases: one warm-up run of each (also where
// the output is checked), then `runs` rounds, each case once per round in turn, so a
// noisy moment hits every case alike.
import { ratio, summarize } from './stats.mjs';

/**
 * cases: [{ id, label, peer, run: () => Promise<{ ms, ok, error?, value? }>, check?: (value) => string | undefined }]
 * progress: (line) => void. Returns one row per case:
 * { id, label, peer, ok, error?, runs, medianMs, p90Ms, minMs, samplesMs }.
 */
export async function measure(cases, runs, progress = () => {}) {
  const rows = new Map(cases.map((c) => [c.id, { id: c.id, label: c.label, peer: c.peer, ok: true, samples: [] }]));
  for (const c of cases) {
    progress(`warm-up: ${c.label}`);
    const r = await c.run();
    const row = rows.get(c.id);
    const problem = r.ok ? c.check?.(r.value) : r.error;
    if (problem) {
      row.ok = false;
      row.error = problem;
    }
  }
  for (let round = 1; round <= runs; round++) {
    progress(`round ${round}/${runs}`);
    for (const c of cases) {
      const row = rows.get(c.id);
      if (!row.ok) continue;
      const r = await c.run();
      if (!r.ok) {
        row.ok = false;
        row.error = `run ${round}: ${r.error}`;
        continue;
      }
      row.samples.push(r.ms);
    }
  }
  return [...rows.values()].map(({ samples, ...row }) => ({ ...row, ...(row.ok ? summarize(samples) : { runs: samples.length }) }));
}

/** Add `vsBaseline` (median / baseline median) and `p90VsBaseline` to every row. */
export function withRatios(rows, baselineId) {
  const base = rows.find((r) => r.id === baselineId);
  return rows.map((r) => ({
    ...r,
    vsBaseline: r.ok && base?.ok ? ratio(r.medianMs, base.medianMs) : null,
    p90VsBaseline: r.ok && base?.ok ? ratio(r.p90Ms, base.p90Ms) : null,
  }));
}
