import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';

// Files claw reads are opened without blocking and kept only when they are regular
// files: a FIFO put in a file's place (or a link to /dev/zero) would otherwise hang a
// read forever or fill memory. The check is on the open descriptor (fstat), so what is
// checked is what is read.

/** What a path turned out to be, for the one line that refuses it. */
export function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
    this.name = 'NotRegularFileError';
  }
}

const flags = (follow: boolean) => constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW);

/** Open for reading only a regular file (a symlink is followed unless `follow: false`, then ELOOP). */
export async function openRegular(path: string, o: { follow?: boolean } = {}): Promise<{ handle: FileHandle; stats: Stats }> {
  const handle = await open(path, flags(o.follow ?? true));
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotRegularFileError(path, fileKind(stats));
    return { handle, stats };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * A small input file (registry, config, runbook, state) read whole, synchronously: a
 * regular file of at most `maxBytes`, else a UsageError naming `what` and the limit.
 */
export function readRegularFileSync(path: string, o: { what: string; maxBytes: number }): string {
  let fd: number;
  try {
    fd = openSync(path, flags(true));
  } catch (err) {
    throw Object.assign(err as Error, { path });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${o.what} ${path} is ${fileKind(st)}, not a regular file`, 'point claw at the real file');
    if (st.size > o.maxBytes) throw new UsageError(`${o.what} ${path} is ${st.size} bytes, more than claw reads (${o.maxBytes})`, 'is this the right file?');
    const buf = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, buf, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
