import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DETAIL_MAX,
  filterHistory,
  historyKey,
  historyStamp,
  parseHistoryKey,
  parseHistoryRecord,
  previousSuccessfulRev,
  sanitizeDetail,
  type HistoryRecord,
  type HistoryResult,
} from '../../src/core/history.js';
import { HOSTNAME_RE } from '../../src/core/patterns.js';

const sha = (c: string) => c.repeat(40);
const t0 = Date.parse('2026-03-01T12:00:00.000Z');
let seq = 0;
const rec = (host: string, rev: string, minute: number, result: HistoryResult = 'success', over: Partial<HistoryRecord> = {}): HistoryRecord => ({
  id: (++seq).toString(16).padStart(16, '0'),
  host,
  instanceId: 'i-0123456789abcdef0',
  rev,
  previousRev: null,
  startedAt: new Date(t0 + minute * 60_000 - 30_000).toISOString(),
  finishedAt: new Date(t0 + minute * 60_000).toISOString(),
  who: 'alice@laptop',
  result,
  detail: '',
  ...over,
});

describe('record schema', () => {
  it('accepts a record and names the first bad field otherwise', () => {
    expect(parseHistoryRecord(rec('clawdinator-1', sha('a'), 0))).toMatchObject({ ok: true });
    expect(parseHistoryRecord({ ...rec('clawdinator-1', sha('a'), 0), rev: 'main' })).toEqual({ ok: false, reason: 'rev: is not a full 40-hex git SHA' });
    expect(parseHistoryRecord({ ...rec('x', sha('a'), 0), result: 'maybe' })).toMatchObject({ ok: false, reason: expect.stringMatching(/^result: /) });
    expect(parseHistoryRecord({ ...rec('x', sha('a'), 0), host: 'X;reboot' })).toEqual({ ok: false, reason: 'host: is not a hostname' });
  });

  it('sanitises details: secrets redacted, one line, bounded', () => {
    expect(sanitizeDetail('key AGE-SECRET-KEY-1QQQQQQQQQQQQQ leaked')).toBe('key [redacted] leaked');
    expect(sanitizeDetail('id AKIAABCDEFGHIJKLMNOP, token=abc123 ok')).toBe('id [redacted], [redacted] ok');
    expect(sanitizeDetail('a\n-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n-----END OPENSSH PRIVATE KEY-----\nb')).toBe('a [redacted] b');
    expect(sanitizeDetail('line 1\nline 2\ttab')).toBe('line 1 line 2 tab');
    expect(sanitizeDetail('x'.repeat(5000))).toHaveLength(DETAIL_MAX);
  });
});

describe('keys', () => {
  it('are claw/history/<UTC stamp>-<host>-<id>.json and parse back', () => {
    const r = rec('clawdinator-1', sha('a'), 0, 'success', { id: 'deadbeefdeadbeef' });
    expect(historyKey(r)).toBe('claw/history/2026-03-01T12-00-00-000Z-clawdinator-1-deadbeefdeadbeef.json');
    expect(parseHistoryKey(historyKey(r))).toEqual({ stamp: '2026-03-01T12-00-00-000Z', host: 'clawdinator-1', id: 'deadbeefdeadbeef' });
    expect(parseHistoryKey('claw/history/notes.txt')).toBeUndefined();
    expect(parseHistoryKey('other/2026-03-01T12-00-00-000Z-h-deadbeef.json')).toBeUndefined();
  });

  it('property: key order is time order, and keys round-trip host and id', () => {
    const date = fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2999-12-31') }).map((n) => new Date(n));
    const host = fc.stringMatching(HOSTNAME_RE);
    const id = fc.stringMatching(/^[0-9a-f]{8,32}$/);
    fc.assert(
      fc.property(date, date, host, host, id, id, (d1, d2, h1, h2, i1, i2) => {
        const k1 = historyKey({ finishedAt: d1.toISOString(), host: h1, id: i1 });
        const k2 = historyKey({ finishedAt: d2.toISOString(), host: h2, id: i2 });
        if (d1 < d2) expect(k1 < k2).toBe(true);
        expect(historyStamp(d1)).toHaveLength(24);
        expect(parseHistoryKey(k1)).toEqual({ stamp: historyStamp(d1), host: h1, id: i1 });
      }),
    );
  });
});

