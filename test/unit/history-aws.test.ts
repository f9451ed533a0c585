import { describe, expect, it } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { appendHistory, newHistoryId, readHistory } from '../../src/aws/history.js';
import { UsageError } from '../../src/core/errors.js';
import { historyKey, type HistoryRecord } from '../../src/core/history.js';

// src/aws/history.ts over an in-memory S3 (ascending keys, small pages, StartAfter,
// If-None-Match), counting calls: the listing windows and the bounded body fetches
// are what keeps `claw history` fast on a long history.

const awsError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function fakeS3(pageSize = 3) {
  const objects = new Map<string, string>();
  const stats = { lists: [] as (string | undefined)[], gets: 0, inFlight: 0, maxInFlight: 0 };
  const api = {
    async putObject(i: { Bucket?: string; Key?: string; Body?: unknown; IfNoneMatch?: string }) {
      if (i.Bucket !== 'b') throw awsError('NoSuchBucket', 404);
      if (i.IfNoneMatch === '*' && objects.has(i.Key!)) throw awsError('PreconditionFailed', 412);
      objects.set(i.Key!, String(i.Body));
      return { $metadata: {}, ETag: '"e"' };
    },
    async listObjectsV2(i: { Bucket?: string; Prefix?: string; StartAfter?: string; ContinuationToken?: string }) {
      if (i.Bucket !== 'b') throw awsError('NoSuchBucket', 404);
      stats.lists.push(i.ContinuationToken ? `token:${i.ContinuationToken}` : i.StartAfter);
      const after = i.ContinuationToken ?? i.StartAfter ?? '';
      const keys = [...objects.keys()].filter((k) => k.startsWith(i.Prefix ?? '') && k > after).sort();
      const page = keys.slice(0, pageSize);
      const truncated = keys.length > pageSize;
      return { $metadata: {}, Contents: page.map((Key) => ({ Key })), IsTruncated: truncated, ...(truncated ? { NextContinuationToken: page.at(-1) } : {}) };
    },
    async getObject(i: { Key?: string }) {
      stats.gets++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((r) => setTimeout(r, 2));
      stats.inFlight--;
      const body = objects.get(i.Key!);
      if (body === undefined) throw awsError('NoSuchKey', 404);
      return { $metadata: {}, Body: { transformToString: async () => body } };
    },
  };
  return { s3: api as unknown as S3Api, objects, stats };
}

const DAY = 86_400_000;
const now = new Date('2026-03-01T12:00:00.000Z');
const rec = (host: string, daysAgo: number, over: Partial<HistoryRecord> = {}): HistoryRecord => ({
  id: newHistoryId(),
  host,
  instanceId: null,
  rev: 'c'.repeat(40),
  previousRev: 'b'.repeat(40),
  startedAt: new Date(now.getTime() - daysAgo * DAY - 60_000).toISOString(),
  finishedAt: new Date(now.getTime() - daysAgo * DAY).toISOString(),
  who: 'alice@laptop',
  result: 'success',
  detail: 'ok',
  ...over,
});

describe('appendHistory', () => {
  it('stores one object per record under a sortable key, never overwriting, details sanitised', async () => {
    const { s3, objects } = fakeS3();
    const r = rec('clawdinator-1', 0, { detail: 'AGE-SECRET-KEY-1ABCDEF in output' });
    const key = await appendHistory(s3, 'b', r);
    expect(key).toBe(historyKey(r));
    expect(JSON.parse(objects.get(key)!)).toEqual({ ...r, detail: '[redacted] in output' });
    // A retried put whose first answer was lost meets its own object: done, not an error.
    expect(await appendHistory(s3, 'b', r)).toBe(key);
  });

  it('refuses an invalid record (a bug in the caller) and names a missing bucket', async () => {
    const { s3 } = fakeS3();
    await expect(appendHistory(s3, 'b', { ...rec('h', 0), rev: 'main' })).rejects.toThrow(/rev: is not a full 40-hex git SHA/);
    await expect(appendHistory(s3, 'nope', rec('h', 0))).rejects.toBeInstanceOf(UsageError);
  });
});

