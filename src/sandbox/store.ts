import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { describeIssue, parseJsonText } from '../core/json-text.js';
import { readTextIfExists, writeJsonAtomic } from '../fs/json-file.js';
import { STATE_VERSION, sandboxState, type SandboxState } from './state.js';

// The state file: `<home>/sandbox/state.json`, written atomically (json-file.ts).

const RESET_HINT = 'run `claw sandbox reset` to reseed the sandbox';

export function sandboxStatePath(home: string): string {
  return join(home, 'sandbox', 'state.json');
}

/** The parsed state, or undefined when the file does not exist yet. */
export async function readState(file: string): Promise<SandboxState | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
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
  await writeJsonAtomic(file, state, 1);
}

export async function removeState(file: string): Promise<void> {
  await rm(file, { force: true });
}
