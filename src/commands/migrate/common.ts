import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { RefusedError, UsageError } from '../../core/errors.js';
import { parseRunbook } from '../../core/runbook-parse.js';
import type { Runbook } from '../../core/runbook-schema.js';
import { acceptChanges, diffRunbook, emptyState, recordOf, runbookHash, stepHashes, type RunbookDiff, type RunbookState } from '../../core/runbook-state.js';
import type { HeldLock } from '../../fs/file-lock.js';
import { fixturesDir } from '../../nix/paths.js';
import { discoverRepo } from '../../nix/repo.js';
import { runbookStore, type RunbookStore } from '../../nix/runbook-store.js';
import { ensureSandboxRepo } from '../../nix/sandbox-repo.js';
import { shellWords } from '../../core/runbook-view.js';
import { describeChanges as describeDiff } from '../../ui/migrate-text.js';
import type { Context } from '../../cli/context.js';
import { readRegularFileSync } from '../../fs/regular-file.js';

// What every `claw migrate` subcommand starts with: the runbook file read and validated,
// its hash, where its state lives, and the state as last written.

const MAX_RUNBOOK_BYTES = 1024 * 1024;

export interface LoadedRunbook {
  rb: Runbook;
  hash: string;
  /** Absolute path. */
  file: string;
  /** As the operator wrote it (for hints they can paste). */
  shown: string;
  /** Relative `cwd`s of steps start here. */
  baseDir: string;
  /** On the sandbox, when the runbook's own folder is in no clawdinators repo: the steps run in the sandbox's repo instead. */
  rehomed: boolean;
  store: RunbookStore;
  state: RunbookState | undefined;
  /** The runbook changed since the state was written (hash differs). */
  changed: boolean;
  diff: RunbookDiff | undefined;
}

export async function loadRunbook(ctx: Context, fileArg: string | undefined): Promise<LoadedRunbook> {
  if (fileArg === undefined || fileArg.trim() === '')
    throw new UsageError('missing the runbook file', 'e.g. claw migrate plan fixtures/runbooks/orchestrator-to-vm.yaml');
  const file = resolve(ctx.io.cwd, fileArg);
  const shown = relative(ctx.io.cwd, file).startsWith('..') ? file : relative(ctx.io.cwd, file) || file;
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      `runbook ${fileArg}: ${err.code === 'ENOENT' ? 'no such file' : `cannot read (${err.code ?? err.message})`}`,
      'pass the path of a runbook YAML file',
    );
  });
  if (!info.isFile()) throw new UsageError(`runbook ${fileArg}: not a file`, 'pass the path of a runbook YAML file');
  if (info.size > MAX_RUNBOOK_BYTES) throw new UsageError(`runbook ${fileArg}: larger than 1 MiB`, 'a runbook is a plan, not data');
  // The checks above were on the path; this one is on what is read (a FIFO swapped in since never blocks).
  const text = readRegularFileSync(file, { what: 'runbook', maxBytes: MAX_RUNBOOK_BYTES });
  const rb = parseRunbook(text, shown);
  const hash = runbookHash(text);
  const store = runbookStore(file, rb.name, ctx.home, { sandbox: ctx.sandbox });
  const state = await store.load();
  const changed = state !== undefined && state.hash !== hash;
  const base = baseDirOf(ctx, file);
  return { rb, hash, file, shown, ...base, store, state, changed, diff: changed ? diffRunbook(state, stepHashes(rb)) : undefined };
}

/**
 * Relative `cwd`s start in the runbook's folder. On the sandbox, a runbook that lives in
 * no clawdinators repo (the sample in claw's own fixtures/runbooks/, written to live in
 * one as runbooks/<file>) runs as if it lived in the sandbox's repo: its runbooks/ folder.
 */
function baseDirOf(ctx: Context, file: string): { baseDir: string; rehomed: boolean } {
  const own = dirname(file);
  if (!ctx.sandbox || discoverRepo(own) !== undefined) return { baseDir: own, rehomed: false };
  const repo = ensureSandboxRepo(ctx.home, fixturesDir('clawdinators'));
  const inRepo = join(repo.root, 'runbooks');
  return { baseDir: existsSync(inRepo) ? inRepo : repo.root, rehomed: true };
}

/** `claw [--sandbox] migrate <verb> <file> ...` as the operator can paste it. */
export function migrateCommand(ctx: Context, verb: string, shown: string, ...rest: string[]): string {
  return shellWords(['claw', ...(ctx.sandbox ? ['--sandbox'] : []), 'migrate', verb, shown, ...rest]);
}

/** The state to act on: a fresh one, or the stored one (refused when the runbook changed, unless accepted). */
export function currentState(ctx: Context, l: LoadedRunbook, state: RunbookState | undefined, accept: boolean | undefined): RunbookState {
  if (!state) return emptyState(l.rb, { file: l.file, hash: l.hash, now: ctx.now() });
  if (state.hash === l.hash) return state;
  const diff = diffRunbook(state, stepHashes(l.rb));
  if (!accept) {
    const elsewhere = state.file !== l.file ? ` (that state was written for ${state.file}: two runbooks named ${l.rb.name}?)` : '';
    throw new RefusedError(
      `${l.shown} changed since its state was written (${describeDiff(diff)})${elsewhere}; nothing was run`,
      `review the change (${migrateCommand(ctx, 'status', l.shown)} lists it), then pass --accept-changes: done steps stay done, removed steps are forgotten, new steps run when reached`,
    );
  }
  ctx.log.warn(`accepting the changed runbook (${describeDiff(diff)})`);
  for (const id of diff.changed) {
    if (recordOf(state, id).status === 'done') ctx.log.warn(`step ${id} changed after it ran; it stays done (--restart --phase P runs a phase again)`);
  }
  return acceptChanges(l.rb, state, { hash: l.hash, file: l.file, now: ctx.now() });
}

/** Run `body` holding the runbook's lock, with the state re-read under it. */
export async function withRunbookLock<T>(ctx: Context, l: LoadedRunbook, command: string, body: (stored: RunbookState | undefined) => Promise<T>): Promise<T> {
  const lock: HeldLock = await l.store.lock({ command, now: ctx.now(), warn: (line) => ctx.log.warn(line) });
  try {
    return await body(await l.store.load());
  } finally {
    await lock.release();
  }
}

/** Ask (or --yes); without a terminal and without --yes: refused, exit 3. */
