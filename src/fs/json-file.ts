import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

// claw's own JSON files (the sandbox's state, prune journals, runbook state, config):
// read when present, written atomically (temp file in the same directory, fsync, rename,
// fsync of the directory) so a crash leaves the old file or the new one, never half.

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `indent`: 2 for files people read, 1 for the sandbox's large state. */
export async function writeJsonAtomic(file: string, value: unknown, indent = 2): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, indent)}\n`, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Make the rename itself durable. Not every platform can fsync a directory.
  const dirHandle = await open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}

/** The parsed file, or undefined when it does not exist. */
export async function readJsonFile(file: string): Promise<unknown> {
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : JSON.parse(text);
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
