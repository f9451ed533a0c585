// The NixOS disk image on the local side of `claw ami build`: nix builds it, claw finds
// the image file in the output and hashes it. nix runs through the one exec wrapper.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FORMAT_EXTENSIONS, formatOfFile, type ImageFormat } from '../core/ami-build.js';
import { RemoteError, InterruptedError, UsageError } from '../core/errors.js';
import { HOSTNAME_RE } from '../core/patterns.js';
import { ExecError, run, stripAnsi, type RunOptions } from './exec.js';
import { flakeRef, nixError, type NixOptions } from './nix.js';

export interface ImageBuildOptions extends NixOptions {
  /** `--option NAME VALUE` pairs, e.g. `extra-sandbox-paths` or `substituters`. */
  nixOptions?: Readonly<Record<string, string>>;
  /** Each line nix writes to stderr (progress, `-L` build log), as it arrives. */
  onLine?: (line: string) => void;
}

/** nix could not build the image; `nixMessage` is nix's error text. */
export class NixBuildError extends RemoteError {
  constructor(
    readonly installable: string,
    readonly nixMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`nix could not build ${installable}: ${nixMessage.split('\n')[0] ?? ''}`, 'run the same `nix build` by hand to see the whole log', options);
  }
}

const FEATURES = ['--extra-experimental-features', 'nix-command flakes'] as const;
const ATTR_PATH_RE = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/;
const OPTION_NAME_RE = /^[a-z][a-z0-9-]*$/;

/**
 * The flake attribute to build: the configured one (default
 * `packages.x86_64-linux.clawdinator-image`), or for `--host H` the host's own
 * `nixosConfigurations.H.config.system.build.images.amazon` (NixOS ≥ 25.05's
 * image variants; what `nixos-rebuild build-image --image-variant amazon` builds).
 */
export function imageAttrPath(sel: { host?: string | undefined; imageAttribute: string }): string {
  if (sel.host !== undefined) {
    if (!HOSTNAME_RE.test(sel.host)) throw new UsageError(`invalid host name ${JSON.stringify(sel.host)}`);
    return `nixosConfigurations.${sel.host}.config.system.build.images.amazon`;
  }
  if (!ATTR_PATH_RE.test(sel.imageAttribute)) throw new UsageError(`invalid flake attribute ${JSON.stringify(sel.imageAttribute)}`);
  return sel.imageAttribute;
}

export const imageInstallable = (repoDir: string, attrPath: string): string => `${flakeRef(repoDir)}#${attrPath}`;

function nixArgs(command: string[], installable: string, opts: ImageBuildOptions): string[] {
  const options = Object.entries(opts.nixOptions ?? {}).flatMap(([k, v]) => {
    if (!OPTION_NAME_RE.test(k)) throw new UsageError(`invalid nix option name ${JSON.stringify(k)}`);
    return ['--option', k, v];
  });
  return [...FEATURES, ...(opts.store !== undefined ? ['--store', opts.store] : []), ...options, ...command, '--no-write-lock-file', installable];
}

/** A store path as a file on this machine: a chroot store (`--store DIR`) keeps it under DIR. */
function localPath(storePath: string, opts: NixOptions): string {
  return opts.store !== undefined && !opts.store.includes('://') && !opts.store.includes('?') ? join(opts.store, storePath) : storePath;
}

function firstOutput(stdout: string, installable: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (err) {
    throw new NixBuildError(installable, `unparsable output: ${stdout.slice(0, 200)}`, { cause: err });
  }
  const first = Array.isArray(parsed) ? (parsed[0] as { outputs?: Record<string, unknown>; path?: unknown } | undefined) : undefined;
  const out = first?.outputs?.out ?? first?.path;
  if (typeof out !== 'string' || !out.startsWith('/')) throw new NixBuildError(installable, `no output path in ${stdout.slice(0, 200)}`);
  return out;
}

/**
 * `nix build --no-link --json -L <installable>`: the output's local path. nix 2.8 has
 * no `--print-out-paths`, so the path comes from `--json`; `-L` streams the build log.
 */
export async function buildImage(repoDir: string, attrPath: string, opts: ImageBuildOptions = {}): Promise<string> {
  const installable = imageInstallable(repoDir, attrPath);
  const args = nixArgs(['build', '--no-link', '--json', '-L'], installable, opts);
  let streamed = false;
  // `onStderrLine` streams once exec.ts supports it; until then the lines come at the end.
  const runOpts: RunOptions & { onStderrLine?: (line: string) => void } = {
    ...opts,
    pkg: 'nix-bin',
    onStderrLine: (line) => {
      streamed = true;
      opts.onLine?.(stripAnsi(line));
    },
  };
  try {
    const { stdout, stderr } = await run(opts.nixBin ?? 'nix', args, runOpts);
    if (!streamed) for (const line of stripAnsi(stderr).split('\n').filter(Boolean)) opts.onLine?.(line);
    return localPath(firstOutput(stdout, installable), opts);
  } catch (err) {
    if (err instanceof ExecError) throw new NixBuildError(installable, nixError(err.stderr) || err.message, { cause: err });
    throw err;
  }
}

