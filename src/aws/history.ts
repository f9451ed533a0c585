import { randomBytes } from 'node:crypto';
import { RemoteError } from '../core/errors.js';
import {
  HISTORY_PREFIX,
  compareNewestFirst,
  historyKey,
  historyStamp,
  parseHistoryKey,
  parseHistoryRecord,
  sanitizeDetail,
  type HistoryRecord,
} from '../core/history.js';
import { mapBounded } from '../core/pool.js';
import type { S3Api } from './clients.js';
import { missingBucket } from './lock.js';
import { isMissingKey, isNoSuchBucket, isPreconditionFailed } from './s3-errors.js';

// Deploy history in S3, one object per record under claw/history/, keyed by the UTC
// finish time so a listing is chronological. Any operator (or bot) reads the same.

/** A fresh record id: 16 hex digits. */
export const newHistoryId = (): string => randomBytes(8).toString('hex');

/**
 * Store one record (its detail sanitised) and return its key. Created with
 * If-None-Match: * so a record is never overwritten; since the key carries a random
 * id, a 412 can only be our own write whose answer was lost and retried: done.
 */
export async function appendHistory(s3: S3Api, bucket: string, record: HistoryRecord, prefix = HISTORY_PREFIX): Promise<string> {
  const clean = { ...record, detail: sanitizeDetail(record.detail) };
  const parsed = parseHistoryRecord(clean);
  if (!parsed.ok) throw new Error(`appendHistory: not a valid history record: ${parsed.reason}`);
  const Key = historyKey(parsed.record, prefix);
  try {
    await s3.putObject({ Bucket: bucket, Key, Body: `${JSON.stringify(parsed.record)}\n`, ContentType: 'application/json', IfNoneMatch: '*' });
  } catch (err) {
    if (isNoSuchBucket(err)) throw missingBucket(bucket);
    if (!isPreconditionFailed(err)) throw err;
  }
  return Key;
}

export interface ReadHistoryOptions {
  host?: string | undefined;
  /** Newest N (after the host filter); all when undefined. */
  limit?: number | undefined;
  now?: Date | undefined;
  prefix?: string | undefined;
  /** Bodies fetched at once (default 8). */
  concurrency?: number | undefined;
}

export interface HistoryPage {
  /** Newest first. */
  records: HistoryRecord[];
  /** Objects under the prefix that are not valid records: skipped, named. */
  skipped: { key: string; reason: string }[];
}

/** Keys under `prefix` after `startAfter` and before `before` (ascending). */
async function listKeys(s3: S3Api, bucket: string, prefix: string, startAfter: string | undefined, before: string | undefined): Promise<string[]> {
  const keys: string[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.listObjectsV2({
      Bucket: bucket,
      Prefix: prefix,
      ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
    });
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      if (before !== undefined && o.Key >= before) return keys;
      keys.push(o.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (token !== undefined && seen.has(token))
      throw new RemoteError(`S3 ListObjectsV2 of s3://${bucket}/${prefix}: the continuation token repeated; refusing to loop`);
    if (token !== undefined) seen.add(token);
  } while (token !== undefined);
  return keys;
}

/** Newest windows first: a `--limit 20` on years of history lists one recent page, not all of it. */
const LOOKBACKS_MS = [7 * 86_400_000, 90 * 86_400_000, undefined];

/**
 * The history, newest first, optionally for one host and the newest `limit`. Keys are
 * listed (host filtered by key, without reading bodies) in time windows going back
 * until enough are found; then the chosen bodies are fetched, `concurrency` at a time.
 */
export async function readHistory(s3: S3Api, bucket: string, o: ReadHistoryOptions = {}): Promise<HistoryPage> {
  const prefix = o.prefix ?? HISTORY_PREFIX;
  const now = o.now ?? new Date();
  const wanted: string[] = [];
  const skipped: HistoryPage['skipped'] = [];
  let upper: string | undefined;
  try {
    for (const lookback of o.limit === undefined ? [undefined] : LOOKBACKS_MS) {
      const lower = lookback === undefined ? undefined : `${prefix}${historyStamp(new Date(now.getTime() - lookback))}`;
      for (const key of await listKeys(s3, bucket, prefix, lower, upper)) {
        const parsed = parseHistoryKey(key, prefix);
        if (!parsed) skipped.push({ key, reason: 'not a history record key' });
        else if (o.host === undefined || parsed.host === o.host) wanted.push(key);
      }
      if (lower === undefined || (o.limit !== undefined && wanted.length >= o.limit)) break;
      upper = lower;
    }
  } catch (err) {
    if (isNoSuchBucket(err)) throw missingBucket(bucket);
    throw err;
  }
  const chosen = wanted.sort().reverse().slice(0, o.limit);
  const fetched = await mapBounded(chosen, o.concurrency ?? 8, async (key): Promise<HistoryRecord | { key: string; reason: string }> => {
    let text: string;
    try {
      text = (await (await s3.getObject({ Bucket: bucket, Key: key })).Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (isMissingKey(err)) return { key, reason: 'deleted while being read' };
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { key, reason: 'not JSON' };
    }
    const parsed = parseHistoryRecord(raw);
    if (!parsed.ok) return { key, reason: parsed.reason };
    return historyKey(parsed.record, prefix) === key ? parsed.record : { key, reason: 'its host, id or finishedAt differ from its key' };
  });
  const records: HistoryRecord[] = [];
  for (const f of fetched) {
    if ('reason' in f) skipped.push(f);
    else records.push(f);
  }
  return { records: records.sort(compareNewestFirst), skipped };
}
