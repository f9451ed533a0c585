// `npm run bench`: claw against its peers (the aws CLI v2, rclone) on one moto server
// started here, seeded with a fleet of realistic size. Prints a table (or --json); the
// ratios are what counts, moto being the ceiling on throughput. Every request stays on
// 127.0.0.1; moto is stopped at the end whatever happens. Exits non-zero only when
// claw itself fails (a missing peer is skipped, loudly).
import { existsSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, USAGE } from './lib/args.mjs';
import { startFront } from './lib/front.mjs';
import { startMoto } from './lib/moto.mjs';
import { benchHome, findPeers, peerEnv } from './lib/peers.mjs';
import { killAll } from './lib/proc.mjs';
import { renderReport } from './lib/report.mjs';
import { createSeeder } from './lib/seed.mjs';
import { fleetReadSuite } from './suites/fleet-read.mjs';
import { countRequests, requestsSection } from './suites/requests.mjs';
import { s3Suite } from './suites/s3.mjs';
import { startupSuite } from './suites/startup.mjs';

const root = resolve(import.meta.dirname, '..');
const args = parseArgs(process.argv.slice(2));
if (args.error || args.help) {
  (args.help ? process.stdout : process.stderr).write(`${args.error ? `bench: ${args.error}\n` : ''}${USAGE}\n`);
  process.exit(args.error ? 2 : 0);
}

const log = (line) => process.stderr.write(`bench: ${line}\n`);
const loud = (line) => process.stderr.write(`bench: WARNING: ${line}\n`);

// Everything to undo, in one place, run once: on success, on error, on Ctrl-C.
const cleanup = [];
let cleanedUp = false;
function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  killAll();
  for (const undo of cleanup.reverse()) {
    try {
      undo();
    } catch {
      // best effort: the remaining steps still run
    }
  }
}
process.on('exit', cleanUp);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    log(`${signal}: stopping moto and every running peer`);
    cleanUp();
    process.exit(code);
  });
}

async function main() {
  if (!existsSync(join(root, 'dist', 'cli.js'))) {
    throw Object.assign(new Error('dist/cli.js is missing: build claw first (`npm run build`; `npm run bench` does it)'), { claw: true });
  }
  const peers = findPeers();
  const warnings = peers.missing.map((m) => m.line);
  for (const w of warnings) loud(w);

  const home = benchHome();
  cleanup.push(() => rmSync(home, { recursive: true, force: true }));
  const clawFailures = [];
  const result = {
    meta: {
      startedAt: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      runs: args.runs,
      peers: { moto: peers.moto?.version, aws: peers.aws?.version, rclone: peers.rclone?.version },
      fleet: undefined,
    },
    warnings,
    sections: [],
    skippedSections: {},
    notes: [],
    clawFailures,
  };
  const ctx = {
    root,
    runs: args.runs,
    peers,
    home,
    env: peerEnv(home),
    fixtureRepo: join(root, 'fixtures', 'clawdinators'),
    progress: (suite) => (line) => log(`${suite}: ${line}`),
    clawFailed: (msg) => clawFailures.push(msg),
  };
  const collect = (section) => {
    result.sections.push(section);
    for (const r of section.rows ?? section.cases?.flatMap((c) => c.rows) ?? []) {
      if (r.peer === 'claw' && !r.ok) clawFailures.push(`${section.title}: ${r.label}: ${r.error}`);
      else if (!r.ok) loud(`${section.title}: ${r.label} failed: ${r.error}`);
    }
  };

  log(`start-up, ${args.runs} runs each`);
  collect(await startupSuite(ctx));
  collect(await (await import('./suites/tui.mjs')).tuiSuite(ctx));

  if (!peers.moto) {
    for (const id of ['fleet-read', 's3', 'requests']) result.skippedSections[id] = 'moto is not installed';
  } else {
    let moto;
    try {
      moto = await startMoto({ env: motoEnv(), python: peers.moto.python });
    } catch (err) {
      loud(`moto would not start, every benchmark against an endpoint is skipped: ${err.message}`);
      for (const id of ['fleet-read', 's3', 'requests']) result.skippedSections[id] = 'moto would not start';
    }
    if (moto) {
      cleanup.push(() => moto.stop());
      log(`moto ${peers.moto.version} on ${moto.url}`);
      const seeder = createSeeder(moto.url);
      cleanup.push(() => seeder.destroy());
      const front = await startFront(moto.url, seeder.managedNodes);
      cleanup.push(() => void front.close());
      Object.assign(ctx, { endpoint: front.url, front, motoUrl: moto.url });

      log('seeding: tagged AMIs, the 3 registry hosts, the bucket');
      ctx.seeded = await seeder.seedRegistryFleet();
      const sizes = [await countRequests(ctx)];
      log('seeding: growing the fleet');
      ctx.seeded = await seeder.growFleet();
      result.meta.fleet = ctx.seeded;
      sizes.push(await countRequests(ctx));

      log(`fleet read, ${args.runs} runs each`);
      collect(await fleetReadSuite(ctx));
      log('s3');
      collect(await s3Suite(ctx));
      result.sections.push(requestsSection(sizes, ctx));

      result.notes.push(
        `every peer talks to ${front.url}, a counting front that forwards each request unchanged to moto at ${moto.url} (both on 127.0.0.1); the hop costs every peer alike`,
        'moto has no SSM DescribeInstanceInformation (it answers HTTP 500, which the SDK and the aws CLI both retry with backoff): the front answers it from the seeded fleet, following the API (filters, MaxResults 5-50, NextToken; 50 per page when MaxResults is not given, the most favourable page size for the aws CLI)',
        'the aws CLI script asks SSM with a tag filter (no need to wait for instance ids, so it can run in parallel); claw asks for the instance ids it found, 50 at a time',
        'the aws CLI script passes --page-size 1000 to describe-instances only because moto pages DescribeInstances at 100 when no MaxResults is given (AWS answers with all at once); without it the CLI needs 3 requests at 203 instances here and moto filters the fleet 3 times',
      );
    }
  }
  result.notes.push("ratios are medians of this run only (÷ baseline: that row's time divided by the baseline's); rerun with --runs N for steadier numbers");
  return result;
}

function motoEnv() {
  // moto needs nothing of AWS; keep the caller's python setup (pyenv and such) but no
  // proxies and no AWS settings.
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(AWS_|https?_proxy$|HTTPS?_PROXY$|ALL_PROXY$|all_proxy$)/.test(k)) delete env[k];
  }
  return env;
}

let exitCode = 0;
try {
  const result = await main();
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(renderReport(result));
  if (result.clawFailures.length) {
    for (const f of result.clawFailures) process.stderr.write(`bench: claw failed: ${f}\n`);
    exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`bench: ${err.claw ? '' : 'error: '}${err.message}\n`);
  if (!err.claw && err.stack) process.stderr.write(`${err.stack.split('\n').slice(1, 4).join('\n')}\n`);
  exitCode = 1;
} finally {
  cleanUp();
}
process.exitCode = exitCode;
