import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { ContentHasher, type ContentDigest } from '../core/etag.js';
import type { EventSink } from '../core/events.js';
import { mapBounded } from '../core/pool.js';
import { compareUtf8, type SyncEntry } from '../core/sync-plan.js';
import { escapeField } from '../core/terminal-text.js';
import { fileKind, openRegular } from './regular-file.js';
import { foreignTemp, inspectTemp, TEMP_DIR } from './sync-temp.js';

// The local side of a sync: list a directory tree as keys, hash a file in one pass,
// write and delete files only inside the tree. A push's source follows symbolic links
// (as `aws s3 sync` does: the host's own timer uses it, and both must store the same
// objects), with loop detection; `--no-follow-symlinks` skips them instead. A pull's
// destination never follows one: a key under a link is refused, and every write goes
// through folders checked to be real ones inside the target. claw's own temporary
// folder (`.claw-tmp/`, sync-temp.ts) is never a key.

export interface LocalListing {
  exists: boolean;
  entries: SyncEntry[];
  /**
   * Keys (and "dir/" prefixes) not listed: links not followed, special files, loops.
   * On a source they are never deleted on the other side; on a destination nothing is
   * written through or over them.
   */
  skipped: string[];
  /** What each skipped key is, for the line that refuses to write there. */
  skippedWhy: Map<string, string>;
  /** A pull's destination: temporary folders of killed runs (relative to the root), removed when the plan runs. */
  staleTemp: string[];
}

export interface ListOptions {
  concurrency: number;
  events?: EventSink | undefined;
  /** source: what a push uploads; destination: where a pull writes. */
  role: 'source' | 'destination';
  /** A source follows symbolic links (default true); a destination never does. */
  followSymlinks?: boolean | undefined;
}

/** The file for a key: the key's "/" segments under the root. */
export const localPath = (dir: string, key: string): string => join(dir, ...key.split('/'));

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

function unreadable(path: string, err: unknown): UsageError {
  return new UsageError(`cannot read ${path}: ${codeOf(err) ?? (err as Error).message}`, 'check that it exists and that claw may read it; nothing was changed');
}

/**
 * Every regular file under `dir` as a key with its size and mtime. A directory that is
 * not there lists as empty (`exists: false`); one that cannot be read fails the whole
 * listing, because a partial listing of a source would turn into deletes.
 */
export async function listLocal(dir: string, o: ListOptions): Promise<LocalListing> {
  const out: LocalListing = { exists: true, entries: [], skipped: [], skippedWhy: new Map(), staleTemp: [] };
  const follow = o.role === 'source' && o.followSymlinks !== false;
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new UsageError(`${dir} is not a directory`, 'a local sync side is a directory; give its path');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (codeOf(err) === 'ENOENT') return { ...out, exists: false };
    throw unreadable(dir, err);
  }
  // claw's temporary folder: a destination's is inspected (one not claw's is refused), a source's is left out.
  const temp = await inspectTemp(dir);
  if (o.role === 'destination' && temp.kind === 'foreign') throw foreignTemp(dir, temp.why);
  if (temp.kind === 'ours') out.staleTemp = o.role === 'destination' ? temp.stale : [];
  const skipTemp = temp.kind === 'ours';

  const skip = (key: string, full: string, why: string) => {
    // A link may point at a directory: protect both the key and everything under it.
    out.skipped.push(key, `${key}/`);
    out.skippedWhy.set(key, why);
    o.events?.emit({ type: 'warning', message: `skipped ${escapeField(full)}: ${why}` });
  };
  const walk = async (path: string, prefix: string, ancestors: readonly string[]): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(path, { withFileTypes: true });
    } catch (err) {
      throw unreadable(path, err);
    }
    // Name order: warnings come out the same on every filesystem.
    dirents.sort((a, b) => compareUtf8(a.name, b.name));
    const files: { key: string; full: string }[] = [];
    const subdirs: { key: string; full: string; real: string }[] = [];
    for (const d of dirents) {
      const full = join(path, d.name);
      const key = prefix + d.name;
      if (prefix === '' && d.name === TEMP_DIR && skipTemp) continue;
      if (d.isFile()) files.push({ key, full });
      else if (d.isDirectory()) subdirs.push({ key, full, real: await realpath(full).catch(() => full) });
      else if (d.isSymbolicLink() && follow) {
        const target = await stat(full).catch(() => undefined);
        if (!target) skip(key, full, 'a symbolic link to nothing (not followed)');
        else if (target.isFile()) files.push({ key, full });
        else if (target.isDirectory()) {
          const real = await realpath(full).catch(() => full);
          if (ancestors.includes(real)) skip(key, full, `a symbolic link loop (back to ${escapeField(real)})`);
          else subdirs.push({ key, full, real });
        } else skip(key, full, `a symbolic link to ${fileKind(target)}`);
      } else {
        const st = await lstat(full).catch(() => undefined);
        skip(key, full, d.isSymbolicLink() ? 'a symbolic link (not followed)' : st ? fileKind(st) : 'not a regular file');
      }
    }
    const entries = await mapBounded(files, o.concurrency, async (f) => {
      try {
        const st = await (follow ? stat(f.full) : lstat(f.full));
        return { key: f.key, size: st.size, lastModified: st.mtime };
      } catch (err) {
        throw unreadable(f.full, err);
      }
    });
    for (const e of entries) out.entries.push(e);
    for (const sub of subdirs) await walk(sub.full, `${sub.key}/`, [...ancestors, sub.real]);
  };
  await walk(dir, '', [await realpath(dir).catch(() => dir)]);
  return out;
}

