// Child processes for the bench: argv arrays only, a hard timeout each, wall time
// measured around spawn -> close, and a registry so Ctrl-C can end whatever is running.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';

const running = new Set();
const MAX_CAPTURE = 8 * 1024 * 1024;

/**
 * Run argv to completion. Resolves { code, signal, stdout, stderr, ms, timedOut, error };
 * never rejects (a binary that cannot start comes back with `error`).
 */
export function runProcess(argv, { env, cwd, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, signal: null, stdout, stderr, ms: 0, timedOut, error });
      return;
    }
    running.add(child);
    child.stdout.on('data', (d) => {
      if (stdout.length < MAX_CAPTURE) stdout += d;
    });
    child.stderr.on('data', (d) => {
      if (stderr.length < MAX_CAPTURE) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    let spawnError;
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, ms, timedOut, error: spawnError });
    });
  });
}

/** Run several argv lists one after another; the wall time is the whole sequence. */
export async function runSequence(argvs, opts) {
  const start = performance.now();
  const results = [];
  for (const argv of argvs) results.push(await runProcess(argv, opts));
  return { results, ms: performance.now() - start };
}

/** Run several argv lists at once; the wall time is until the last one ends. */
export async function runParallel(argvs, opts) {
  const start = performance.now();
  const results = await Promise.all(argvs.map((argv) => runProcess(argv, opts)));
  return { results, ms: performance.now() - start };
}

/** SIGKILL every child still running (Ctrl-C, fatal error). */
export function killAll() {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** One line describing how a run ended, for error messages. */
export function describeExit(r) {
  if (r.error) return `could not start: ${r.error.message}`;
  if (r.timedOut) return 'timed out (killed)';
  if (r.signal) return `killed by ${r.signal}`;
  const tail = r.stderr.trim().split('\n').slice(-2).join(' | ');
  return `exit ${r.code}${tail ? `: ${tail.slice(0, 300)}` : ''}`;
}
