import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { describeIssue, parseJsonText } from '../core/json-text.js';
import { STATE_VERSION, sandboxState, type SandboxState } from './state.js';

// The state file: `<home>/sandbox/state.json`, written atomically (temp file in the same
// directory, fsync, rename, fsync of the directory) so a crash never leaves half a file.

const RESET_HINT = 'run `claw sandbox reset` to reseed the sandbox';

export function sandboxStatePath(home: string): string {
  return join(home, 'sandbox', 'state.json');
}

/** The parsed state, or undefined when the file does not exist yet. */
export async function readState(file: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const raw = parseJsonText(text, file, RESET_HINT);
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== STATE_VERSION) {
    throw new UsageError(`${file}: sandbox state version ${JSON.stringify(version)}, this claw reads version ${STATE_VERSION}`, RESET_HINT);
  }
  const parsed = sandboxState.safeParse(raw);
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0]!);
    throw new UsageError(`${file}: invalid sandbox state: ${path ? `${path}: ` : ''}${message}`, RESET_HINT);
  }
  return parsed.data;
}

export async function writeStateAtomic(file: string, state: SandboxState): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 1)}\n`, 'utf8');
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

export async function removeState(file: string): Promise<void> {
  await rm(file, { force: true });
}
