import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';

/** The claw package root (holds package.json and fixtures/), from wherever this code was bundled to. */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'claw') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the claw package root');
    dir = parent;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * $CLAW_HOME, default ~/.claw: claw's local state (sandbox account, journals, locks).
 * It must be a folder claw can write, or one it can create: anything else (a file, a
 * device such as /dev/null, a folder it may not write) is a UsageError naming where the
 * path came from, before any command uses it.
 */
export function clawHome(env: Record<string, string | undefined>): string {
  const fromEnv = env.CLAW_HOME !== undefined && env.CLAW_HOME !== '';
  const home = fromEnv ? resolve(env.CLAW_HOME!) : join(homedir(), '.claw');
  const what = fromEnv ? `CLAW_HOME=${env.CLAW_HOME}` : `claw's home ${home}`;
  const fix = fromEnv ? 'set CLAW_HOME to a folder claw may write (or unset it for ~/.claw)' : 'make it a folder claw may write, or set CLAW_HOME to one';
  // The path itself, or the nearest part of it that exists, decides.
  let at = home;
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      throw new UsageError(`${what} cannot be used (${code ?? 'unreadable'} at ${at})`, fix);
    }
    if (!st.isDirectory()) throw new UsageError(`${what} is not a folder (${at} is ${at === home ? 'a file or device' : 'not a folder'})`, fix);
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
    } catch {
      throw new UsageError(`${what} is not writable (${at})`, fix);
    }
    return home;
  }
}

export const fixturesDir = (...parts: string[]) => join(packageRoot(), 'fixtures', ...parts);
