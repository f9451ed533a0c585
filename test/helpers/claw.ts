import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin', 'claw');
export const FIXTURE_REPO = join(ROOT, 'fixtures', 'clawdinators');

export interface ClawResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  nodeArgs?: string[];
  timeoutMs?: number;
  /** Send SIGINT this long after start (Ctrl-C). */
  interruptAfterMs?: number;
}

/** A temp dir to use as $CLAW_HOME (or HOME) for one test. */
export const tempDir = (prefix = 'claw-test-') => mkdtempSync(join(tmpdir(), prefix));

/**
 * Run the built bin/claw as a black box. The environment is minimal and explicit: no
 * AWS_* from the developer's machine leaks in, HOME and CLAW_HOME are temp dirs.
 */
export function runClaw(args: string[], opts: RunOptions = {}): Promise<ClawResult> {
  return spawnClaw(args, opts).done;
}

export interface RunningClaw {
  child: ChildProcessWithoutNullStreams;
  /** What it has printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves once its output satisfies `seen` (checked on each chunk); rejects if it ends first. */
  waitFor(seen: (out: { stdout: string; stderr: string }) => boolean): Promise<void>;
  done: Promise<ClawResult>;
}

/** Start the built bin/claw and hand back the process (to kill it, or to watch its output) and its end. */
export function spawnClaw(args: string[], opts: RunOptions = {}): RunningClaw {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const home = opts.env?.HOME ?? tempDir('claw-home-');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CLAW_HOME: join(home, '.claw'),
    NO_COLOR: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    // claw's own temporary files go where the run's do (removed with them).
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
    cwd: opts.cwd ?? home,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<ClawResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    if (opts.interruptAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs).unref();
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ stdout, stderr, exitCode: code });
    });
  });
  child.stdin.end(opts.input ?? '');
  const waitFor = (seen: (out: { stdout: string; stderr: string }) => boolean) =>
    new Promise<void>((resolveWait, rejectWait) => {
      const check = () => {
        if (!seen({ stdout, stderr })) return false;
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        resolveWait();
        return true;
      };
      if (check()) return;
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      void done.then((r) => rejectWait(new Error(`claw ended (exit ${r.exitCode}) before the awaited output:\n${r.stderr}`)));
    });
  return { child, output: () => ({ stdout, stderr }), waitFor, done };
}
