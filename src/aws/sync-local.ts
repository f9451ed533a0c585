import { createReadStream, type Dirent } from 'node:fs';
import { lstat, readdir, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { ContentHasher, type ContentDigest } from '../core/etag.js';
import type { EventSink } from '../core/events.js';
import { mapBounded } from '../core/pool.js';
import { isPartialName } from '../core/sync-location.js';
import { compareUtf8, type SyncEntry } from '../core/sync-plan.js';
import { escapeField } from '../core/terminal-text.js';

// The local side of a sync: list a directory tree as keys, hash a file in one pass,
// delete files. Symlinks are not followed (a link out of the tree would sync what the
// operator never meant to), and claw's own temporary download files are never keys.

export interface LocalListing {
  exists: boolean;
  entries: SyncEntry[];
  /** Keys (and "dir/" prefixes) not listed: symlinks and special files. */
  skipped: string[];
  /** Temporary files a killed download left behind (relative paths). */
  stalePartials: string[];
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
export async function listLocal(dir: string, o: { concurrency: number; events?: EventSink | undefined }): Promise<LocalListing> {
  const out: LocalListing = { exists: true, entries: [], skipped: [], stalePartials: [] };
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new UsageError(`${dir} is not a directory`, 'a local sync side is a directory; give its path');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (codeOf(err) === 'ENOENT') return { ...out, exists: false };
    throw unreadable(dir, err);
  }
  const keyOf = (path: string) => relative(dir, path).split(sep).join('/');
  const walk = async (path: string): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(path, { withFileTypes: true });
    } catch (err) {
      throw unreadable(path, err);
    }
    // Name order: warnings and stale files come out the same on every filesystem.
    dirents.sort((a, b) => compareUtf8(a.name, b.name));
    const files: string[] = [];
    const subdirs: string[] = [];
    for (const d of dirents) {
      const full = join(path, d.name);
      const key = keyOf(full);
      if (isPartialName(d.name) && d.isFile()) out.stalePartials.push(key);
      else if (d.isDirectory()) subdirs.push(full);
      else if (d.isFile()) files.push(full);
      else {
        // A link may point at a directory: protect both the key and everything under it.
        out.skipped.push(key, `${key}/`);
        const what = d.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file';
        o.events?.emit({ type: 'warning', message: `skipped ${escapeField(full)}: ${what}` });
      }
    }
    const entries = await mapBounded(files, o.concurrency, async (full) => {
      try {
        const st = await lstat(full);
        return { key: keyOf(full), size: st.size, lastModified: st.mtime };
      } catch (err) {
        throw unreadable(full, err);
      }
    });
    out.entries.push(...entries);
    for (const sub of subdirs) await walk(sub);
  };
  await walk(dir);
  return out;
}

/** Files up to this size are hashed from one readFile (cheaper than a stream for many small files). */
const READ_WHOLE = 4 * 1024 * 1024;

/** The multipart ETag for each part size (or with none, the whole MD5), in one read of the file (of about `size` bytes). */
export async function hashFile(path: string, size: number, partSizes: readonly number[]): Promise<ContentDigest> {
  const hasher = new ContentHasher(partSizes, { md5: partSizes.length === 0, sha256: false });
  if (size <= READ_WHOLE) hasher.update(await readFile(path));
  else for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) hasher.update(chunk);
  return hasher.digest();
}

/** Remove files (relative keys) and then the directories that leaves empty, up to (not including) the root. */
export async function removeLocal(dir: string, key: string): Promise<void> {
  try {
    await unlink(localPath(dir, key));
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw err;
  }
  let parent = dirname(localPath(dir, key));
  while (relative(dir, parent) !== '' && !relative(dir, parent).startsWith('..')) {
    try {
      await rmdir(parent);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    parent = dirname(parent);
  }
}
