import { stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeSync } from '../../src/aws/sync.js';
import { planSync, type SyncOptions } from '../../src/aws/sync-planner.js';
import type { SyncLocation } from '../../src/core/sync-location.js';
import type { S3Api } from '../../src/aws/clients.js';
import { motoEndpoint } from './backends.js';
import { bucketTree, bytesOf, events, localTree, md5, md5Tree, MiB, openSyncWorld, putRaw, sha256, watched, type SyncWorld } from './sync-helpers.js';

// The sync engine against moto 5.2.1 through claw's production SDK client: local -> S3,
// S3 -> local and S3 -> S3 for new, changed, unchanged and deleted keys (nested,
// unicode, empty), multipart uploads and copies, and that a sync with nothing to do
// makes only ListObjectsV2 calls. The safety half (deletes, errors, --max-delete,
// dry run, resume) is in sync-moto-safety.contract.test.ts.

const moto = motoEndpoint();
if (!moto.endpoint) console.warn(`!! SKIPPED: the sync engine against moto: ${moto.reason}`);

const FILES = {
  'top.txt': 'top level',
  'nested/deeper/leaf.json': '{"leaf":true}',
  'unicode/żółw ü 猫.txt': 'unicode key',
  empty: '',
  'space name.txt': 'with a space',
};

/** Plan and run; answers both, plus the calls made. */
async function sync(s3: S3Api, src: SyncLocation, dst: SyncLocation, o: Partial<SyncOptions> = {}) {
  const w = watched(s3);
  const opts: SyncOptions = { concurrency: 8, ...o };
  const plan = await planSync(w.s3, src, dst, opts);
  const result = await executeSync(w.s3, plan, opts);
  return { plan, result, ops: w.ops(), calls: w.calls };
}

const keysOf = (plan: { transfers: { key: string; reason: string }[] }) => plan.transfers.map((t) => `${t.reason}:${t.key}`);

