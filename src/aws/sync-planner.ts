import { InterruptedError, UsageError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { mapBounded } from '../core/pool.js';
import { describeLocation, localKeyProblem, type SyncLocation } from '../core/sync-location.js';
import {
  blockedKeys,
  buildPlan,
  compareDigest,
  compareRemote,
  contentCheck,
  pairEntries,
  transferOp,
  type SyncEntry,
  type SyncPlan,
  type Verdict,
} from '../core/sync-plan.js';
import { describePlan } from '../core/sync-summary.js';
import type { S3Api } from './clients.js';
import { hashFile, listLocal, localPath } from '../fs/sync-local.js';
import { listS3 } from './sync-remote.js';
import type { CopyOptions } from './sync-copy.js';
import { escapeField } from '../core/terminal-text.js';

// Planning: list both sides at once, pair the keys, and settle every pair present on
// both sides from the listing (S3 to S3) or from one read of the local file (MD5 and
// the candidate multipart ETags against the listed ETag). No request per object.

interface Side {
  entries: SyncEntry[];
  /** Keys (or "dir/" prefixes) the listing left out: never deleted on the other side. */
  skipped: string[];
  /** A local destination: what each skipped key is (nothing is written through it). */
  skippedWhy: Map<string, string>;
  staleTemp: string[];
}

async function listSide(s3: S3Api, loc: SyncLocation, role: 'source' | 'destination', other: SyncLocation, o: SyncOptions): Promise<Side> {
  if (loc.kind === 'local') {
    const l = await listLocal(loc.dir, { concurrency: o.concurrency, events: o.events, role, followSymlinks: o.followSymlinks });
    if (!l.exists && role === 'source') throw new UsageError(`${loc.dir} does not exist`, 'give an existing directory to sync from');
    return { entries: l.entries, skipped: l.skipped, skippedWhy: l.skippedWhy, staleTemp: l.staleTemp };
  }
  const entries = await listS3(s3, loc.bucket, loc.prefix, o.listPageSize);
  if (role !== 'source' || other.kind !== 'local') return { entries, skipped: [], skippedWhy: new Map(), staleTemp: [] };
  // Keys that cannot be files under the directory (traversal, "//", claw's temp names) are left out.
  const kept: SyncEntry[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    const problem = localKeyProblem(e.key);
    if (problem === undefined) kept.push(e);
    else {
      skipped.push(e.key);
      o.events?.emit({
        type: 'warning',
        message: `skipped s3://${loc.bucket}/${loc.prefix}${escapeField(e.key)}: the key has ${problem}, so it cannot be a local file`,
      });
    }
  }
  return { entries: kept, skipped, skippedWhy: new Map(), staleTemp: [] };
}

export interface SyncOptions extends CopyOptions {
  /** Plan deletes of destination entries absent from the source (read by planSync; executeSync does what the plan says). */
  delete?: boolean | undefined;
  /** Refuse (before doing anything) a plan with more deletes than this. */
  maxDelete?: number | undefined;
  /** Objects in flight at once (files hashed at once while planning). */
  concurrency: number;
  /** Stops scheduling; in-flight downloads stop at once, other requests with the SDK client's own signal. */
  signal?: AbortSignal | undefined;
  events?: EventSink | undefined;
  /** Keys per ListObjectsV2 page (default 1000, S3's largest): a knob for tests of the pagination. */
  listPageSize?: number | undefined;
  /** A local source follows symbolic links (default true, as `aws s3 sync`); a local destination never does. */
  followSymlinks?: boolean | undefined;
}

/** List both sides and decide: the plan executeSync carries out (and a dry run shows). */
export async function planSync(s3: S3Api, src: SyncLocation, dst: SyncLocation, o: SyncOptions): Promise<SyncPlan> {
  const op = transferOp(src, dst);
  // One prefix inside the other would list (and copy, or delete) its own output.
  if (src.kind === 's3' && dst.kind === 's3' && src.bucket === dst.bucket && (src.prefix.startsWith(dst.prefix) || dst.prefix.startsWith(src.prefix))) {
    throw new UsageError(`${describeLocation(src)} and ${describeLocation(dst)} overlap`, 'sync between two prefixes where neither contains the other');
  }
  const stop = () => {
    if (o.signal?.aborted) throw new InterruptedError('sync planning interrupted; nothing was changed');
  };
  stop();
  const [source, destination] = await Promise.all([listSide(s3, src, 'source', dst, o), listSide(s3, dst, 'destination', src, o)]);
  stop();
  const pairing = pairEntries(source.entries, destination.entries);
  const verdicts = new Map<string, Verdict>();
  const toHash: { local: SyncEntry; remote: SyncEntry; passes: number[][] }[] = [];
  const localDir = src.kind === 'local' ? src.dir : dst.kind === 'local' ? dst.dir : undefined;
  for (const pair of pairing.both) {
    if (op === 'copy') {
      verdicts.set(pair.source.key, compareRemote(pair.source, pair.destination));
      continue;
    }
    const [local, remote] = op === 'upload' ? [pair.source, pair.destination] : [pair.destination, pair.source];
    const check = contentCheck(local, remote);
    if ('verdict' in check) verdicts.set(local.key, check.verdict);
    else toHash.push({ local, remote, passes: check.passes });
  }
  await mapBounded(toHash, Math.max(1, o.concurrency), async (h) => {
    stop();
    try {
      let verdict: Verdict = 'changed';
      for (const partSizes of h.passes) {
        verdict = compareDigest(
          h.remote,
          await hashFile(localPath(localDir!, h.local.key), h.local.size, partSizes, { follow: op === 'upload' && o.followSymlinks !== false }),
        );
        if (verdict === 'unchanged') break;
      }
      verdicts.set(h.local.key, verdict);
    } catch {
      // Unreadable now (removed, permissions): plan the transfer; executing it reports the error.
      verdicts.set(h.local.key, 'changed');
    }
  });
  // A download never writes where a key cannot be a file (a file/folder clash in S3, a link in the way).
  const blocked =
    op === 'download'
      ? blockedKeys(
          source.entries.map((e) => e.key),
          { files: new Set(destination.entries.map((e) => e.key)), skippedWhy: destination.skippedWhy },
        )
      : [];
  // One line per cause (a clash names all its keys), not one per key.
  const byReason = new Map<string, string[]>();
  for (const b of blocked) byReason.set(b.reason, [...(byReason.get(b.reason) ?? []), b.key]);
  for (const [reason, keys] of byReason) {
    const shown =
      keys
        .slice(0, 5)
        .map((k) => `${describeLocation(src)}${k}`)
        .join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
    o.events?.emit({ type: 'warning', message: `not pulled: ${escapeField(shown)}: ${escapeField(reason)}` });
  }
  const plan = buildPlan({
    source: src,
    destination: dst,
    pairing,
    verdicts,
    delete: Boolean(o.delete),
    // What either side could not list is left alone on the other (a destination link is never deleted through).
    skipped: [...source.skipped, ...destination.skipped],
    staleTemp: destination.staleTemp,
    blocked,
  });
  if (src.kind === 'local' && o.followSymlinks === false) plan.followSymlinks = false;
  o.events?.emit({ type: 'planned', summary: describePlan(plan) });
  return plan;
}
