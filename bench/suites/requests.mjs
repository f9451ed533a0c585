// 4. AWS requests for one fleet read: claw's own count (--verbose prints one line per
// AWS call) and what the endpoint saw (the front counts every request of every peer),
// against the aws CLI script's, at each fleet size the bench seeds.
import { runProcess, runSequence, describeExit } from '../lib/proc.mjs';
import { awsFleetArgvs, clawStatusArgv } from './common.mjs';

const VERBOSE_LINE = /^aws ([A-Za-z0-9]+)\.([A-Za-z0-9]+) \d+ms (ok|failed)$/;
// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

const total = (byOp) => Object.values(byOp).reduce((a, b) => a + b, 0);

/** { "ec2.DescribeInstances": 1, ... } from claw's --verbose stderr. */
export function countVerbose(stderr) {
  const byOp = {};
  for (const line of stripAnsi(stderr).split('\n')) {
    const m = VERBOSE_LINE.exec(line.trim());
    if (m) byOp[`${m[1]}.${m[2]}`] = (byOp[`${m[1]}.${m[2]}`] ?? 0) + 1;
  }
  return byOp;
}

/** Count the requests of one claw status and one aws CLI script at the current fleet size. */
export async function countRequests(ctx) {
  const opts = { env: ctx.env, cwd: ctx.home, timeoutMs: 120_000 };
  const out = { taggedInstances: ctx.seeded.taggedInstances, claw: null, aws: null };

  ctx.front.reset();
  const r = await runProcess(clawStatusArgv(ctx, { verbose: true }), opts);
  const seen = ctx.front.counts();
  if (r.code !== 0 || r.timedOut || r.error) {
    ctx.clawFailed(`claw --verbose status --json at ${out.taggedInstances} instances: ${describeExit(r)}`);
    out.claw = { ok: false, error: describeExit(r) };
  } else {
    const verbose = countVerbose(r.stderr);
    out.claw = { ok: true, verbose: { total: total(verbose), byOp: verbose }, endpoint: { total: total(seen), byOp: seen } };
  }

  if (ctx.peers.aws) {
    ctx.front.reset();
    const { results } = await runSequence(awsFleetArgvs(ctx), opts);
    const awsSeen = ctx.front.counts();
    const bad = results.find((x) => x.code !== 0 || x.timedOut || x.error);
    out.aws = bad ? { ok: false, error: describeExit(bad) } : { ok: true, endpoint: { total: total(awsSeen), byOp: awsSeen } };
  }
  return out;
}

export function requestsSection(sizes, ctx) {
  return {
    id: 'requests',
    title: 'AWS requests for one fleet read',
    sizes,
    skipped: ctx.peers.aws ? [] : ['aws CLI v2'],
    growth: growthVerdict(sizes),
  };
}

/**
 * One line on how claw's count grows from the smallest to the largest fleet. The most
 * pagination can explain: one page per EC2 read (claw asks up to 1000 per page) and
 * one DescribeInstanceInformation per 50 instances (50 is the API's page maximum).
 */
export function growthVerdict(sizes) {
  const ok = sizes.filter((s) => s.claw?.ok);
  if (ok.length < 2) return undefined;
  const bound = (n) => 2 * Math.ceil(n / 1000) + Math.ceil(n / 50);
  const a = ok[0];
  const b = ok[ok.length - 1];
  const grew = Object.keys(b.claw.endpoint.byOp)
    .filter((k) => (b.claw.endpoint.byOp[k] ?? 0) !== (a.claw.endpoint.byOp[k] ?? 0))
    .map((k) => `${k} ${a.claw.endpoint.byOp[k] ?? 0} → ${b.claw.endpoint.byOp[k]}`);
  const head = `claw: ${a.claw.endpoint.total} requests at ${a.taggedInstances} instances, ${b.claw.endpoint.total} at ${b.taggedInstances}`;
  const over = ok.filter((s) => s.claw.endpoint.total > bound(s.taggedInstances));
  if (!over.length) {
    return `${head} (${grew.length ? `grew: ${grew.join(', ')}` : 'no growth'}): within pagination (at most one page per 1000 instances per EC2 read and one SSM page per 50 instances: ${bound(b.taggedInstances)} at ${b.taggedInstances})`;
  }
  return `WARNING ${head}: more than pagination explains (${over.map((s) => `at most ${bound(s.taggedInstances)} expected at ${s.taggedInstances}`).join(', ')}; grew: ${grew.join(', ')})`;
}
