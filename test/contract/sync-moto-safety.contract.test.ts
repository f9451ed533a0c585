import { readdir, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeSync } from '../../src/aws/sync.js';
import { planSync, type SyncOptions } from '../../src/aws/sync-planner.js';
import type { SyncLocation } from '../../src/core/sync-location.js';
import { InterruptedError, RefusedError, UsageError } from '../../src/core/errors.js';
import type { ClawEvent } from '../../src/core/events.js';
import { openTempArea } from '../../src/fs/sync-temp.js';
import { motoEndpoint } from './backends.js';
import { bucketTree, bytesOf, localTree, md5, md5Tree, MiB, openSyncWorld, putRaw, syncClient, watched, type SyncWorld } from './sync-helpers.js';

// The sync engine's safety rules against moto 5.2.1: --delete never after an error in
// the same run, --max-delete refuses before anything changes, the dry-run plan is
// exactly what runs, an interrupted run resumes by running again without a partial
// file ever replacing a good one, and listings paginate.

const moto = motoEndpoint();
if (!moto.endpoint) console.warn(`!! SKIPPED: the sync engine's safety rules against moto: ${moto.reason}`);

const opts = (o: Partial<SyncOptions> = {}): SyncOptions => ({ concurrency: 8, ...o });
/** What claw's temporary folder holds: nothing once a run is over. */
const partials = async (dir: string) => (await readdir(dir, { recursive: true })).filter((n) => String(n).startsWith('.claw-tmp'));

