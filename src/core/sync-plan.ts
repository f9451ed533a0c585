import { UsageError } from './errors.js';
import { etagMatches, hashPasses, parseEtag, type ContentDigest } from './etag.js';
import { describeLocation, type SyncLocation } from './sync-location.js';

export { formatBytes } from './bytes.js';

// The pure half of the sync engine: pair the two listings by key, decide what is new,
// changed, unchanged or gone, and summarise the plan. Nothing here reads a file or
// calls AWS; src/aws/sync.ts lists, hashes and then asks these functions.

export type { SyncLocation } from './sync-location.js';

export interface SyncEntry {
  key: string;
  size: number;
  etag?: string | undefined;
  lastModified?: Date | undefined;
}

export type TransferOp = 'upload' | 'download' | 'copy';
export type Verdict = 'unchanged' | 'changed';

export interface SyncTransfer {
  key: string;
  size: number;
  op: TransferOp;
  reason: 'new' | 'changed';
  /** S3 to S3: the source's ETag, so a multipart source is copied part for part and keeps it. */
  etag?: string | undefined;
}

export interface SyncPlan {
  source: SyncLocation;
  destination: SyncLocation;
  transfers: SyncTransfer[];
  deletes: { key: string; size: number }[];
  /** Only at the destination and left there (no --delete): what --delete would remove. */
  left?: { key: string; size: number }[] | undefined;
  unchanged: { count: number; bytes: number };
  /** Temporary folders of killed pulls (relative paths under the local destination), removed when the plan runs. */
  staleTemp?: string[] | undefined;
  /** A local source listed without following symbolic links (--no-follow-symlinks): the uploads do not follow one either. */
  followSymlinks?: false | undefined;
  /** Source keys that cannot be written here (a file and a folder of one name, a link in the way): not transferred, each a failure of the run. */
  blocked?: { key: string; reason: string }[] | undefined;
}

/**
 * Keys in S3's order: UTF-8 bytes. UTF-16 code units sort the same except that a
 * surrogate (a code point above U+FFFF) must come after U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The operation a location pair implies; local to local is not claw's job. */
export function transferOp(source: SyncLocation, destination: SyncLocation): TransferOp {
  if (source.kind === 'local' && destination.kind === 's3') return 'upload';
  if (source.kind === 's3' && destination.kind === 'local') return 'download';
  if (source.kind === 's3' && destination.kind === 's3') return 'copy';
  throw new UsageError(
    `cannot sync ${describeLocation(source)} to ${describeLocation(destination)}: both are local`,
    'one side must be an s3:// URL (use cp or rsync for local copies)',
  );
}

/**
 * S3 to S3, from the listing alone. ETags are comparable when both are single-part or
 * both multipart with the same part count: equal means unchanged. Otherwise the content
 * cannot be told from the listing, and the object is copied: a restore must never keep
 * a different file because it has the same size and a newer date (the aws CLI's rule).
 * Copies keep a comparable ETag (copyS3Object copies a multipart source part for part),
 * so the next sync finds them unchanged.
 */
export function compareRemote(src: SyncEntry, dst: SyncEntry): Verdict {
  if (src.size !== dst.size) return 'changed';
  const a = parseEtag(src.etag);
  const b = parseEtag(dst.etag);
  if (a && b && a.parts === b.parts) return a.hex === b.hex ? 'unchanged' : 'changed';
  return 'changed';
}

/**
 * A local file against a listed object, step one: different sizes are changed; equal
 * sizes need the file's digest, read by read (see hashPasses), until one matches. An
 * ETag no read can reproduce (not an MD5, as with SSE-KMS, or a multipart one no
 * whole-MiB part size gives) is changed without reading.
 */
export function contentCheck(local: SyncEntry, remote: SyncEntry): { verdict: Verdict } | { passes: number[][] } {
  if (local.size !== remote.size) return { verdict: 'changed' };
  const passes = hashPasses(remote.etag, remote.size);
  return passes.length === 0 ? { verdict: 'changed' } : { passes };
}

/** Step two: the file's digest against the object's ETag. */
export const compareDigest = (remote: SyncEntry, digest: ContentDigest): Verdict => (etagMatches(remote.etag, digest) ? 'unchanged' : 'changed');

export interface Pairing {
  both: { source: SyncEntry; destination: SyncEntry }[];
  sourceOnly: SyncEntry[];
  destinationOnly: SyncEntry[];
}

