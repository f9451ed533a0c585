import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ClawError } from '../../core/errors.js';
import { fail, ok, warn, type CheckResult } from '../../core/doctor.js';
import type { Registry } from '../../core/registry.js';
import { SECRETS_PATH } from '../../nix/bundle.js';
import { ToolMissingError, run } from '../../nix/exec.js';
import { isClean } from '../../nix/git.js';
import { isCheckoutRoot, resolveRev } from '../../nix/rev.js';
import { TOFU_INSTALL_HINT } from '../../nix/tofu.js';

// The doctor's checks on this machine: the repo's files, the tools, the git checkout.

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Every registered host has its nix/hosts/<host>.nix. */
export async function checkRegistry(registry: Registry, root: string): Promise<CheckResult> {
  const missing: string[] = [];
  for (const h of registry.hosts) if (!(await exists(join(root, 'nix', 'hosts', `${h.host}.nix`)))) missing.push(`nix/hosts/${h.host}.nix`);
  if (missing.length)
    return fail(
      'registry',
      `${registry.file}: ${missing.length} host config(s) missing: ${missing.join(', ')}`,
      'add the host config, or remove the host from the registry',
    );
  return ok('registry', `${registry.file}: ${registry.hosts.length} hosts, each with its nix/hosts/<host>.nix`);
}

/** Names of files in nix/age-secrets/ (none when the folder is not there): names only, never contents. */
async function localSecretNames(root: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(join(root, SECRETS_PATH)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw err;
  }
}

/**
 * Each host's Discord token and every required secret is in nix/age-secrets/ or in
 * s3://<bucket>/age-secrets/ (listed only when something is missing locally).
 */
export async function checkSecrets(
  registry: Registry,
  root: string,
  required: readonly string[],
  remote: { where: string; names: () => Promise<string[]> },
): Promise<CheckResult> {
  const wanted = new Map<string, string>(); // file -> who needs it
  for (const h of registry.hosts) wanted.set(`${h.discordTokenSecret}.age`, h.host);
  for (const r of required) wanted.set(`${r}.age`, 'bootstrapRequiredSecrets');
  const local = await localSecretNames(root);
  let missing = [...wanted.keys()].filter((f) => !local.has(f));
  if (missing.length) {
    const inS3 = new Set(await remote.names());
    missing = missing.filter((f) => !inS3.has(f));
  }
  if (missing.length) {
    return fail(
      'secrets',
      `missing in ${SECRETS_PATH}/ and ${remote.where}: ${missing.map((f) => `${f} (${wanted.get(f)})`).join(', ')}`,
      `add the age-encrypted file to ${SECRETS_PATH}/ or ${remote.where}`,
    );
  }
  return ok('secrets', `all ${wanted.size} secrets found (${registry.hosts.length} host tokens, ${required.length} required)`);
}

/** The tool runs (`<tool> --version`); a missing one is a failure with the install hint. */
export async function checkTool(tool: string, bin: string, o: { pkg?: string; hint?: string; signal?: AbortSignal }): Promise<CheckResult> {
  const id = `tool:${tool}`;
  try {
    const { stdout } = await run(bin, ['--version'], { ...(o.pkg ? { pkg: o.pkg } : {}), ...(o.signal ? { signal: o.signal } : {}), timeoutMs: 20_000 });
    return ok(id, `${tool}: ${stdout.split('\n')[0]!.trim() || 'present'}`);
  } catch (err) {
    if (err instanceof ToolMissingError) return fail(id, `${tool}: \`${bin}\` not found on PATH`, o.hint ?? err.hint ?? `install ${tool}`);
    throw err;
  }
}

/** tofu is needed only where claw replace is set up: the repo has the infra folder. */
export async function checkTofu(root: string, infraDir: string, bin: string, signal?: AbortSignal, sandbox = false): Promise<CheckResult> {
  if (!(await exists(join(root, infraDir)))) {
    return ok(
      'tool:tofu',
      sandbox
        ? `tofu: not needed (no ${infraDir} in the repo: claw replace simulates it against the sandbox account)`
        : `tofu: not needed (no ${infraDir} in the repo, so no claw replace)`,
    );
  }
  return checkTool('tofu', bin, { hint: TOFU_INSTALL_HINT, ...(signal ? { signal } : {}) });
}

/** The checkout is clean and HEAD is on the remote (the hosts fetch the rev from there). */
export async function checkRepo(root: string, signal?: AbortSignal): Promise<CheckResult> {
  const opts = signal ? { signal } : {};
  if (!(await isCheckoutRoot(root, opts))) {
    return warn('repo', `${root} is not a git checkout`, 'deploy from the clawdinators checkout (or --repo DIR), or pass --rev <full sha>');
  }
  const [clean, rev] = await Promise.all([
    isClean(root, opts),
    resolveRev(root, undefined, opts).then(
      (r) => ({ r }),
      (err: unknown) => {
        if (err instanceof ClawError) return { refused: err };
        throw err;
      },
    ),
  ]);
  const dirty = clean ? '' : ' (uncommitted changes are not deployed)';
  if ('refused' in rev) return fail('repo', `${rev.refused.message}${dirty}`, rev.refused.hint ?? 'push HEAD to the remote');
  const where = rev.r.remote.checked ? `on ${rev.r.remote.name} ${rev.r.remote.ref}` : rev.r.remote.why;
  const line = `HEAD ${rev.r.sha.slice(0, 12)} ${where}`;
  if (!clean) return warn('repo', `${line}${dirty}`, 'commit and push, or stash, before a deploy');
  return ok('repo', `${line}, working tree clean`);
}