/** For a dry run: the output's local path when it is already built, else undefined. Never builds. */
export async function builtImageOutput(repoDir: string, attrPath: string, opts: ImageBuildOptions = {}): Promise<string | undefined> {
  const installable = imageInstallable(repoDir, attrPath);
  try {
    const { stdout } = await run(opts.nixBin ?? 'nix', nixArgs(['path-info', '--json'], installable, opts), { ...opts, pkg: 'nix-bin' });
    // nix 2.8 marks only invalid (not built) paths, with `"valid": false`.
    const [info] = JSON.parse(stdout) as { path?: string; valid?: boolean; narHash?: string }[];
    return info?.valid !== false && typeof info?.narHash === 'string' && typeof info.path === 'string' ? localPath(info.path, opts) : undefined;
  } catch (err) {
    if (err instanceof ExecError) throw new NixBuildError(installable, nixError(err.stderr) || err.message, { cause: err });
    if (err instanceof SyntaxError) throw new NixBuildError(installable, 'unparsable output from nix path-info', { cause: err });
    throw err;
  }
}

export interface ImageFile {
  path: string;
  format: ImageFormat;
  size: number;
}

const extensionsOf = (format: ImageFormat | undefined) =>
  (format ? FORMAT_EXTENSIONS[format] : Object.values(FORMAT_EXTENSIONS).flat()).map((e) => `.${e}`).join(', ');

/** Every regular file under `dir` (following store symlinks), skipping `nix-support`. */
async function listFiles(dir: string, depth = 0): Promise<string[]> {
  if (depth > 4) return [];
  const out: string[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    if (entry === 'nix-support') continue;
    const full = join(dir, entry);
    const st = await stat(full).catch(() => undefined);
    if (st?.isDirectory()) out.push(...(await listFiles(full, depth + 1)));
    else if (st?.isFile()) out.push(full);
  }
  return out;
}

/**
 * The one image file in a build output (a file, or a directory holding it). With a
 * format, only its extensions count; without, the single file of any image format
 * decides it. None or several is an error naming what was found.
 */
export async function findImageFile(outPath: string, format?: ImageFormat): Promise<ImageFile> {
  const st = await stat(outPath).catch(() => undefined);
  if (!st) throw new UsageError(`the image build output ${outPath} does not exist`);
  const files = st.isDirectory() ? await listFiles(outPath) : [outPath];
  const matching = files.filter((f) => {
    const fmt = formatOfFile(f);
    return fmt !== undefined && (format === undefined || fmt === format);
  });
  const found = files.length === 0 ? 'nothing' : files.map((f) => (f === outPath ? basename(f) : f.slice(outPath.length + 1))).join(', ');
  const want = format ? `a ${format} image (${extensionsOf(format)})` : `an image (${extensionsOf(undefined)})`;
  if (matching.length !== 1) {
    const other = format && files.map(formatOfFile).find((f) => f !== undefined && f !== format);
    throw new UsageError(
      `${outPath}: expected exactly one file that is ${want}, found ${matching.length === 0 ? '' : `${matching.length} of them among `}${found}`,
      other ? `the output holds a ${other} image: pass --format ${other}` : 'check the image attribute (config imageAttribute) or pass --image PATH',
    );
  }
  const path = matching[0]!;
  return { path, format: formatOfFile(path)!, size: (await stat(path)).size };
}

/** An operator's `--image PATH`: an existing, non-empty file whose extension fits the format. */
export async function checkImageFile(path: string, format?: ImageFormat): Promise<ImageFile> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`--image ${path}: no such file`);
  if (st.size === 0) throw new UsageError(`--image ${path}: the file is empty`);
  const detected = formatOfFile(path);
  if (format === undefined && detected === undefined) {
    throw new UsageError(
      `--image ${path}: cannot tell the image format from the extension`,
      `pass --format raw|vhd|vmdk (extensions ${extensionsOf(undefined)})`,
    );
  }
  if (format !== undefined && detected !== undefined && detected !== format) {
    throw new UsageError(`--image ${path}: the extension says ${detected}, --format says ${format}`, `rename the file or pass --format ${detected}`);
  }
  return { path, format: format ?? detected!, size: st.size };
}

/** sha256 (hex) of a file, streamed, with progress in bytes. */
export async function sha256File(path: string, onProgress?: (done: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024, signal })) {
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      onProgress?.(done);
    }
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError('interrupted while hashing the image');
    throw err;
  }
  return hash.digest('hex');
}

/** sha256 of a small file such as flake.lock, or undefined when it does not exist. */
export async function sha256OfFile(path: string): Promise<string | undefined> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  return bytes && createHash('sha256').update(bytes).digest('hex');
}
