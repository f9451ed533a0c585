import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** $CLAW_HOME, default ~/.claw: claw's local state (sandbox account, journals). */
export function clawHome(env: Record<string, string | undefined>): string {
  return env.CLAW_HOME && env.CLAW_HOME !== '' ? env.CLAW_HOME : join(homedir(), '.claw');
}

export const fixturesDir = (...parts: string[]) => join(packageRoot(), 'fixtures', ...parts);
