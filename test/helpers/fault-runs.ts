import { expect } from 'vitest';
import type { ClawResult } from './claw.js';
import { exhaustedCalls, type FaultProxy } from './fault-proxy.js';

// Running the built binary against a faulty AWS: what a clean stop looks like, and the
// operator's loop of running the same command again until it completes.

/** A stop an operator can act on: exit 1, exactly one `error:` line, no stack trace, not "a bug in claw". */
export function expectCleanStop(r: ClawResult, what: string): void {
  const context = `${what} (exit ${r.exitCode})\n${r.stderr}`;
  expect(r.exitCode, context).toBe(1);
  expect(
    r.stderr.split('\n').filter((l) => l.startsWith('error: ')),
    context,
  ).toHaveLength(1);
  expect(r.stderr, context).not.toMatch(/bug in claw|^\s+at /m);
}

export interface Runs {
  /** The run that completed. */
  done: ClawResult;
  /** The runs that stopped before it, each a clean stop. */
  stops: ClawResult[];
}

/**
 * Run until it exits 0 (at most `maxRuns` times); every run before must be a clean stop.
 * `between` runs after each stop (e.g. to finish an interrupted prune first).
 */
export async function untilDone(
  what: string,
  run: () => Promise<ClawResult>,
  opts: { maxRuns?: number; between?: (stop: ClawResult) => Promise<void> } = {},
): Promise<Runs> {
  const stops: ClawResult[] = [];
  const maxRuns = opts.maxRuns ?? 12;
  for (;;) {
    const r = await run();
    if (r.exitCode === 0) return { done: r, stops };
    expectCleanStop(r, `${what}, run ${stops.length + 1}`);
    stops.push(r);
    if (stops.length >= maxRuns) throw new Error(`${what}: still stopping after ${maxRuns} runs:\n${r.stderr}`);
    await opts.between?.(r);
  }
}

/**
 * With the default tries per request, faults are absorbed by the SDK's retries: a run
 * may only stop when some call met a fault on every one of its `tries`, which the proxy
 * shows. (At 20 % that is about one call in 8,000: rare, not impossible.)
 */
export function expectAbsorbed(runs: Runs, proxy: FaultProxy, from: number, tries = 5): void {
  if (runs.stops.length === 0) return;
  const exhausted = exhaustedCalls(proxy.seen.slice(from), tries);
  expect(
    exhausted.length,
    `stopped ${runs.stops.length} time(s) with ${tries} tries per request, but only ${exhausted.length} call(s) failed ${tries} times:\n${runs.stops.map((s) => s.stderr).join('\n')}`,
  ).toBeGreaterThanOrEqual(runs.stops.length);
}
