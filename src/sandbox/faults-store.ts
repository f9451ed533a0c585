import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { describeIssue, parseJsonText } from '../core/json-text.js';
import { readTextIfExists, writeJsonAtomic } from '../fs/json-file.js';

// Fault injection settings of the sandbox account: `<home>/sandbox/faults.json`, beside
// state.json but never inside it, so resetting faults never touches the account and the
// account's state never carries a test knob. No file: no faults.

export const FAULTS_VERSION = 1;
/** The SDK's tries per request in claw (config maxAttempts default). */
export const DEFAULT_FAULT_ATTEMPTS = 5;
export const DEFAULT_FAULT_RATE = 0.2;
export const MAX_FAULT_ATTEMPTS = 20;
export const MAX_FAULT_SEED = 0xffff_ffff;

export const faultSettings = z.strictObject({
  version: z.literal(FAULTS_VERSION),
  /** The chance that one try of an AWS call fails, in (0, 1]. */
  rate: z.number().gt(0).max(1),
  seed: z.number().int().min(0).max(MAX_FAULT_SEED),
  /** Tries per call, as the SDK's retry loop makes them; the call fails only when all do. */
  attempts: z.number().int().min(1).max(MAX_FAULT_ATTEMPTS),
  /** Processes that made a call so far: the next one draws its faults as run `runs`. */
  runs: z.number().int().min(0),
});
export type FaultSettings = z.infer<typeof faultSettings>;

const FIX = 'run `claw sandbox faults --off` (or `claw sandbox reset`) to clear it';

export const sandboxFaultsPath = (home: string): string => join(home, 'sandbox', 'faults.json');

/** The settings, or undefined when fault injection is off (no file). */
export async function readFaults(file: string): Promise<FaultSettings | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const parsed = faultSettings.safeParse(parseJsonText(text, file, FIX));
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0]!);
    throw new UsageError(`${file}: invalid sandbox fault settings: ${path ? `${path}: ` : ''}${message}`, FIX);
  }
  return parsed.data;
}

/** Written to a temp file and renamed, so a reader never sees half of it. */
export async function writeFaults(file: string, settings: FaultSettings): Promise<void> {
  await writeJsonAtomic(file, faultSettings.parse(settings));
}

export async function removeFaults(file: string): Promise<boolean> {
  const existed = await readFile(file).then(
    () => true,
    () => false,
  );
  await rm(file, { force: true });
  return existed;
}

/**
 * Take the next run number: read, increment, write. Two processes starting at the same
 * instant may draw the same run (the same faults); that only weakens the variety, never
 * the guarantees.
 */
export async function takeRun(file: string): Promise<FaultSettings | undefined> {
  const current = await readFaults(file);
  if (!current) return undefined;
  await writeFaults(file, { ...current, runs: current.runs + 1 });
  return current;
}
