// 3. S3 sync: claw's sync engine (`claw backup push` / `pull`) against `aws s3 sync` and
// `rclone copy` on the same data at the same endpoint: 2,000 files of 8 KiB, 4 files of
// 64 MiB, a re-sync with nothing changed, and a download. Every timed upload goes into a
// bucket made just before (not timed), every download into an empty directory, so each
// run does the whole work. Each peer runs with its default settings.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { measure, withRatios } from '../lib/measure.mjs';
import { REGION } from '../lib/seed.mjs';
import { clawArgv, single } from './common.mjs';

export const SMALL = { files: 2000, bytes: 8 * 1024 };
export const LARGE = { files: 4, bytes: 64 * 1024 * 1024 };
/** The sync cases are long: at most this many timed runs each, whatever --runs says. */
export const MAX_SYNC_RUNS = 3;

/** rclone's remote "moto:" from environment variables only (no config file). */
export function rcloneEnv(ctx) {
  return {
    ...ctx.env,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_MOTO_TYPE: 's3',
    RCLONE_CONFIG_MOTO_PROVIDER: 'Other',
    RCLONE_CONFIG_MOTO_ENDPOINT: ctx.endpoint,
    RCLONE_CONFIG_MOTO_REGION: REGION,
    RCLONE_CONFIG_MOTO_ACCESS_KEY_ID: 'test',
    RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY: 'test',
    RCLONE_CONFIG_MOTO_ENV_AUTH: 'false',
    RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE: 'true',
    // AWS_CA_BUNDLE stays unset: rclone fails on it when the endpoint is plain http.
  };
}

function makeTree(root, { files, bytes }, nested) {
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = nested ? join(root, `d${String(i % 20).padStart(2, '0')}`) : root;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${String(i).padStart(5, '0')}.bin`), randomBytes(bytes));
  }
}

const countFiles = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;

/** The argv of each peer for one direction; `remote` is { bucket } and `local` a directory. */
function argvs(ctx, direction, bucket, local) {
  const url = `s3://${bucket}/latest/`;
  const claw = (...a) => clawArgv(ctx, '--endpoint-url', ctx.endpoint, '--region', REGION, 'backup', ...a, '--bucket', bucket);
  const aws = (...a) => [ctx.peers.aws?.bin, 's3', 'sync', ...a, '--endpoint-url', ctx.endpoint, '--region', REGION, '--no-progress', '--only-show-errors'];
  const rclone = (...a) => [ctx.peers.rclone?.bin, 'copy', ...a, '--checksum'];
  return direction === 'up'
    ? { claw: claw('push', '--from', local, '--yes'), aws: aws(local, url), rclone: rclone(local, `moto:${bucket}/latest`) }
    : { claw: claw('pull', '--to', local, '--yes'), aws: aws(url, local), rclone: rclone(`moto:${bucket}/latest`, local) };
}

export async function s3Suite(ctx) {
  const s3 = new S3Client({ endpoint: ctx.motoUrl, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const work = mkdtempSync(join(ctx.home, 'sync-'));
  let serial = 0;
  const newBucket = async () => {
    const Bucket = `bench-sync-${process.pid}-${++serial}`;
    await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    return Bucket;
  };
  const objectsIn = async (Bucket) => {
    let n = 0;
    let ContinuationToken;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'latest/', ContinuationToken }));
      n += page.KeyCount ?? 0;
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    return n;
  };
  const peers = ['claw', ...(ctx.peers.aws ? ['aws'] : []), ...(ctx.peers.rclone ? ['rclone'] : [])];
  const envOf = (peer) => (peer === 'rclone' ? rcloneEnv(ctx) : ctx.env);
  const runs = Math.min(ctx.runs, MAX_SYNC_RUNS);
  const log = ctx.progress('s3');

  try {
    log(`making the data: ${SMALL.files} x ${SMALL.bytes / 1024} KiB, ${LARGE.files} x ${LARGE.bytes / 2 ** 20} MiB`);
    const small = join(work, 'small');
    const large = join(work, 'large');
    makeTree(small, SMALL, true);
    makeTree(large, LARGE, false);
    // One bucket filled once by claw: the no-change re-sync and the download read it.
    const filled = await newBucket();
    const fill = await single(ctx, argvs(ctx, 'up', filled, small).claw)();
    if (!fill.ok) ctx.clawFailed(`filling the re-sync bucket: ${fill.error}`);

    const cases = [
      {
        id: 'upload-small',
        what: `upload ${SMALL.files} files of ${SMALL.bytes / 1024} KiB (a new bucket each run)`,
        expect: SMALL.files,
        run: (peer) => async () => {
          const b = await newBucket();
          const r = await single(ctx, argvs(ctx, 'up', b, small)[peer], envOf(peer))();
          return { ...r, value: { bucket: b } };
        },
      },
      {
        id: 'upload-large',
        what: `upload ${LARGE.files} files of ${LARGE.bytes / 2 ** 20} MiB (a new bucket each run)`,
        expect: LARGE.files,
        run: (peer) => async () => {
          const b = await newBucket();
          const r = await single(ctx, argvs(ctx, 'up', b, large)[peer], envOf(peer))();
          return { ...r, value: { bucket: b } };
        },
      },
      {
        id: 'resync',
        what: `re-sync ${SMALL.files} files with nothing changed`,
        expect: SMALL.files,
        run: (peer) => async () => {
          const r = await single(ctx, argvs(ctx, 'up', filled, small)[peer], envOf(peer))();
          return { ...r, value: { bucket: filled } };
        },
      },
      {
        id: 'download-small',
        what: `download ${SMALL.files} files of ${SMALL.bytes / 1024} KiB (into an empty directory each run)`,
        expect: SMALL.files,
        run: (peer) => async () => {
          const dir = mkdtempSync(join(work, `down-${peer}-`));
          const r = await single(ctx, argvs(ctx, 'down', filled, dir)[peer], envOf(peer))();
          const files = r.ok ? countFiles(dir) : 0;
          rmSync(dir, { recursive: true, force: true });
          return { ...r, value: { files } };
        },
      },
    ];

    const out = [];
    for (const c of cases) {
      log(`${c.id}: ${runs} runs each`);
      const check = async (value) => {
        const n = value.files ?? (await objectsIn(value.bucket));
        return n === c.expect ? undefined : `${n} objects/files where ${c.expect} were expected`;
      };
      const rowsIn = peers.map((peer) => ({
        id: peer,
        peer,
        label: peer === 'claw' ? `claw backup ${c.id.startsWith('download') ? 'pull' : 'push'}` : peer === 'aws' ? 'aws s3 sync' : 'rclone copy --checksum',
        run: c.run(peer),
      }));
      // measure() checks synchronously: the async count happens inside each run.
      const checked = rowsIn.map((k) => ({
        ...k,
        run: async () => {
          const r = await k.run();
          if (!r.ok) return r;
          const problem = await check(r.value);
          return { ...r, ok: problem === undefined, error: problem };
        },
      }));
      const rows = withRatios(await measure(checked, runs, ctx.progress(`s3 ${c.id}`)), 'claw');
      const requests = {};
      for (const k of rowsIn) {
        ctx.front.reset();
        await k.run();
        requests[k.peer] = ctx.front.counts();
      }
      out.push({ id: c.id, what: c.what, rows, requests });
    }
    return {
      id: 's3',
      title: `S3 sync (aws CLI ${ctx.peers.aws?.version ?? 'missing'}, rclone ${ctx.peers.rclone?.version ?? 'missing'})`,
      cases: out,
      skipped: ['aws', 'rclone'].filter((p) => !peers.includes(p)),
      runs,
    };
  } finally {
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}