describe('readHistory', () => {
  async function seeded(records: HistoryRecord[], pageSize = 3) {
    const f = fakeS3(pageSize);
    for (const r of records) await appendHistory(f.s3, 'b', r);
    return f;
  }

  it('newest first across pages; one host, filtered by key without reading the others', async () => {
    const rs = [rec('a', 1), rec('b', 2), rec('a', 3), rec('b', 4), rec('a', 5), rec('a', 6), rec('b', 7)];
    const { s3, stats } = await seeded(rs, 2);
    const all = await readHistory(s3, 'b', { now });
    expect(all.records.map((r) => r.finishedAt)).toEqual(rs.map((r) => r.finishedAt));
    expect(all.skipped).toEqual([]);
    stats.gets = 0;
    const a = await readHistory(s3, 'b', { host: 'a', now });
    expect(a.records.map((r) => r.host)).toEqual(['a', 'a', 'a', 'a']);
    expect(stats.gets).toBe(4);
  });

  it('--limit lists the recent window first and stops there when it has enough', async () => {
    const old = Array.from({ length: 10 }, (_, i) => rec('h', 200 + i));
    const { s3, stats } = await seeded([rec('h', 1), rec('h', 2), rec('h', 3), ...old], 100);
    const got = await readHistory(s3, 'b', { limit: 2, now });
    expect(got.records).toHaveLength(2);
    expect(stats.lists).toEqual(['claw/history/2026-02-22T12-00-00-000Z']); // one list call, from 7 days back
    expect(stats.gets).toBe(2);
  });

  it('--limit goes further back, window by window, when the recent ones are not enough', async () => {
    const { s3, stats } = await seeded([rec('h', 1), rec('h', 30), rec('h', 400), rec('h', 500)], 100);
    const got = await readHistory(s3, 'b', { limit: 3, now });
    expect(got.records.map((r) => Math.round((now.getTime() - Date.parse(r.finishedAt)) / DAY))).toEqual([1, 30, 400]);
    expect(stats.lists).toEqual(['claw/history/2026-02-22T12-00-00-000Z', 'claw/history/2025-12-01T12-00-00-000Z', undefined]);
  });

  it('fetches bodies with bounded concurrency', async () => {
    const { s3, stats } = await seeded(
      Array.from({ length: 30 }, (_, i) => rec('h', i / 10)),
      1000,
    );
    const got = await readHistory(s3, 'b', { concurrency: 4, now });
    expect(got.records).toHaveLength(30);
    expect(stats.maxInFlight).toBe(4);
  });

  it('skips, and names, objects that are not valid records', async () => {
    const { s3, objects } = await seeded([rec('h', 1)]);
    const good = [...objects.keys()][0]!;
    objects.set('claw/history/README.txt', 'hello');
    const bad = historyKey(rec('h', 2, { id: 'deadbeefdeadbeef' }));
    objects.set(bad, '{"nope": true}');
    const lying = historyKey(rec('g', 3, { id: 'feedfacefeedface' }));
    objects.set(lying, JSON.stringify(rec('h', 3, { id: 'feedfacefeedface' })));
    const got = await readHistory(s3, 'b', { now });
    expect(got.records.map((r) => historyKey(r))).toEqual([good]);
    expect(got.skipped).toEqual([
      { key: 'claw/history/README.txt', reason: 'not a history record key' },
      { key: bad, reason: expect.stringMatching(/^id: |^host: |^rev: |record/) },
      { key: lying, reason: 'its host, id or finishedAt differ from its key' },
    ]);
  });

  it('an empty history is empty; a missing bucket is a UsageError', async () => {
    const { s3 } = fakeS3();
    expect(await readHistory(s3, 'b', { limit: 5, now })).toEqual({ records: [], skipped: [] });
    await expect(readHistory(s3, 'nope', {})).rejects.toBeInstanceOf(UsageError);
  });
});