/** Match the two listings by key; each list comes out in UTF-8 key order. */
export function pairEntries(source: readonly SyncEntry[], destination: readonly SyncEntry[]): Pairing {
  const dst = new Map(destination.map((e) => [e.key, e]));
  const out: Pairing = { both: [], sourceOnly: [], destinationOnly: [] };
  const seen = new Set<string>();
  for (const s of source) {
    seen.add(s.key);
    const d = dst.get(s.key);
    if (d) out.both.push({ source: s, destination: d });
    else out.sourceOnly.push(s);
  }
  for (const d of destination) if (!seen.has(d.key)) out.destinationOnly.push(d);
  out.both.sort((x, y) => compareUtf8(x.source.key, y.source.key));
  out.sourceOnly.sort((x, y) => compareUtf8(x.key, y.key));
  out.destinationOnly.sort((x, y) => compareUtf8(x.key, y.key));
  return out;
}

/** Is `key` one the source skipped (an exact key, or under a skipped "dir/")? Such keys are never deleted. */
export function isShadowed(key: string, skipped: readonly string[]): boolean {
  return skipped.some((s) => (s.endsWith('/') ? key.startsWith(s) : key === s));
}

export interface PlanInput {
  source: SyncLocation;
  destination: SyncLocation;
  pairing: Pairing;
  /** A verdict for every key in pairing.both. */
  verdicts: ReadonlyMap<string, Verdict>;
  delete: boolean;
  /** Keys (or "dir/" prefixes) the source listing skipped: their destination side is left alone. */
  skipped?: readonly string[];
  staleTemp?: readonly string[];
  /** Source keys refused at the destination (see blockedKeys): left out of the transfers. */
  blocked?: readonly { key: string; reason: string }[];
}

export function buildPlan(p: PlanInput): SyncPlan {
  const op = transferOp(p.source, p.destination);
  const transfers: SyncTransfer[] = [];
  const unchanged = { count: 0, bytes: 0 };
  const changed = new Map<string, SyncEntry>();
  for (const { source } of p.pairing.both) {
    const v = p.verdicts.get(source.key);
    if (v === undefined) throw new Error(`buildPlan: no verdict for ${source.key}`);
    if (v === 'changed') changed.set(source.key, source);
    else {
      unchanged.count++;
      unchanged.bytes += source.size;
    }
  }
  const entry = (e: SyncEntry, reason: SyncTransfer['reason']): SyncTransfer => ({
    key: e.key,
    size: e.size,
    op,
    reason,
    ...(op === 'copy' && e.etag !== undefined && { etag: e.etag }),
  });
  const blocked = new Set((p.blocked ?? []).map((b) => b.key));
  for (const e of p.pairing.sourceOnly) if (!blocked.has(e.key)) transfers.push(entry(e, 'new'));
  for (const e of changed.values()) if (!blocked.has(e.key)) transfers.push(entry(e, 'changed'));
  transfers.sort((a, b) => compareUtf8(a.key, b.key));
  const extra = p.pairing.destinationOnly.filter((e) => !isShadowed(e.key, p.skipped ?? [])).map((e) => ({ key: e.key, size: e.size }));
  const deletes = p.delete ? extra : [];
  const plan: SyncPlan = { source: p.source, destination: p.destination, transfers, deletes, unchanged };
  if (!p.delete && extra.length > 0) plan.left = extra;
  if (p.staleTemp && p.staleTemp.length > 0) plan.staleTemp = [...p.staleTemp].sort(compareUtf8);
  if (p.blocked && p.blocked.length > 0) plan.blocked = [...p.blocked].sort((a, b) => compareUtf8(a.key, b.key));
  return plan;
}

/**
 * Which keys of a download's source cannot become files under the destination:
 * - a key that is also a folder in the source (`pa` and `pa/b`): a local path cannot be
 *   both, so the whole group is refused, reported once, never retried into EISDIR;
 * - a key at or under something of the destination's that is not a real folder (a
 *   symbolic link, a FIFO), or under a file of the destination (`pa` is a file here).
 * `destinationSkipped` is the destination listing's skipped keys with what each is.
 */
export function blockedKeys(
  sourceKeys: readonly string[],
  destination: { files: ReadonlySet<string>; skippedWhy: ReadonlyMap<string, string> },
): { key: string; reason: string }[] {
  const keys = new Set(sourceKeys);
  const out = new Map<string, string>();
  const parents = (key: string) => {
    const parts = key.split('/');
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
  };
  for (const key of sourceKeys) {
    for (const parent of parents(key)) {
      if (keys.has(parent)) {
        const reason = `both an object and a folder in the source (${parent} and ${parent}/...): a local path cannot be both`;
        out.set(parent, reason);
        out.set(key, reason);
      }
    }
  }
  for (const key of sourceKeys) {
    if (out.has(key)) continue;
    for (const at of [...parents(key), key]) {
      const why = destination.skippedWhy.get(at);
      if (why !== undefined) {
        out.set(key, `${at} here is ${why.replace(/ \(not followed\)$/, '')}: claw never writes through it`);
        break;
      }
      if (at !== key && destination.files.has(at)) {
        out.set(key, `${at} is a file here, not a folder`);
        break;
      }
    }
  }
  return [...out].map(([key, reason]) => ({ key, reason }));
}