describe.skipIf(!moto.endpoint)('sync engine against moto', () => {
  let world: SyncWorld;
  beforeAll(() => {
    world = openSyncWorld(moto.endpoint!);
  });
  afterAll(async () => world.close());

  it('local -> S3: new, changed (same size and other size), unchanged, deleted; sha256 metadata; converges', async () => {
    const dir = await world.dir(FILES);
    const bucket = await world.bucket();
    const dst: SyncLocation = { kind: 's3', bucket, prefix: 'latest/' };
    const first = await sync(world.s3, { kind: 'local', dir }, dst, { delete: true });
    expect(first.plan.transfers.map((t) => t.key)).toEqual(['empty', 'nested/deeper/leaf.json', 'space name.txt', 'top.txt', 'unicode/żółw ü 猫.txt']);
    expect(first.result).toEqual({ transferred: { count: 5, bytes: 45 }, deleted: 0, failures: [] });
    expect(await bucketTree(world.s3, bucket, 'latest/')).toEqual(md5Tree(FILES));
    const head = await world.s3.getObject({ Bucket: bucket, Key: 'latest/unicode/żółw ü 猫.txt' });
    expect(head.Metadata).toEqual({ sha256: sha256('unicode key') });

    await writeFile(join(dir, 'top.txt'), 'TOP LEVEL'); // same size, other bytes
    await writeFile(join(dir, 'nested/deeper/leaf.json'), '{"leaf":false}');
    await writeFile(join(dir, 'added'), 'new one');
    await unlink(join(dir, 'space name.txt'));
    const second = await sync(world.s3, { kind: 'local', dir }, dst, { delete: true });
    expect(keysOf(second.plan)).toEqual(['new:added', 'changed:nested/deeper/leaf.json', 'changed:top.txt']);
    expect(second.plan.deletes).toEqual([{ key: 'space name.txt', size: 12 }]);
    expect(second.plan.unchanged).toEqual({ count: 2, bytes: 11 });
    expect(second.result.deleted).toBe(1);
    expect(await bucketTree(world.s3, bucket, 'latest/')).toEqual(await localTree(dir));

    const third = await sync(world.s3, { kind: 'local', dir }, dst, { delete: true });
    expect(third.plan.transfers).toEqual([]);
    expect(third.plan.deletes).toEqual([]);
    expect(third.ops).toEqual(['ListObjectsV2']);
  });

  it('S3 -> local: new, changed, unchanged, deleted; verified by MD5 or sha256; mtime is LastModified; no temp files left', async () => {
    const bucket = await world.bucket();
    for (const [k, v] of Object.entries(FILES)) await putRaw(world.raw, bucket, `src/${k}`, v);
    await putRaw(world.raw, bucket, 'src/folder/', ''); // a console "folder" marker: not a file
    await putRaw(world.raw, bucket, 'src/claw-made', 'with checksum', { sha256: sha256('with checksum') });
    const dir = await world.dir({ 'stale-local': 'not in the bucket', 'top.txt': 'old', 'gone/deep/file': 'its directories go too' });
    const src: SyncLocation = { kind: 's3', bucket, prefix: 'src/' };
    const first = await sync(world.s3, src, { kind: 'local', dir }, { delete: true });
    expect(keysOf(first.plan)).toEqual([
      'new:claw-made',
      'new:empty',
      'new:nested/deeper/leaf.json',
      'new:space name.txt',
      'changed:top.txt',
      'new:unicode/żółw ü 猫.txt',
    ]);
    expect(first.plan.deletes).toEqual([
      { key: 'gone/deep/file', size: 22 },
      { key: 'stale-local', size: 17 },
    ]);
    expect(first.result.failures).toEqual([]);
    expect(await localTree(dir)).toEqual(md5Tree({ ...FILES, 'claw-made': 'with checksum' }));
    await expect(stat(join(dir, 'gone'))).rejects.toThrow('ENOENT'); // directories left empty are removed
    const listed = await world.s3.listObjectsV2({ Bucket: bucket, Prefix: 'src/top.txt' });
    expect((await stat(join(dir, 'top.txt'))).mtime.getTime()).toBe(listed.Contents![0]!.LastModified!.getTime());

    await putRaw(world.raw, bucket, 'src/top.txt', 'TOP LEVEL'); // same size, other bytes
    const second = await sync(world.s3, src, { kind: 'local', dir }, { delete: true });
    expect(keysOf(second.plan)).toEqual(['changed:top.txt']);
    expect(second.plan.unchanged.count).toBe(5);
    expect((await localTree(dir))['top.txt']).toBe(md5('TOP LEVEL'));
    const third = await sync(world.s3, src, { kind: 'local', dir }, { delete: true });
    expect(third.plan.transfers).toEqual([]);
    expect(third.ops).toEqual(['ListObjectsV2']);
  });

  it('a download whose bytes do not match the sha256 metadata fails and leaves the good file alone', async () => {
    const bucket = await world.bucket();
    await putRaw(world.raw, bucket, 'bad', 'payload', { sha256: sha256('something else') });
    const dir = await world.dir({ bad: 'the good local copy' });
    const run = await sync(world.s3, { kind: 's3', bucket, prefix: '' }, { kind: 'local', dir });
    expect(run.result.failures).toEqual([{ key: 'bad', op: 'download', message: "the bytes received do not match the object's sha256 metadata" }]);
    expect(await localTree(dir)).toEqual(md5Tree({ bad: 'the good local copy' }));
  });

  it('a multipart upload (> 16 MiB) re-syncs with only a listing, and downloads verified by its sha256', async () => {
    const big = bytesOf(17 * MiB + 5, 3);
    const dir = await world.dir({ 'images/big.raw': big, small: 'x' });
    const bucket = await world.bucket();
    const dst: SyncLocation = { kind: 's3', bucket, prefix: '' };
    const up = await sync(world.s3, { kind: 'local', dir }, dst);
    expect(up.result.transferred).toEqual({ count: 2, bytes: big.length + 1 });
    const listed = await world.s3.listObjectsV2({ Bucket: bucket, Prefix: 'images/' });
    expect(listed.Contents![0]!.ETag).toMatch(/-2"$/); // two 16 MiB parts
    const again = await sync(world.s3, { kind: 'local', dir }, dst);
    expect(again.plan.transfers).toEqual([]);
    expect(again.plan.unchanged).toEqual({ count: 2, bytes: big.length + 1 });
    expect(again.ops).toEqual(['ListObjectsV2']);

    const out = await world.dir();
    const down = await sync(world.s3, dst, { kind: 'local', dir: out });
    expect(down.result.failures).toEqual([]);
    expect(await localTree(out)).toEqual(md5Tree({ 'images/big.raw': big, small: 'x' }));
    const back = await sync(world.s3, dst, { kind: 'local', dir: out });
    expect(back.plan.transfers).toEqual([]);
  });

  it('S3 -> S3: server-side copies with metadata; new, changed, unchanged, deleted', async () => {
    const a = await world.bucket();
    const b = await world.bucket();
    for (const [k, v] of Object.entries(FILES)) await putRaw(world.raw, a, `snap/${k}`, v, { sha256: sha256(v) });
    await putRaw(world.raw, b, 'copy/obsolete', 'old');
    const src: SyncLocation = { kind: 's3', bucket: a, prefix: 'snap/' };
    const dst: SyncLocation = { kind: 's3', bucket: b, prefix: 'copy/' };
    const first = await sync(world.s3, src, dst, { delete: true });
    expect(first.plan.transfers.every((t) => t.op === 'copy')).toBe(true);
    expect(first.ops).toEqual(['CopyObject', 'DeleteObjects', 'ListObjectsV2']);
    expect(await bucketTree(world.s3, b, 'copy/')).toEqual(md5Tree(FILES));
    expect((await world.s3.getObject({ Bucket: b, Key: 'copy/unicode/żółw ü 猫.txt' })).Metadata).toEqual({ sha256: sha256('unicode key') });

    await putRaw(world.raw, a, 'snap/top.txt', 'TOP LEVEL');
    const second = await sync(world.s3, src, dst, { delete: true });
    expect(keysOf(second.plan)).toEqual(['changed:top.txt']);
    const third = await sync(world.s3, src, dst, { delete: true });
    expect(third.plan.transfers).toEqual([]);
    expect(third.ops).toEqual(['ListObjectsV2']);
  });

  it('S3 -> S3 above the copy threshold: a multipart copy (injected 5 MiB threshold and parts) keeps bytes and metadata', async () => {
    const a = await world.bucket();
    const b = await world.bucket();
    const body = bytesOf(12 * MiB + 7, 5);
    await putRaw(world.raw, a, 'disk.img', body, { sha256: sha256(body) });
    const src: SyncLocation = { kind: 's3', bucket: a, prefix: '' };
    const dst: SyncLocation = { kind: 's3', bucket: b, prefix: 'mirror/' };
    const run = await sync(world.s3, src, dst, { copyThreshold: 5 * MiB, copyPartSize: 5 * MiB });
    expect(run.result.failures).toEqual([]);
    expect(run.calls.filter((c) => c.op === 'UploadPartCopy')).toHaveLength(3);
    expect(run.ops).toEqual(['CompleteMultipartUpload', 'CreateMultipartUpload', 'GetObject', 'ListObjectsV2', 'UploadPartCopy']);
    const out = await world.s3.getObject({ Bucket: b, Key: 'mirror/disk.img' });
    expect(out.ETag).toMatch(/-3"$/);
    expect(out.Metadata).toEqual({ sha256: sha256(body) });
    expect(md5(await out.Body!.transformToByteArray())).toBe(md5(body));
    // A single-part source and a 3-part copy (only with an injected threshold: S3 has no
    // single-part object over 5 GiB): the listing cannot compare them, so it copies again.
    const again = await planSync(world.s3, src, dst, { concurrency: 8 });
    expect(again.transfers).toMatchObject([{ key: 'disk.img', reason: 'changed' }]);
  });

  it('S3 -> S3: a multipart source is copied part for part, keeps its ETag, and a same-size different object is never kept', async () => {
    const a = await world.bucket();
    const b = await world.bucket();
    const one = bytesOf(17 * MiB, 11);
    const two = bytesOf(17 * MiB, 12);
    await world.s3.upload({ Bucket: a, Key: 'db.sqlite', Body: one, ContentLength: one.length });
    await world.s3.upload({ Bucket: b, Key: 'db.sqlite', Body: two, ContentLength: two.length });
    const src: SyncLocation = { kind: 's3', bucket: a, prefix: '' };
    const dst: SyncLocation = { kind: 's3', bucket: b, prefix: '' };
    // Same size, destination newer, both 2-part: the ETags differ, so it is copied.
    const run = await sync(world.s3, src, dst, {});
    expect(run.plan.transfers).toMatchObject([{ key: 'db.sqlite', reason: 'changed' }]);
    expect(run.ops).toContain('UploadPartCopy');
    const [x, y] = await Promise.all([world.s3.getObject({ Bucket: a, Key: 'db.sqlite' }), world.s3.getObject({ Bucket: b, Key: 'db.sqlite' })]);
    expect(y.ETag).toBe(x.ETag);
    expect(md5(await y.Body!.transformToByteArray())).toBe(md5(one));
    await x.Body!.transformToByteArray();
    const again = await sync(world.s3, src, dst, {});
    expect(again.plan.transfers).toEqual([]);
    expect(again.ops).toEqual(['ListObjectsV2']);
  });

  it('with followSymlinks false (--no-follow-symlinks) symlinks are skipped with a warning and their keys never deleted; S3 keys that cannot be local files are skipped', async () => {
    const dir = await world.dir({ 'real/file': 'real', outside: 'o' });
    await symlink(join(dir, 'outside'), join(dir, 'file-link'));
    await symlink(join(dir, 'real'), join(dir, 'dir-link'));
    const bucket = await world.bucket();
    await putRaw(world.raw, bucket, 'file-link', 'uploaded before it became a link');
    await putRaw(world.raw, bucket, 'dir-link/x', 'under the linked directory');
    const sink = events();
    const up = await planSync(
      world.s3,
      { kind: 'local', dir },
      { kind: 's3', bucket, prefix: '' },
      { concurrency: 4, delete: true, events: sink, followSymlinks: false },
    );
    expect(up.transfers.map((t) => t.key)).toEqual(['outside', 'real/file']);
    expect(up.deletes).toEqual([]);
    expect(sink.events.filter((e) => e.type === 'warning')).toEqual([
      { type: 'warning', message: `skipped ${join(dir, 'dir-link')}: a symbolic link (not followed)` },
      { type: 'warning', message: `skipped ${join(dir, 'file-link')}: a symbolic link (not followed)` },
    ]);

    await putRaw(world.raw, bucket, 'dl/ok', 'fine');
    await putRaw(world.raw, bucket, 'dl/a//b', 'empty segment');
    await putRaw(world.raw, bucket, 'dl/.claw-tmp/x', "claw's temporary folder name");
    await putRaw(world.raw, bucket, 'dl/x.claw-partial-abc', "a file of the user's");
    const out = await world.dir();
    const down = events();
    const plan = await planSync(world.s3, { kind: 's3', bucket, prefix: 'dl/' }, { kind: 'local', dir: out }, { concurrency: 4, events: down });
    expect(plan.transfers.map((t) => t.key)).toEqual(['ok', 'x.claw-partial-abc']);
    expect(down.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      `skipped s3://${bucket}/dl/.claw-tmp/x: the key has ".claw-tmp" at the top, the name of claw's temporary folder, so it cannot be a local file`,
      `skipped s3://${bucket}/dl/a//b: the key has an empty path segment ("//"), so it cannot be a local file`,
    ]);
  });

  it('progress: planned, files and bytes done, finished', async () => {
    const dir = await world.dir({ a: 'aaaa', 'b/c': 'cc' });
    const bucket = await world.bucket();
    const sink = events();
    const plan = await planSync(world.s3, { kind: 'local', dir }, { kind: 's3', bucket, prefix: '' }, { concurrency: 2, events: sink });
    await executeSync(world.s3, plan, { concurrency: 2, events: sink });
    expect(sink.events[0]).toEqual({ type: 'planned', summary: `${dir} -> s3://${bucket}/: upload 2 (6 B; 2 new, 0 changed), 0 unchanged (0 B)` });
    expect(sink.events).toContainEqual({ type: 'progress', step: 'upload files', done: 2, total: 2, unit: 'items' });
    expect(sink.events).toContainEqual({ type: 'progress', step: 'upload bytes', done: 6, total: 6, unit: 'bytes' });
    expect(sink.events.at(-2)).toEqual({ type: 'step-finished', step: 'upload files', outcome: 'ok', detail: '2 of 2 done' });
  });
});
