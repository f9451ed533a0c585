import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { parseRegistry, type Registry } from '../core/registry.js';
import { readRegularFileSync } from '../fs/regular-file.js';

export const REGISTRY_PATH = join('nix', 'instances.json');

export interface RepoInfo {
  root: string;
  /** How the repo was found: by --repo, by walking up, or the sandbox's sample repo. */
  via: 'flag' | 'discovered' | 'sandbox-fixture';
}

/** Walk up from `start` to the first folder holding nix/instances.json. */
export function discoverRepo(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, REGISTRY_PATH))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function locateRepo(opts: { repoFlag?: string; cwd: string; sandboxFixture?: () => string }): RepoInfo | undefined {
  if (opts.repoFlag !== undefined) {
    const root = resolve(opts.cwd, opts.repoFlag);
    if (!existsSync(join(root, REGISTRY_PATH))) {
      throw new UsageError(`--repo ${opts.repoFlag}: no ${REGISTRY_PATH} there`, 'point --repo at a clawdinators checkout');
    }
    return { root, via: 'flag' };
  }
  const found = discoverRepo(opts.cwd);
  if (found) return { root: found, via: 'discovered' };
  if (opts.sandboxFixture) return { root: opts.sandboxFixture(), via: 'sandbox-fixture' };
  return undefined;
}

/** A registry of thousands of hosts is a few MiB; anything far larger is not one. */
export const REGISTRY_MAX_BYTES = 16 * 1024 * 1024;

/** Read and validate nix/instances.json; every failure is one UsageError line naming the file. */
export function loadRegistry(repo: RepoInfo, cwd: string): Registry {
  const path = join(repo.root, REGISTRY_PATH);
  const shown = relative(cwd, path) || path;
  let text: string;
  try {
    text = readRegularFileSync(path, { what: 'the registry', maxBytes: REGISTRY_MAX_BYTES });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`${shown}: cannot read (${code})`, 'check the file exists and is readable');
  }
  return parseRegistry(text, shown.startsWith('..') ? path : shown);
}

export function requireRepo(repo: RepoInfo | undefined): RepoInfo {
  if (!repo) {
    throw new UsageError(`not in a clawdinators repo: no ${REGISTRY_PATH} here or in any parent folder`, 'cd into the repo, pass --repo DIR, or try --sandbox');
  }
  return repo;
}
