// 3. S3 against rclone. claw has no S3 command yet: each comparison below names what
// rclone does and, once claw's S3 sync engine lands, the claw argv that does the same
// (set `claw` and the case is timed next to rclone, with ratios, like the fleet read).
// Until then the bench checks that rclone works against the same endpoint.
import { measure, withRatios } from '../lib/measure.mjs';
import { single } from './common.mjs';

export const S3_CASES = [
  {
    id: 'list',
    what: 'list every object of the images bucket',
    rclone: (bucket) => ['lsf', '-R', '--files-only', `moto:${bucket}`],
    claw: null, // e.g. (ctx, bucket) => clawArgv(ctx, ..., 's3', 'ls', `s3://${bucket}`) once it exists
    check: (stdout, keys) => {
      const listed = new Set(stdout.split('\n').map((l) => l.trim()).filter(Boolean));
      const missing = keys.filter((k) => !listed.has(k));
      return missing.length ? `rclone listed ${listed.size} objects; missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}` : undefined;
    },
  },
];

export const CLAW_S3_PENDING = "claw has no S3 command yet: the rclone comparison arrives with claw's S3 sync engine.";

/** rclone's remote "moto:" from environment variables only (no config file). */
export function rcloneEnv(ctx) {
  return {
    ...ctx.env,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_MOTO_TYPE: 's3',
    RCLONE_CONFIG_MOTO_PROVIDER: 'Other',
    RCLONE_CONFIG_MOTO_ENDPOINT: ctx.endpoint,
    RCLONE_CONFIG_MOTO_REGION: 'eu-central-1',
    RCLONE_CONFIG_MOTO_ACCESS_KEY_ID: 'test',
    RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY: 'test',
    RCLONE_CONFIG_MOTO_ENV_AUTH: 'false',
    RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE: 'true',
    // AWS_CA_BUNDLE stays unset: rclone fails on it when the endpoint is plain http.
  };
}

export async function s3Suite(ctx) {
  if (!ctx.peers.rclone) return { id: 's3', title: 'S3', cases: [], skipped: ['rclone'], clawPending: CLAW_S3_PENDING };
  const bucket = ctx.seeded.bucket;
  const keys = ctx.objects;
  const env = rcloneEnv(ctx);
  const out = [];
  for (const c of S3_CASES) {
    const cases = [{
      id: 'rclone',
      label: `rclone ${c.rclone('<bucket>').join(' ')}`,
      peer: 'rclone',
      run: single(ctx, [ctx.peers.rclone.bin, ...c.rclone(bucket)], env),
      check: (r) => c.check(r.stdout, keys),
    }];
    if (c.claw) cases.unshift({ id: 'claw', label: `claw ${c.claw(ctx, '<bucket>').slice(2).join(' ')}`, peer: 'claw', run: single(ctx, c.claw(ctx, bucket)) });
    const rows = withRatios(await measure(cases, ctx.runs, ctx.progress(`s3 ${c.id}`)), c.claw ? 'claw' : 'rclone');
    // One more run of each peer, alone, to count its requests at the endpoint.
    const requests = {};
    for (const k of cases) {
      ctx.front.reset();
      await k.run();
      requests[k.peer] = ctx.front.counts();
    }
    out.push({
      id: c.id,
      what: c.what,
      rows,
      objects: keys.length,
      requests,
      clawPending: c.claw ? undefined : CLAW_S3_PENDING,
    });
  }
  return { id: 's3', title: `S3 (rclone ${ctx.peers.rclone.version})`, cases: out, skipped: [] };
}
