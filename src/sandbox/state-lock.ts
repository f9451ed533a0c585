import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RefusedError } from '../core/errors.js';
import { pidAlive } from '../fs/file-lock.js';

// The sandbox account is one JSON file shared by every claw process on the machine: each
// call reads, changes and writes it under this lock (a file created exclusively, holding
// the pid), so two processes never work on copies of the account that then overwrite
// each other (four deploys at once must see one deploy lock). Calls of one process queue
// behind each other first; a lock whose process is gone is taken over.

/** How long a call waits for another process's call before giving up (calls take milliseconds). */
const WAIT_MS = 30_000;

export interface StateLock {
  /** Run `fn` holding the lock; calls of this process run one at a time. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o600);
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The holder's pid, or undefined while it is still being written (or gone). */
async function holder(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

async function acquire(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const deadline = Date.now() + WAIT_MS;
  for (let wait = 2; ; wait = Math.min(50, wait * 2)) {
    if (await tryCreate(file)) return;
    const pid = await holder(file);
    if (pid !== undefined && pid !== process.pid && !pidAlive(pid)) {
      // A claw killed while it held the lock: its lock goes (only if it is still that one's).
      if ((await holder(file)) === pid) await unlink(file).catch(() => undefined);
      continue;
    }
    // A lock file still empty long after it was made: its writer died between create and write.
    if (pid === undefined && Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? Date.now()) > 5_000) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline)
      throw new RefusedError(
        `the sandbox account is held by another claw (pid ${pid ?? '?'}) for more than ${WAIT_MS / 1000}s`,
        `is that claw stuck? ${file} names it`,
      );
    await sleep(wait);
  }
}

export function stateLock(file: string): StateLock {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = queue
        .catch(() => undefined)
        .then(async () => {
          await acquire(file);
          try {
            return await fn();
          } finally {
            await unlink(file).catch(() => undefined);
          }
        });
      queue = result;
      return result;
    },
  };
}
