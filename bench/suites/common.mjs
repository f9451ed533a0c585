// What the suites share: the argv of each peer's commands and how a run is judged.
import { join } from 'node:path';
import { REGION } from '../lib/seed.mjs';
import { describeExit, runParallel, runProcess, runSequence } from '../lib/proc.mjs';

export const INSTANCE_STATES = 'pending,running,stopping,stopped';

/** argv of the built claw (bin/claw under the Node running the bench). */
export const clawArgv = (ctx, ...args) => [process.execPath, join(ctx.root, 'bin', 'claw'), ...args];

/** `claw status --json` against the endpoint, with the fixture repo. */
export const clawStatusArgv = (ctx, { verbose = false } = {}) =>
  clawArgv(ctx, '--repo', ctx.fixtureRepo, '--endpoint-url', ctx.endpoint, '--region', REGION, ...(verbose ? ['--verbose'] : []), 'status', '--json');

const awsCommon = (ctx) => ['--endpoint-url', ctx.endpoint, '--region', REGION, '--output', 'json', '--no-cli-pager'];

/**
 * The aws CLI v2 doing what `claw status` gathers, the way an operator's script does:
 * the tagged instances in a live state, the tagged AMIs owned by the account, and the
 * SSM view of the tagged instances (a tag filter: no need to wait for the instance ids).
 * `--page-size 1000` on describe-instances only undoes a moto quirk: without MaxResults
 * moto pages DescribeInstances at 100 reservations (and redoes the whole filtering for
 * each page), where AWS answers with all of them at once; claw asks MaxResults=1000.
 */
export const awsFleetArgvs = (ctx) => [
  [
    ctx.peers.aws.bin,
    'ec2',
    'describe-instances',
    '--filters',
    'Name=tag:app,Values=clawdinator',
    `Name=instance-state-name,Values=${INSTANCE_STATES}`,
    '--page-size',
    '1000',
    ...awsCommon(ctx),
  ],
  [ctx.peers.aws.bin, 'ec2', 'describe-images', '--owners', 'self', '--filters', 'Name=tag:clawdinator,Values=true', ...awsCommon(ctx)],
  [ctx.peers.aws.bin, 'ssm', 'describe-instance-information', '--filters', 'Key=tag:app,Values=clawdinator', ...awsCommon(ctx)],
];

const procOpts = (ctx) => ({ env: ctx.env, cwd: ctx.home, timeoutMs: 120_000 });

/** A measure() case body for one process. */
export const single = (ctx, argv, env) => async () => {
  const r = await runProcess(argv, { ...procOpts(ctx), ...(env ? { env } : {}) });
  const ok = r.code === 0 && !r.timedOut && !r.error;
  return { ms: r.ms, ok, error: ok ? undefined : describeExit(r), value: r };
};

/** A measure() case body for several processes, one after another or all at once. */
export const several = (ctx, argvs, mode) => async () => {
  const { results, ms } = await (mode === 'parallel' ? runParallel : runSequence)(argvs, procOpts(ctx));
  const bad = results.find((r) => r.code !== 0 || r.timedOut || r.error);
  return {
    ms,
    ok: !bad,
    error: bad
      ? `${bad === results[0] ? 'describe-instances' : bad === results[1] ? 'describe-images' : 'describe-instance-information'}: ${describeExit(bad)}`
      : undefined,
    value: results,
  };
};

export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} did not print JSON: ${err.message}`, { cause: err });
  }
}

/** Why the aws CLI's three answers do not hold the seeded fleet, or undefined. */
export function checkAwsFleet(results, seeded) {
  try {
    const [inst, imgs, ssm] = results.map((r, i) => parseJson(r.stdout, ['describe-instances', 'describe-images', 'describe-instance-information'][i]));
    const n = (inst.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
    if (n !== seeded.taggedInstances) return `describe-instances returned ${n} instances, ${seeded.taggedInstances} seeded`;
    if ((imgs.Images ?? []).length !== seeded.taggedAmis) return `describe-images returned ${(imgs.Images ?? []).length} images, ${seeded.taggedAmis} seeded`;
    const m = (ssm.InstanceInformationList ?? []).length;
    if (m !== seeded.managedTagged) return `describe-instance-information returned ${m} nodes, ${seeded.managedTagged} seeded`;
    return undefined;
  } catch (err) {
    return err.message;
  }
}

/** Why claw's status document does not describe the seeded fleet, or undefined. */
export function checkClawStatus(stdout, seeded) {
  try {
    const doc = parseJson(stdout, 'claw status --json');
    if (!Array.isArray(doc.hosts) || doc.hosts.length !== seeded.registryHosts)
      return `claw status listed ${doc.hosts?.length} hosts, the registry has ${seeded.registryHosts}`;
    const missing = doc.hosts.filter((h) => !h.instanceId).map((h) => h.host);
    if (missing.length) return `claw status found no instance for ${missing.join(', ')}`;
    if (doc.unregistered?.length !== seeded.unregistered)
      return `claw status listed ${doc.unregistered?.length} unregistered instances, ${seeded.unregistered} seeded`;
    const unknown = doc.hosts.filter((h) => h.ssmPing === 'unknown').map((h) => h.host);
    if (unknown.length) return `claw status could not read the SSM ping of ${unknown.join(', ')}`;
    if (!doc.latestImageId) return 'claw status found no latest AMI';
    return undefined;
  } catch (err) {
    return err.message;
  }
}