describe('filterHistory', () => {
  it('newest first, one host, the newest N', () => {
    const rs = [rec('a', sha('1'), 1), rec('b', sha('2'), 3), rec('a', sha('3'), 2), rec('a', sha('4'), 5)];
    expect(filterHistory(rs).map((r) => r.rev[0])).toEqual(['4', '2', '3', '1']);
    expect(filterHistory(rs, { host: 'a', limit: 2 }).map((r) => r.rev[0])).toEqual(['4', '3']);
    expect(filterHistory(rs, { host: 'zzz' })).toEqual([]);
  });
});

describe('previousSuccessfulRev', () => {
  const A = sha('a');
  const B = sha('b');
  const C = sha('c');

  it('goes back one successful rev, skipping failures, skips and other hosts', () => {
    const rs = [rec('h', A, 1), rec('h', B, 2), rec('other', C, 3), rec('h', C, 4, 'failed'), rec('h', C, 5, 'skipped')];
    expect(previousSuccessfulRev(rs, 'h', B)).toBe(A);
    expect(previousSuccessfulRev(rs, 'h')).toBe(A); // current = newest success (B)
    expect(previousSuccessfulRev(rs, 'h', C)).toBe(B); // C never succeeded here: the newest good one
    expect(previousSuccessfulRev(rs, 'other', C)).toBeUndefined();
    expect(previousSuccessfulRev([], 'h', A)).toBeUndefined();
  });

  it('right after one deploy: the rev the host ran before it (the record says so), not "nothing"', () => {
    const X = sha('e');
    expect(previousSuccessfulRev([rec('h', B, 1, 'success', { previousRev: X })], 'h', B)).toBe(X);
    expect(previousSuccessfulRev([rec('h', B, 1, 'success', { previousRev: X })], 'h')).toBe(X);
    // The record of the current rev's newest success speaks, whatever older successes say.
    expect(previousSuccessfulRev([rec('h', A, 1), rec('h', B, 2, 'success', { previousRev: C })], 'h', B)).toBe(C);
    // A redeploy of the same rev says nothing new: the older successes decide.
    expect(previousSuccessfulRev([rec('h', A, 1), rec('h', B, 2, 'success', { previousRev: B })], 'h', B)).toBe(A);
    // A failed deploy's previousRev is not a rollback target.
    expect(previousSuccessfulRev([rec('h', B, 1, 'failed', { previousRev: X })], 'h', B)).toBeUndefined();
    // The current rev never succeeded here: its records do not name what came before.
    expect(previousSuccessfulRev([rec('h', A, 1, 'success', { previousRev: X })], 'h', C)).toBe(A);
  });

  it('after a rollback (A, B, A) the previous of A is B: the success just older than the newest A', () => {
    expect(previousSuccessfulRev([rec('h', A, 1), rec('h', B, 2), rec('h', A, 3)], 'h', A)).toBe(B);
    expect(previousSuccessfulRev([rec('h', A, 1), rec('h', B, 2), rec('h', B, 3)], 'h', B)).toBe(A);
  });

  it('property: the nearest older success of that host with another rev, never the current rev', () => {
    const revs = fc.constantFrom(A, B, C, sha('d'));
    const record = fc.record({
      host: fc.constantFrom('h', 'g'),
      rev: revs,
      minute: fc.integer({ min: 0, max: 1000 }),
      result: fc.constantFrom<HistoryResult>('success', 'failed', 'skipped'),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), fc.option(revs, { nil: undefined }), (raw, current) => {
        const rs = raw.map((r) => rec(r.host, r.rev, r.minute, r.result));
        const got = previousSuccessfulRev(rs, 'h', current);
        const mine = filterHistory(rs, { host: 'h' }).filter((r) => r.result === 'success');
        const cur = current ?? mine[0]?.rev;
        const curAt = mine.findIndex((r) => r.rev === cur);
        if (got === undefined) {
          expect(mine.slice(curAt + 1).every((r) => r.rev === cur)).toBe(true);
          return;
        }
        expect(got).not.toBe(cur);
        const gotAt = mine.findIndex((r, i) => i > curAt && r.rev === got);
        expect(gotAt).toBeGreaterThan(curAt); // older than the current rev's newest success
        expect(mine.slice(curAt + 1, gotAt).every((r) => r.rev === cur)).toBe(true); // and the nearest such
      }),
    );
  });
});
