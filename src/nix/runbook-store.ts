import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { stateSchema, type RunbookState } from '../core/runbook-state.js';
import { acquireFileLock, type HeldLock, type LockOptions } from '../fs/file-lock.js';
import { readJsonFile, writeJsonAtomic } from '../fs/json-file.js';

// Where a runbook's progress lives: `.claw/runbooks/<name>/` at the root of the git repo
// holding the runbook file (so the state travels with the plan it belongs to), else
// `$CLAW_HOME/runbooks/<name>/`; on the sandbox `$CLAW_HOME/sandbox/runbooks/<name>/`. state.json is written atomically (temp file, fsync,
// rename); logs/<step>.log gets each step's output; `lock` admits one writer.

export interface RunbookStore {
  dir: string;
  stateFile: string;
  lockFile: string;
  logDir: string;
  /** The git repo the state lives in, or undefined for $CLAW_HOME. */
  gitRoot: string | undefined;
  load(): Promise<RunbookState | undefined>;
  save(state: RunbookState): Promise<void>;
  logFile(stepId: string): string;
  lock(opts: LockOptions): Promise<HeldLock>;
}

/** The nearest folder at or above `start` holding `.git` (a folder, or a file for worktrees). */
export function findGitRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * On the sandbox (`sandbox: true`) the progress of every runbook lives in
 * `$CLAW_HOME/sandbox/runbooks/<name>/`: a rehearsal never marks steps done in the repo
 * where the real run will keep its state, and a sandbox reset starts it over.
 */
export function runbookStore(runbookFile: string, name: string, home: string, opts: { sandbox?: boolean } = {}): RunbookStore {
  const gitRoot = opts.sandbox ? undefined : findGitRoot(dirname(resolve(runbookFile)));
  const base = gitRoot ? join(gitRoot, '.claw') : opts.sandbox ? join(home, 'sandbox') : home;
  const dir = join(base, 'runbooks', name);
  const stateFile = join(dir, 'state.json');
  const logDir = join(dir, 'logs');

  const ensureDir = async () => {
    if (gitRoot && !existsSync(base)) {
      // Local progress and logs, not something to commit by accident.
      await mkdir(base, { recursive: true });
      await writeFile(join(base, '.gitignore'), '# claw state and logs (claw migrate)\n*\n', { flag: 'wx' }).catch(() => undefined);
    }
    await mkdir(logDir, { recursive: true });
  };

  return {
    dir,
    stateFile,
    lockFile: join(dir, 'lock'),
    logDir,
    gitRoot,
    async load() {
      let raw: unknown;
      try {
        raw = await readJsonFile(stateFile);
      } catch (err) {
        throw new UsageError(
          `${stateFile}: cannot read the runbook state (${(err as Error).message.split('\n')[0]})`,
          'inspect it; move it away to start the runbook over',
        );
      }
      if (raw === undefined) return undefined;
      const parsed = stateSchema.safeParse(raw);
      if (!parsed.success || parsed.data.name !== name) {
        throw new UsageError(`${stateFile}: not the state of runbook ${name}`, 'inspect it; move it away to start the runbook over');
      }
      return parsed.data;
    },
    async save(state) {
      await ensureDir();
      await writeJsonAtomic(stateFile, state);
    },
    logFile: (stepId) => join(logDir, `${stepId}.log`),
    async lock(opts) {
      await ensureDir();
      return acquireFileLock(join(dir, 'lock'), opts);
    },
  };
}
