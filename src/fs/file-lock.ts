import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { RefusedError } from '../core/errors.js';

// One writer at a time for a local state folder: the lock is a file created with O_EXCL
// holding pid, host and time. A lock whose pid is dead on this host is stale (claw was
// killed): it is taken over, and the operator is told. A lock from another host is never
// judged from here.

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface HeldLock {
  file: string;
  release(): Promise<void>;
}

export interface LockOptions {
  command: string;
  now: Date;
  warn(line: string): void;
  /** Tests: another host name, another liveness check. */
  hostname?: string;
  isAlive?: (pid: number) => boolean;
}

/** A lock file younger than this may still be being written by its creator. */
const UNREADABLE_GRACE_MS = 10_000;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is a process group (a runbook step's, pgid = its leader's pid) still alive on this machine? */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseInfo(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string')
      return { pid: v.pid, host: v.host, startedAt: v.startedAt, command: String(v.command ?? '?') };
  } catch {
    // torn or foreign: handled by the caller
  }
  return undefined;
}

const readText = (file: string) => readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));

async function create(file: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** Move a stale lock aside; true when what was moved is exactly the stale lock judged. */
async function takeOver(file: string, staleText: string): Promise<boolean> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const moved = await readText(aside);
  if (moved === staleText) {
    await unlink(aside).catch(() => undefined);
    return true;
  }
  // Another claw took the stale lock over first and we moved its live lock: put it back.
  await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return false;
}

export async function acquireFileLock(file: string, opts: LockOptions): Promise<HeldLock> {
  const host = opts.hostname ?? osHostname();
  const alive = opts.isAlive ?? pidAlive;
  const mine: LockInfo = { pid: process.pid, host, startedAt: opts.now.toISOString(), command: opts.command };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await create(file, text)) {
      return {
        file,
        release: async () => {
          // Only our own lock: never remove one that another claw took over meanwhile.
          if ((await readText(file)) === text) await unlink(file).catch(() => undefined);
        },
      };
    }
    const held = await readText(file);
    if (held === undefined) continue;
    const info = parseInfo(held);
    if (!info) {
      const age =
        Date.now() -
        (await stat(file).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age < UNREADABLE_GRACE_MS) throw new RefusedError(`${file} is being taken by another claw`, 'try again in a moment');
      opts.warn(`removing an unreadable lock file ${file} (left by a claw killed while taking it)`);
      if (await takeOver(file, held)) continue;
      break;
    }
    if (info.host === host && !alive(info.pid)) {
      opts.warn(`removing a stale lock: pid ${info.pid} (${info.command}, since ${info.startedAt}) is no longer running on this host`);
      if (await takeOver(file, held)) continue;
      break;
    }
    const where = info.host === host ? `pid ${info.pid} on this host` : `pid ${info.pid} on host ${info.host}`;
    throw new RefusedError(
      `locked by ${where} since ${info.startedAt} (${info.command})`,
      info.host === host ? 'wait for it to finish' : `wait for it to finish; if that claw is gone, delete ${file}`,
    );
  }
  throw new RefusedError(`${file}: another claw took the lock meanwhile`, 'try again once it has finished');
}
