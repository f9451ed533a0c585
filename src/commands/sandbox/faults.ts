import { randomInt } from 'node:crypto';
import { UsageError } from '../../core/errors.js';
import { parseWholeNumber } from '../../core/flag-values.js';
import type { FaultSettings } from '../../sandbox/faults-store.js';
import type { Context } from '../../cli/context.js';

// `claw sandbox faults`: show, set or clear fault injection for the simulated account
// (<home>/sandbox/faults.json). Setting a seed restarts the run count, so the same
// seed on the same state replays the same faults.

export interface FaultsOptions {
  rate?: string;
  seed?: string;
  attempts?: string;
  off?: boolean;
  json?: boolean;
}

interface FaultChange {
  rate?: number;
  seed?: number;
  attempts?: number;
}

function parseRate(raw: string): number {
  const m = /^(\d{1,3}(?:\.\d{1,6})?|\.\d{1,6})(%?)$/.exec(raw.trim());
  const rate = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(rate > 0 && rate <= 1))
    throw new UsageError(`--rate ${JSON.stringify(raw)}: expected a fraction above 0 and at most 1, like 0.2 (or 20%)`, 'to stop injecting faults use --off');
  return rate;
}

/** The flags, checked before anything is read or written. */
export function parseFaultsOptions(o: FaultsOptions, limits: { maxAttempts: number; maxSeed: number }): 'show' | 'off' | FaultChange {
  const change: FaultChange = {};
  if (o.rate !== undefined) change.rate = parseRate(o.rate);
  if (o.seed !== undefined) change.seed = parseWholeNumber(o.seed, '--seed', { min: 0, max: limits.maxSeed, example: 7 });
  if (o.attempts !== undefined) change.attempts = parseWholeNumber(o.attempts, '--attempts', { min: 1, max: limits.maxAttempts, example: 3 });
  const setting = Object.keys(change);
  if (o.off && setting.length)
    throw new UsageError(`--off cannot be combined with ${setting.map((k) => `--${k}`).join(', ')}`, 'clear with --off alone, or set values without it');
  if (o.off) return 'off';
  return setting.length ? change : 'show';
}

function describe(s: FaultSettings | undefined, file: string) {
  return s
    ? { enabled: true, rate: s.rate, attempts: s.attempts, seed: s.seed, nextRun: s.runs, file }
    : { enabled: false, rate: null, attempts: null, seed: null, nextRun: null, file };
}

export async function faults(ctx: Context, o: FaultsOptions): Promise<void> {
  const store = await import('../../sandbox/faults-store.js');
  const { formatRate } = await import('../../sandbox/faults.js');
  const action = parseFaultsOptions(o, { maxAttempts: store.MAX_FAULT_ATTEMPTS, maxSeed: store.MAX_FAULT_SEED });
  const file = store.sandboxFaultsPath(ctx.home);
  let now: FaultSettings | undefined;
  let headline: string;
  if (action === 'off') {
    // No read first: a broken file is cleared like a good one.
    headline = (await store.removeFaults(file)) ? 'sandbox faults: off (cleared)' : 'sandbox faults: off (already)';
  } else if (action === 'show') {
    now = await store.readFaults(file);
    headline = now ? 'sandbox faults: on' : 'sandbox faults: off';
  } else {
    const before = await store.readFaults(file);
    now = {
      version: store.FAULTS_VERSION,
      rate: action.rate ?? before?.rate ?? store.DEFAULT_FAULT_RATE,
      attempts: action.attempts ?? before?.attempts ?? store.DEFAULT_FAULT_ATTEMPTS,
      seed: action.seed ?? before?.seed ?? randomInt(0, store.MAX_FAULT_SEED),
      // A seed given restarts the count: the same seed on the same state replays.
      runs: action.seed === undefined ? (before?.runs ?? 0) : 0,
    };
    await store.writeFaults(file, now);
    headline = before ? 'sandbox faults: on (updated)' : 'sandbox faults: on';
  }
  if (o.json) {
    ctx.print(JSON.stringify(describe(now, file), null, 2));
    return;
  }
  const lines = [headline];
  if (now) {
    lines.push(
      `  ${formatRate(now.rate)} of AWS requests fail (500, 503, throttling), ${now.attempts === 1 ? 'no retries' : `up to ${now.attempts} tries per call`}`,
      `  seed ${now.seed}, next run ${now.runs}`,
    );
  }
  lines.push(`  file ${file}`);
  ctx.print(lines.join('\n'));
}
