// 2. The fleet read: `claw status --json` against the aws CLI v2 gathering the same
// information as an operator's script would (sequentially, and all three at once).
import { measure, withRatios } from '../lib/measure.mjs';
import { awsFleetArgvs, checkAwsFleet, checkClawStatus, clawStatusArgv, several, single } from './common.mjs';

export async function fleetReadSuite(ctx) {
  const seeded = ctx.seeded;
  const cases = [
    {
      id: 'claw',
      label: 'claw status --json',
      peer: 'claw',
      run: single(ctx, clawStatusArgv(ctx)),
      check: (r) => checkClawStatus(r.stdout, seeded),
    },
  ];
  const skipped = [];
  if (ctx.peers.aws) {
    const argvs = awsFleetArgvs(ctx);
    cases.push(
      {
        id: 'aws-seq',
        label: 'aws CLI: 3 calls one after another',
        peer: 'aws',
        run: several(ctx, argvs, 'sequential'),
        check: (rs) => checkAwsFleet(rs, seeded),
      },
      { id: 'aws-par', label: 'aws CLI: 3 calls in parallel', peer: 'aws', run: several(ctx, argvs, 'parallel'), check: (rs) => checkAwsFleet(rs, seeded) },
    );
  } else skipped.push('aws CLI v2');
  const rows = withRatios(await measure(cases, ctx.runs, ctx.progress('fleet read')), 'claw');
  return {
    id: 'fleet-read',
    title: `fleet read (${seeded.taggedInstances} tagged instances, ${seeded.taggedAmis} tagged AMIs)`,
    baseline: 'claw',
    rows,
    skipped,
  };
}
