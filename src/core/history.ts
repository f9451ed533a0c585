import { z } from 'zod';
import { FULL_SHA_RE, HOSTNAME_RE, INSTANCE_ID_RE } from './patterns.js';

// Deploy history as data: one record per host and deploy, stored by src/aws/history.ts
// as one S3 object each under HISTORY_PREFIX, keyed so a listing is chronological.

export const HISTORY_PREFIX = 'claw/history/';
export const HISTORY_RESULTS = ['success', 'failed', 'skipped'] as const;
export type HistoryResult = (typeof HISTORY_RESULTS)[number];
/** Longest `detail` kept: a summary line, never a log. */
export const DETAIL_MAX = 1_000;
export const HISTORY_ID_RE = /^[0-9a-f]{8,32}$/;

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'is not a timestamp');

export const historyRecordSchema = z.object({
  id: z.string().regex(HISTORY_ID_RE, 'is not a history id (8 to 32 hex digits)'),
  host: z.string().regex(HOSTNAME_RE, 'is not a hostname'),
  instanceId: z.string().regex(INSTANCE_ID_RE, 'is not an instance id').nullable(),
  rev: z.string().regex(FULL_SHA_RE, 'is not a full 40-hex git SHA'),
  previousRev: z.string().regex(FULL_SHA_RE, 'is not a full 40-hex git SHA').nullable(),
  startedAt: iso,
  finishedAt: iso,
  who: z.string().min(1).max(200),
  result: z.enum(HISTORY_RESULTS),
  detail: z.string().max(DETAIL_MAX),
});
export type HistoryRecord = z.infer<typeof historyRecordSchema>;

/** Parse one stored record; a message naming the first bad field otherwise. */
export function parseHistoryRecord(raw: unknown): { ok: true; record: HistoryRecord } | { ok: false; reason: string } {
  const parsed = historyRecordSchema.safeParse(raw);
  if (parsed.success) return { ok: true, record: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, reason: `${issue.path.join('.') || 'record'}: ${issue.message}` };
}

const SECRET_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /AGE-SECRET-KEY-1[0-9A-Z]+/gi,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\b(?:aws_secret_access_key|secret|token|password)\s*[=:]\s*\S+/gi,
];

/**
 * The detail as stored: secrets-looking text redacted, control characters flattened,
 * cut to DETAIL_MAX. History is readable by every operator: callers pass a summary,
 * and this is the last guard, not the policy.
 */
export function sanitizeDetail(detail: string): string {
  let out = detail;
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > DETAIL_MAX ? `${out.slice(0, DETAIL_MAX - 1)}…` : out;
}

/** `2026-01-07T16-52-16-123Z`: fixed width, so lexical order is time order (UTC). */
export function historyStamp(at: Date): string {
  return at.toISOString().replace(/:/g, '-').replace('.', '-');
}

/** `claw/history/<finishedAt stamp>-<host>-<id>.json`. */
export function historyKey(record: Pick<HistoryRecord, 'finishedAt' | 'host' | 'id'>, prefix = HISTORY_PREFIX): string {
  return `${prefix}${historyStamp(new Date(record.finishedAt))}-${record.host}-${record.id}.json`;
}

const KEY_RE = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)-([a-z0-9-]+)-([0-9a-f]{8,32})\.json$/;

/** The stamp, host and id a history key names; undefined for any other object. */
export function parseHistoryKey(key: string, prefix = HISTORY_PREFIX): { stamp: string; host: string; id: string } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = KEY_RE.exec(key.slice(prefix.length));
  if (!m || !HOSTNAME_RE.test(m[2]!)) return undefined;
  return { stamp: m[1]!, host: m[2]!, id: m[3]! };
}

/** Newest first by finishedAt, then by startedAt, then id (a stable total order). */
export function compareNewestFirst(a: HistoryRecord, b: HistoryRecord): number {
  return Date.parse(b.finishedAt) - Date.parse(a.finishedAt) || Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function filterHistory(records: readonly HistoryRecord[], o: { host?: string | undefined; limit?: number | undefined } = {}): HistoryRecord[] {
  const out = records.filter((r) => o.host === undefined || r.host === o.host).sort(compareNewestFirst);
  return o.limit === undefined ? out : out.slice(0, o.limit);
}

/**
 * The rev a rollback of `host` goes back to. When `currentRev` came from a successful
 * deploy, the rev the host ran right before it (that record's `previousRev`: after a
 * single deploy, what was there before claw ever deployed). Otherwise, among the host's
 * successful deploys (newest first): the newest success older than the current rev's
 * newest one with another rev, or, when `currentRev` never succeeded here, the newest
 * success with another rev. Never `currentRev`, never a failed or skipped deploy, never
 * another host's. Undefined when there is nothing to go back to. `currentRev` defaults to
 * the newest success.
 */
export function previousSuccessfulRev(records: readonly HistoryRecord[], host: string, currentRev?: string | null): string | undefined {
  const successes = filterHistory(records, { host }).filter((r) => r.result === 'success');
  const current = currentRev ?? successes[0]?.rev;
  if (current === undefined) return undefined;
  const at = successes.findIndex((r) => r.rev === current);
  const before = at === -1 ? null : successes[at]!.previousRev;
  if (before !== null && before !== current) return before;
  return successes.slice(at === -1 ? 0 : at + 1).find((r) => r.rev !== current)?.rev;
}