describe.skipIf(!moto.endpoint)('sync engine safety against moto', () => {
  let world: SyncWorld;
  beforeAll(() => {
    world = openSyncWorld(moto.endpoint!);
  });
  afterAll(async () => world.close());

  it('--delete after a clean run deletes; a source file gone between plan and run fails it and nothing is deleted', async () => {
    const dir = await world.dir({ keep: 'k', vanishing: 'v', added: 'a' });
    const bucket = await world.bucket();
    await putRaw(world.raw, bucket, 'obsolete', 'old');
    const src: SyncLocation = { kind: 'local', dir };
    const dst: SyncLocation = { kind: 's3', bucket, prefix: '' };
    const plan = await planSync(world.s3, src, dst, opts({ delete: true }));
    expect(plan.deletes).toEqual([{ key: 'obsolete', size: 3 }]);
    await unlink(join(dir, 'vanishing'));
    const w = watched(world.s3);
    const result = await executeSync(w.s3, plan, opts({ delete: true }));
    expect(result.failures).toEqual([{ key: 'vanishing', op: 'upload', message: expect.stringMatching(/^ENOENT/) as unknown }]);
    expect(result.transferred.count).toBe(2);
    expect(result.deleted).toBe(0);
    expect(result.deletesSkipped).toBe('1 transfer failed, so none of the 1 planned deletes was done (a run with errors never deletes)');
    expect(w.ops()).toEqual(['PutObject']);
    expect(Object.keys(await bucketTree(world.s3, bucket))).toEqual(['added', 'keep', 'obsolete']);
    // The next clean run deletes.
    const again = await executeSync(world.s3, await planSync(world.s3, src, dst, opts({ delete: true })), opts());
    expect(again).toEqual({ transferred: { count: 0, bytes: 0 }, deleted: 1, failures: [] });
    expect(Object.keys(await bucketTree(world.s3, bucket))).toEqual(['added', 'keep']);
  });

  it('--delete with an S3 error injected in a download: no local file is deleted', async () => {
    const bucket = await world.bucket();
    await putRaw(world.raw, bucket, 'a', 'aa');
    await putRaw(world.raw, bucket, 'b', 'bb');
    const dir = await world.dir({ 'old/local': 'precious' });
    const w = watched(world.s3, (op, input) => {
      if (op === 'GetObject' && input.Key === 'b') throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' });
    });
    const src: SyncLocation = { kind: 's3', bucket, prefix: '' };
    const plan = await planSync(w.s3, src, { kind: 'local', dir }, opts({ delete: true }));
    expect(plan.deletes).toEqual([{ key: 'old/local', size: 8 }]);
    const result = await executeSync(w.s3, plan, opts());
    expect(result.failures).toEqual([{ key: 'b', op: 'download', message: 'InternalError: We encountered an internal error.' }]);
    expect(result.deletesSkipped).toMatch(/never deletes/);
    expect(await localTree(dir)).toEqual(md5Tree({ a: 'aa', 'old/local': 'precious' }));
  });

  it('--max-delete: more deletes than allowed is refused before any change', async () => {
    const bucket = await world.bucket();
    for (const k of ['x', 'y', 'z']) await putRaw(world.raw, bucket, k, k);
    const dir = await world.dir({ fresh: 'f' });
    const w = watched(world.s3);
    const plan = await planSync(w.s3, { kind: 'local', dir }, { kind: 's3', bucket, prefix: '' }, opts({ delete: true, maxDelete: 2 }));
    const err = await executeSync(w.s3, plan, opts({ delete: true, maxDelete: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).message).toBe('would delete 3 objects, more than --max-delete 2; nothing was changed');
    expect(w.ops()).toEqual(['ListObjectsV2']);
    expect(Object.keys(await bucketTree(world.s3, bucket))).toEqual(['x', 'y', 'z']);
    // At the limit it runs.
    const ok = await executeSync(world.s3, plan, opts({ maxDelete: 3 }));
    expect(ok.deleted).toBe(3);
  });

  it('the dry-run plan is exactly what runs: same plan twice, and the calls match it', async () => {
    const dir = await world.dir({ 'a/1': '1', 'a/2': '22', 'b ü': 'x', same: 'same' });
    const bucket = await world.bucket();
    await putRaw(world.raw, bucket, 'p/same', 'same');
    await putRaw(world.raw, bucket, 'p/a/2', 'zz');
    await putRaw(world.raw, bucket, 'p/gone/1', 'g');
    await putRaw(world.raw, bucket, 'p/gone/2', 'g');
    const src: SyncLocation = { kind: 'local', dir };
    const dst: SyncLocation = { kind: 's3', bucket, prefix: 'p/' };
    const dryRun = await planSync(world.s3, src, dst, opts({ delete: true }));
    const plan = await planSync(world.s3, src, dst, opts({ delete: true }));
    expect(plan).toEqual(dryRun);
    expect(dryRun.transfers.map((t) => `${t.op} ${t.reason} ${t.key}`)).toEqual(['upload new a/1', 'upload changed a/2', 'upload new b ü']);
    const w = watched(world.s3);
    const result = await executeSync(w.s3, dryRun, opts());
    expect(
      w.calls
        .filter((c) => c.op === 'PutObject')
        .map((c) => c.key)
        .sort(),
    ).toEqual(dryRun.transfers.map((t) => `p/${t.key}`).sort());
    expect(w.calls.filter((c) => c.op === 'DeleteObjects').map((c) => c.key)).toEqual(dryRun.deletes.map((d) => `p/${d.key}`));
    expect(w.ops()).toEqual(['DeleteObjects', 'PutObject']);
    expect(result).toEqual({ transferred: { count: 3, bytes: 4 }, deleted: 2, failures: [] });
  });

  it('resume after an interrupted download: the good file is never replaced by a partial one, no temp files remain, a re-run converges', async () => {
    const bucket = await world.bucket();
    const big = bytesOf(24 * MiB, 7);
    await putRaw(world.raw, bucket, 'big.img', big);
    for (let i = 0; i < 20; i++) await putRaw(world.raw, bucket, `small/${i}`, `small ${i}`);
    const dir = await world.dir({ 'big.img': 'the good old version' });
    const controller = new AbortController();
    const s3 = syncClient(moto.endpoint!, controller.signal);
    const sink = {
      emit: (e: ClawEvent) => {
        if (e.type === 'progress' && e.unit === 'bytes' && e.done > 0) controller.abort();
      },
    };
    const src: SyncLocation = { kind: 's3', bucket, prefix: '' };
    const plan = await planSync(s3, src, { kind: 'local', dir }, opts({ concurrency: 2 }));
    expect(plan.transfers[0]).toMatchObject({ key: 'big.img', reason: 'changed' });
    const err = await executeSync(s3, plan, opts({ concurrency: 2, signal: controller.signal, events: sink })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(await partials(dir)).toEqual([]);
    const mid = await localTree(dir);
    expect([md5('the good old version'), md5(big)]).toContain(mid['big.img']);
    expect(Object.keys(mid).length).toBeLessThan(21);

    // A run killed outright leaves its temporary folder (its pid dead on this host): the next
    // run's plan shows it, removes it, and never takes it for a key; a user's file that only
    // looks like a temporary one is the user's and stays.
    const killed = await openTempArea(dir);
    await writeFile(killed.file(), 'half');
    const [run] = (await readdir(join(dir, '.claw-tmp'))).filter((n) => n.startsWith('run-'));
    await writeFile(join(dir, '.claw-tmp', run!, 'owner.json'), JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), startedAt: new Date().toISOString() }));
    await writeFile(join(dir, 'big.img.claw-partial-0123456789ab'), 'mine');
    const again = await planSync(world.s3, src, { kind: 'local', dir }, opts());
    expect(again.staleTemp).toEqual([`.claw-tmp/${run}`]);
    expect(again.transfers.map((t) => t.key).filter((k) => k.startsWith('.claw-tmp'))).toEqual([]);
    expect((await executeSync(world.s3, again, opts())).failures).toEqual([]);
    expect(await partials(dir)).toEqual([]);
    const { 'big.img.claw-partial-0123456789ab': mine, ...tree } = await localTree(dir);
    expect(mine).toBe(md5('mine'));
    expect(tree).toEqual(await bucketTree(world.s3, bucket));
    expect((await planSync(world.s3, src, { kind: 'local', dir }, opts())).transfers).toEqual([]);
  });

  it('resume after an interrupted upload: nothing deleted, a user file named like a temporary one uploaded like any other, a re-run converges', async () => {
    const files: Record<string, string | Uint8Array> = { 'big.bin': bytesOf(17 * MiB, 9), 'f/0.txt.claw-partial-deadbeefdead': 'mine' };
    for (let i = 0; i < 30; i++) files[`f/${i}.txt`] = `file ${i}`;
    const dir = await world.dir(files);
    const bucket = await world.bucket();
    await putRaw(world.raw, bucket, 'obsolete', 'o');
    const controller = new AbortController();
    const s3 = syncClient(moto.endpoint!, controller.signal);
    const w = watched(s3);
    let done = 0;
    const sink = {
      emit: (e: ClawEvent) => {
        if (e.type === 'progress' && e.unit === 'items' && (done = e.done) >= 3) controller.abort();
      },
    };
    const src: SyncLocation = { kind: 'local', dir };
    const dst: SyncLocation = { kind: 's3', bucket, prefix: '' };
    const plan = await planSync(w.s3, src, dst, opts({ concurrency: 2, delete: true }));
    expect(plan.transfers).toHaveLength(32);
    const err = await executeSync(w.s3, plan, opts({ concurrency: 2, signal: controller.signal, events: { emit: (e) => sink.emit(e) } })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InterruptedError);
    expect(done).toBeGreaterThanOrEqual(3);
    expect(w.ops()).not.toContain('DeleteObjects');
    expect(Object.keys(await bucketTree(world.s3, bucket))).toContain('obsolete');

    const again = await executeSync(world.s3, await planSync(world.s3, src, dst, opts({ delete: true })), opts());
    expect(again.failures).toEqual([]);
    expect(await bucketTree(world.s3, bucket)).toEqual(md5Tree(files));
  });

  it('listings paginate on both sides of an S3 -> S3 sync; a re-sync with nothing to do is list calls only', async () => {
    const a = await world.bucket();
    const b = await world.bucket();
    for (let i = 0; i < 7; i++) await putRaw(world.raw, a, `k${i}`, `${i}`);
    const src: SyncLocation = { kind: 's3', bucket: a, prefix: '' };
    const dst: SyncLocation = { kind: 's3', bucket: b, prefix: '' };
    const first = await executeSync(world.s3, await planSync(world.s3, src, dst, opts({ listPageSize: 3 })), opts());
    expect(first.transferred.count).toBe(7);
    const w = watched(world.s3);
    const plan = await planSync(w.s3, src, dst, opts({ delete: true, listPageSize: 3 }));
    expect(plan.unchanged.count).toBe(7);
    expect(plan.transfers).toEqual([]);
    // Pages of 3, 3 and 1 on each side.
    expect(w.calls.map((c) => c.op)).toEqual(Array(6).fill('ListObjectsV2'));
  });

  it('bad sides are usage errors before any change', async () => {
    const dir = await world.dir();
    await expect(planSync(world.s3, { kind: 'local', dir: join(dir, 'missing') }, { kind: 's3', bucket: 'claw-nope', prefix: '' }, opts())).rejects.toThrow(
      UsageError,
    );
    await expect(planSync(world.s3, { kind: 's3', bucket: 'claw-sync-no-such-bucket', prefix: '' }, { kind: 'local', dir }, opts())).rejects.toThrow(
      'bucket s3://claw-sync-no-such-bucket does not exist',
    );
    await expect(planSync(world.s3, { kind: 's3', bucket: 'claw-b', prefix: 'a/' }, { kind: 's3', bucket: 'claw-b', prefix: 'a/b/' }, opts())).rejects.toThrow(
      'overlap',
    );
  });
});