/** Files up to this size are hashed from one read (cheaper than a stream for many small files). */
const READ_WHOLE = 4 * 1024 * 1024;

/** The multipart ETag for each part size (or with none, the whole MD5), in one read of the file (only a regular one). */
export async function hashFile(path: string, size: number, partSizes: readonly number[], o: { follow: boolean } = { follow: true }): Promise<ContentDigest> {
  const hasher = new ContentHasher(partSizes, { md5: partSizes.length === 0, sha256: false });
  const { handle } = await openRegular(path, { follow: o.follow });
  try {
    if (size <= READ_WHOLE) hasher.update(await handle.readFile());
    else
      for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>)
        hasher.update(chunk);
  } finally {
    await handle.close();
  }
  return hasher.digest();
}

/** Is `inner` the folder `root` or inside it (both real paths)? */
const inside = (root: string, inner: string) => inner === root || inner.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/**
 * The path for `key` under `root`, its parent folders checked (and, with `create`, made)
 * one by one: each must be a real folder, never a symbolic link, and the last one's real
 * path inside the root's. The file itself may not be a link or a folder. Throws a line
 * naming what is in the way; nothing is written through a link.
 */
export async function safeLocalPath(root: string, key: string, o: { create?: boolean } = { create: true }): Promise<string> {
  const segments = key.split('/');
  let dir = root;
  for (const seg of segments.slice(0, -1)) {
    dir = join(dir, seg);
    let st = await lstat(dir).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? undefined : Promise.reject(err)));
    if (!st && o.create !== false) {
      await mkdir(dir).catch((err: unknown) => (codeOf(err) === 'EEXIST' ? undefined : Promise.reject(err)));
      st = await lstat(dir);
    }
    if (!st) return join(dir, ...segments.slice(segments.indexOf(seg) + 1));
    if (st.isSymbolicLink()) throw new Error(`not written: ${escapeField(dir)} is a symbolic link (claw never writes through one)`);
    if (!st.isDirectory()) throw new Error(`not written: ${escapeField(dir)} is a file here, not a folder`);
  }
  const path = join(dir, segments.at(-1)!);
  const st = await lstat(path).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? undefined : Promise.reject(err)));
  if (st?.isSymbolicLink()) throw new Error(`not written: ${escapeField(path)} is a symbolic link (claw never replaces one)`);
  if (st?.isDirectory()) throw new Error(`not written: ${escapeField(path)} is a folder here`);
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dir)]);
  if (!inside(realRoot, realDir)) throw new Error(`not written: ${escapeField(dir)} resolves outside ${escapeField(root)}`);
  return path;
}

/** Remove a file (a relative key, checked like a write) and then the directories that leaves empty, up to (not including) the root. */
export async function removeLocal(dir: string, key: string): Promise<void> {
  const path = await safeLocalPath(dir, key, { create: false });
  try {
    await unlink(path);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw err;
  }
  let parent = dirname(path);
  while (relative(dir, parent) !== '' && !relative(dir, parent).startsWith('..')) {
    try {
      await rmdir(parent);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    parent = dirname(parent);
  }
}
