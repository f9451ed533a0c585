// 1. Start-up: what an operator pays before any work happens.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, withRatios } from '../lib/measure.mjs';
import { clawArgv, single } from './common.mjs';

export async function startupSuite(ctx) {
  const version = JSON.parse(readFileSync(join(ctx.root, 'package.json'), 'utf8')).version;
  const cases = [
    { id: 'node', label: 'node -e 0 (bare Node, the floor)', peer: 'node', run: single(ctx, [process.execPath, '-e', '0']) },
    {
      id: 'claw',
      label: 'claw --version',
      peer: 'claw',
      run: single(ctx, clawArgv(ctx, '--version')),
      check: (r) => (r.stdout.trim() === version ? undefined : `printed ${JSON.stringify(r.stdout.trim())}, expected ${version}`),
    },
  ];
  const skipped = [];
  if (ctx.peers.aws)
    cases.push({ id: 'aws', label: `aws --version (aws CLI ${ctx.peers.aws.version})`, peer: 'aws', run: single(ctx, [ctx.peers.aws.bin, '--version']) });
  else skipped.push('aws CLI v2');
  const rows = withRatios(await measure(cases, ctx.runs, ctx.progress('start-up')), 'claw');
  return { id: 'startup', title: 'start-up', baseline: 'claw', rows, skipped };
}
