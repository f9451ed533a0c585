// nix evaluation of the clawdinators flake. Every argument is validated before it
// reaches argv; failures carry nix's own message so callers can report them together.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { RemoteError, InterruptedError, UsageError } from '../core/errors.js';
import { HOSTNAME_RE } from '../core/patterns.js';
import { ExecError, run, stripAnsi, type RunOptions } from './exec.js';

export interface NixOptions extends Pick<RunOptions, 'env' | 'extendEnv' | 'signal' | 'log' | 'timeoutMs'> {
  /** `--store`: a directory (chroot store) when there is neither a daemon nor root. */
  store?: string;
  /** The nix binary; default `nix` from PATH. */
  nixBin?: string;
}

/** nix could not evaluate one host; `nixMessage` is nix's error text, trimmed. */
export class NixEvalError extends RemoteError {
  constructor(
    readonly host: string,
    readonly nixMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`nix could not evaluate ${host}: ${nixMessage.split('\n')[0] ?? ''}`, undefined, options);
  }
}

export type EvalOutcome = { host: string; drvPath: string } | { host: string; error: NixEvalError };

// Debian's nix-bin ships flakes as experimental; nix 2.8 needs both features named.
const FEATURES = ['--extra-experimental-features', 'nix-command flakes'] as const;
// nix (2.8) neither percent-decodes nor accepts these in a flake URL: refuse the rest.
const SAFE_PATH_RE = /^[A-Za-z0-9._+@,=~/-]+$/;
const ATTR_RE = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

export async function nixAvailable(opts: NixOptions = {}): Promise<boolean> {
  try {
    await run(opts.nixBin ?? 'nix', ['--version'], { ...opts, pkg: 'nix-bin' });
    return true;
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    return false;
  }
}

/**
 * `git+file:` when the directory is itself a git checkout (so `self.rev` is set and
 * only tracked files count, as on the hosts); `path:` otherwise. Never a bare path:
 * nix would walk up to an enclosing repo and ignore files it does not track.
 */
export function flakeRef(repoDir: string): string {
  const dir = resolve(repoDir);
  if (!isAbsolute(dir) || !SAFE_PATH_RE.test(dir)) {
    throw new UsageError(`repo path ${JSON.stringify(dir)} has characters a nix flake reference cannot hold`);
  }
  return existsSync(join(dir, '.git')) ? `git+file://${dir}` : `path:${dir}`;
}

/** Evaluate `nixosConfigurations.<host>.<attrPath>` to JSON. */
export async function evalHostJson(repoDir: string, host: string, attrPath: readonly string[], opts: NixOptions = {}): Promise<unknown> {
  if (!HOSTNAME_RE.test(host)) throw new UsageError(`invalid host name ${JSON.stringify(host)}`);
  const bad = attrPath.find((a) => !ATTR_RE.test(a));
  if (bad !== undefined || attrPath.length === 0) throw new UsageError(`invalid nix attribute path ${JSON.stringify(attrPath)}`);
  const installable = `${flakeRef(repoDir)}#${['nixosConfigurations', host, ...attrPath].join('.')}`;
  const args = [
    ...FEATURES,
    ...(opts.store !== undefined ? ['--store', opts.store] : []),
    'eval',
    '--json',
    '--no-write-lock-file', // evaluation never writes into the repo
    installable,
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(opts.nixBin ?? 'nix', args, { ...opts, pkg: 'nix-bin' }));
  } catch (err) {
    if (err instanceof ExecError) throw new NixEvalError(host, nixError(err.stderr) || err.message, { cause: err });
    throw err;
  }
  try {
    return JSON.parse(stdout) as unknown;
  } catch (err) {
    throw new NixEvalError(host, `unparsable output from nix eval: ${stdout.slice(0, 200)}`, { cause: err });
  }
}

export async function evalDrvPath(repoDir: string, host: string, opts: NixOptions = {}): Promise<string> {
  const value = await evalHostJson(repoDir, host, ['config', 'system', 'build', 'toplevel', 'drvPath'], opts);
  if (typeof value !== 'string' || !value.endsWith('.drv')) {
    throw new NixEvalError(host, `expected a .drv path, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * One outcome per host, in order, so a caller reports every failure at once.
 * Sequential: parallel evals contend on nix's SQLite caches (and warn about it).
 */
export async function evalDrvPaths(repoDir: string, hosts: readonly string[], opts: NixOptions = {}): Promise<EvalOutcome[]> {
  const out: EvalOutcome[] = [];
  for (const host of hosts) {
    try {
      out.push({ host, drvPath: await evalDrvPath(repoDir, host, opts) });
    } catch (err) {
      if (!(err instanceof NixEvalError)) throw err;
      out.push({ host, error: err });
    }
  }
  return out;
}

/** nix's message from its first `error:` line, minus the --show-trace advice. */
export function nixError(stderr: string): string {
  const text = stripAnsi(stderr);
  const start = text.search(/^error:/m);
  return (start >= 0 ? text.slice(start) : text)
    .split('\n')
    .filter((l) => !l.startsWith("(use '--show-trace'"))
    .join('\n')
    .trim();
}
