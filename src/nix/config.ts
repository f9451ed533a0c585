import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, resolveConfig, type ConfigKey, type ResolvedConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import type { RepoInfo } from './repo.js';

/** Read claw.config.json at the repo root (when present) and resolve flags > env > file > defaults. */
export function loadConfig(opts: {
  repo: RepoInfo | undefined;
  flags: Partial<Record<ConfigKey, string>>;
  env: Record<string, string | undefined>;
}): ResolvedConfig {
  let file: { text: string; path: string } | undefined;
  if (opts.repo) {
    const path = join(opts.repo.root, CONFIG_FILE);
    if (existsSync(path)) {
      try {
        file = { text: readRegularFileSync(path, { what: 'the config file', maxBytes: 1024 * 1024 }), path: CONFIG_FILE };
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`${CONFIG_FILE}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  return resolveConfig({ flags: opts.flags, env: opts.env, ...(file ? { file } : {}) });
}
