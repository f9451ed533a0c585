// The one child-process wrapper (DESIGN §2): argv arrays only, never a shell; an
// AbortSignal kills the whole process tree; one debug line per call; typed failures.
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { execaSync as ExecaSyncFn } from 'execa';
import { ClawError, RemoteError, InterruptedError } from '../core/errors.js';

export interface RunOptions {
  cwd?: string;
  /** Merged over the inherited environment unless `extendEnv` is false. */
  env?: Readonly<Record<string, string | undefined>>;
  extendEnv?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  timeoutMs?: number;
  /** Written to stdin; without it stdin is closed so a child can never wait on the terminal. */
  input?: string;
  /** Debian package that provides `cmd`, for the tool-missing hint. */
  pkg?: string;
  /** Each stderr line as it arrives (a long build's progress); stderr is still collected. */
  onStderrLine?: (line: string) => void;
  /** Each stdout line as it arrives; stdout is still collected. */
  onStdoutLine?: (line: string) => void;
  /** The child's pid once it started: it leads its own process group (pgid = pid). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

const TAIL_LINES = 20;
/** SIGTERM first; SIGKILL the group if it is still there after this long. */
const FORCE_KILL_MS = 2000;

/** A local tool ran and failed (non-zero exit, signal, timeout). */
export class ExecError extends RemoteError {
  constructor(
    message: string,
    readonly command: string,
    /** The child's exit code (not claw's): undefined when killed by a signal. */
    readonly childExitCode: number | undefined,
    readonly signal: string | undefined,
    /** Last lines of the child's stderr. */
    readonly stderrTail: string,
    /** All of it, for callers that parse a tool's own error text. */
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

/** The binary is not on PATH (ENOENT). */
export class ToolMissingError extends ClawError {
  readonly exitCode = 1;
  constructor(
    readonly tool: string,
    pkg?: string,
  ) {
    super(`\`${tool}\` not found on PATH`, pkg ? `install it, e.g. \`sudo apt-get install ${pkg}\`` : `install ${tool} and make sure it is on PATH`);
  }
}

/** Quote only what needs it: the log line is for humans, never re-executed. */
export function displayCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

export function tail(text: string, lines = TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The line worth showing: the first `error:` line, else the last non-empty one. */
export function keyLine(stderr: string): string | undefined {
  const lines = stripAnsi(stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => /^(error|fatal):/i.test(l)) ?? lines.at(-1);
  return line && line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const shown = displayCommand(cmd, args);
  if (opts.signal?.aborted) throw new InterruptedError(`interrupted before \`${cmd}\` started`);
  // Lazy: the CLI must not load execa at start-up.
  const { execa } = await import('execa');
  const started = performance.now();
  // killDescendants: the child leads a process group of its own, and a stop (Ctrl-C,
  // timeout) signals that whole group, never leaving a grandchild running.
  const child = execa(cmd, [...args], {
    shell: false,
    reject: false,
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    cancelSignal: opts.signal,
    killDescendants: true,
    forceKillAfterDelay: FORCE_KILL_MS,
    timeout: opts.timeoutMs,
    ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
    ...(opts.onStderrLine && {
      stderr: [
        'pipe',
        function* (line: unknown) {
          opts.onStderrLine!(String(line));
          yield line;
        },
      ] as const,
    }),
    ...(opts.onStdoutLine && {
      stdout: [
        'pipe',
        function* (line: unknown) {
          opts.onStdoutLine!(String(line));
          yield line;
        },
      ] as const,
    }),
    stripFinalNewline: true,
  });
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  const result = await child;
  const durationMs = Math.round(performance.now() - started);
  const outcome = result.failed ? (result.exitCode !== undefined ? `exit ${result.exitCode}` : (result.signal ?? result.code ?? 'failed')) : 'exit 0';
  opts.log?.(`exec ${shown} (${outcome}, ${durationMs} ms)`);

  if (!result.failed) return { stdout: result.stdout, stderr: result.stderr, durationMs };
  if (result.code === 'ENOENT') {
    // spawn reports a missing cwd as ENOENT too: do not blame the tool for it.
    if (opts.cwd !== undefined && !(await exists(opts.cwd))) {
      throw new ExecError(`cannot run \`${cmd}\`: directory ${opts.cwd} does not exist`, shown, undefined, undefined, '', '');
    }
    throw new ToolMissingError(cmd, opts.pkg);
  }
  if (result.isCanceled) throw new InterruptedError(`interrupted: \`${cmd}\` was stopped`);
  const stderr = result.stderr ?? '';
  const stderrTail = tail(stderr);
  const why = result.timedOut
    ? `timed out after ${opts.timeoutMs} ms`
    : result.exitCode !== undefined
      ? `failed with exit code ${result.exitCode}`
      : result.signal !== undefined
        ? `was killed by ${result.signal}`
        : `could not start (${result.code ?? result.originalMessage ?? 'unknown error'})`;
  const line = keyLine(stderr);
  throw new ExecError(`\`${cmd}\` ${why}${line ? `: ${line}` : ''}`, shown, result.exitCode, result.signal, stderrTail, stderr, {
    cause: result,
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

type ExecaSync = typeof ExecaSyncFn;

/**
 * The same rules, synchronously: for the few one-time steps that run while the context
 * is built (seeding the sandbox's sample repo). Throws ExecError or ToolMissingError.
 */
export function runSync(cmd: string, args: readonly string[], opts: Pick<RunOptions, 'cwd' | 'env' | 'log'> = {}): string {
  // Loaded here, not at start-up (Node 22 requires an ES module synchronously).
  const { execaSync } = createRequire(import.meta.url)('execa') as { execaSync: ExecaSync };
  const result = execaSync(cmd, [...args], {
    shell: false,
    reject: false,
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    stdin: 'ignore',
    stripFinalNewline: true,
  });
  opts.log?.(`exec ${displayCommand(cmd, args)} (${result.failed ? (result.exitCode ?? result.code ?? 'failed') : 'exit 0'})`);
  if (!result.failed) return String(result.stdout);
  if (result.code === 'ENOENT') throw new ToolMissingError(cmd);
  const stderr = String(result.stderr ?? '');
  throw new ExecError(
    `\`${cmd}\` failed${result.exitCode !== undefined ? ` with exit code ${result.exitCode}` : ''}: ${keyLine(stderr) ?? ''}`,
    displayCommand(cmd, args),
    result.exitCode,
    result.signal,
    tail(stderr),
    stderr,
  );
}
