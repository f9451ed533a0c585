// Command-line flags of `npm run bench` (node bench/run.mjs [--json] [--runs N]).

export const DEFAULT_RUNS = 5;
export const MAX_RUNS = 50;

export const USAGE = `usage: npm run bench -- [--runs N] [--json]

  --runs N   timed repetitions per measurement, after one warm-up run (default ${DEFAULT_RUNS}, max ${MAX_RUNS})
  --json     print one JSON document instead of the table (progress stays on stderr)
  -h, --help this text`;

/** Parse argv; returns { runs, json, help } or { error }. */
export function parseArgs(argv) {
  const out = { runs: DEFAULT_RUNS, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') out.json = true;
    else if (arg === '-h' || arg === '--help') out.help = true;
    else if (arg === '--runs' || arg.startsWith('--runs=')) {
      const raw = arg === '--runs' ? argv[++i] : arg.slice('--runs='.length);
      const n = Number(raw);
      if (raw === undefined || !/^\d+$/.test(raw) || n < 1 || n > MAX_RUNS) {
        return { error: `--runs ${raw ?? ''}: expected a whole number from 1 to ${MAX_RUNS}` };
      }
      out.runs = n;
    } else return { error: `unknown argument ${arg}` };
  }
  return out;
}
