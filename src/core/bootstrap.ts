import { UsageError } from './errors.js';
import { HOSTNAME_RE, SECRET_NAME_RE } from './patterns.js';
import type { HostEntry, Registry } from './registry.js';

// Bootstrap bundles, as pure decisions: which hosts a target names, which secrets go
// into a host's bundle, what a bundle may hold (the same rules before an upload and
// when verifying what is in S3), and the upload plan. Nothing here sees a secret's
// content: only file names, checksums and sizes.

export type BundleKind = 'secrets' | 'repo-seeds';
export const BUNDLE_KINDS: readonly BundleKind[] = ['secrets', 'repo-seeds'];
export const BUNDLE_FILE: Record<BundleKind, string> = { secrets: 'secrets.tar.zst', 'repo-seeds': 'repo-seeds.tar.zst' };
/** The object metadata key holding the hex sha256 of the object's body. */
export const SHA256_METADATA = 'sha256';
export const AGEKEY_FILE = 'clawdinator.agekey';
export const SECRETS_DIR = 'secrets/';
/** Every per-host Discord token is named like this (upstream's rsync exclude). */
export const TOKEN_FILE_RE = /^clawdinator-discord-token-.+\.age$/;
/** Never in a bundle, as in upstream's upload script: the GitHub App key reaches hosts another way. */
export const EXCLUDED_SECRETS: readonly string[] = ['clawdinator-github-app.pem.age'];
/** A secret's file name in a bundle: `<stem>.age`, nothing a shell or a path could misread. */
export const SECRET_FILE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.age$/;

/** What the configuration adds to the rules (config key bootstrapRequiredSecrets: stems, `<stem>.age`). */
export interface BundleRules {
  requiredSecrets: readonly string[];
}

export type ViolationKind =
  | 'missing-agekey'
  | 'missing-own-token'
  | 'foreign-token'
  | 'shared-token'
  | 'missing-required'
  | 'excluded-secret'
  | 'unexpected-entry'
  | 'unsafe-path'
  | 'unsorted'
  | 'duplicate-entry'
  | 'missing-object'
  | 'missing-checksum'
  | 'checksum-mismatch'
  | 'corrupt-archive';
/** One broken rule. `file` is the entry or object at fault: a name, never content. */
export interface Violation {
  bundle: BundleKind;
  kind: ViolationKind;
  file: string;
  message: string;
}

/** An archive entry as read back: name and type only. */
export interface EntryName {
  path: string;
  type: string;
  linkname?: string | null | undefined;
}

/** `all`, a host, or a comma list of hosts, in registry order for `all` and given order otherwise. */
export function parseTarget(raw: string, registry: Registry): HostEntry[] {
  const known = `known hosts: ${registry.hosts.map((h) => h.host).join(', ')}`;
  const target = raw.trim();
  if (target === 'all') return [...registry.hosts];
  if (target === '') throw new UsageError('no target: give a host, a comma list of hosts, or all', known);
  const out: HostEntry[] = [];
  for (const part of target.split(',').map((p) => p.trim())) {
    if (part === '') throw new UsageError(`target "${raw}" has an empty host in its list`, known);
    if (part === 'all') throw new UsageError('"all" cannot be combined with other hosts', known);
    if (!HOSTNAME_RE.test(part)) throw new UsageError(`${JSON.stringify(part.length > 60 ? `${part.slice(0, 60)}...` : part)} is not a host name`, known);
    const entry = registry.hosts.find((h) => h.host === part);
    if (!entry) throw new UsageError(`unknown host "${part}" (not in ${registry.file})`, known);
    if (!out.includes(entry)) out.push(entry);
  }
  return out;
}

export function validateRules(rules: BundleRules): void {
  for (const stem of rules.requiredSecrets) {
    const file = `${stem}.age`;
    const hint = 'bootstrapRequiredSecrets lists secrets every host needs, as file stems (openai-api-key for openai-api-key.age)';
    if (!SECRET_NAME_RE.test(stem) || !SECRET_FILE_RE.test(file)) throw new UsageError(`bootstrapRequiredSecrets: "${stem}" is not a secret name`, hint);
    if (TOKEN_FILE_RE.test(file)) throw new UsageError(`bootstrapRequiredSecrets: ${file} is a per-host Discord token; each host gets only its own`, hint);
    if (EXCLUDED_SECRETS.includes(file)) throw new UsageError(`bootstrapRequiredSecrets: ${file} is never put in a bundle`, hint);
  }
}

/** Byte order of UTF-8 paths (= code point order), the order entries are written in. */
export function comparePaths(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

const tokenFile = (h: HostEntry) => `${h.discordTokenSecret}.age`;

/** The host a token file belongs to, `unknown` for a token-named file of no host, undefined for a plain secret. */
export function tokenOwner(file: string, registry: Registry): string | undefined {
  const owner = registry.hosts.find((h) => tokenFile(h) === file);
  if (owner) return owner.host;
  return TOKEN_FILE_RE.test(file) ? 'unknown' : undefined;
}

export interface SecretSelection {
  /** File names (`<stem>.age`) to put under secrets/, sorted. */
  include: string[];
  skipped: { file: string; reason: 'other-host-token' | 'excluded' | 'not-a-secret-name' }[];
}

/** Every secret but the tokens (only the host's own) and the excluded ones. */
export function selectSecrets(host: HostEntry, registry: Registry, available: readonly string[]): SecretSelection {
  const include: string[] = [];
  const skipped: SecretSelection['skipped'] = [];
  for (const file of [...new Set(available)].sort(comparePaths)) {
    if (!SECRET_FILE_RE.test(file)) skipped.push({ file, reason: 'not-a-secret-name' });
    else if (EXCLUDED_SECRETS.includes(file)) skipped.push({ file, reason: 'excluded' });
    else if (file === tokenFile(host)) include.push(file);
    else if (tokenOwner(file, registry) !== undefined) skipped.push({ file, reason: 'other-host-token' });
    else include.push(file);
  }
  return { include, skipped };
}

function isSafePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  const parts = path.replace(/\/$/, '').split('/');
  return parts.every((p) => p !== '' && p !== '.' && p !== '..');
}

function isSafeLink(entry: EntryName): boolean {
  const link = entry.linkname ?? '';
  if (link === '' || link.startsWith('/')) return false;
  let depth = entry.path.split('/').length - 1;
  for (const p of link.split('/')) {
    if (p === '..') depth--;
    else if (p !== '.' && p !== '') depth++;
    if (depth < 0) return false;
  }
  return true;
}

/** Order, uniqueness and path safety: what every bundle must satisfy. */
function checkShape(bundle: BundleKind, entries: readonly EntryName[]): Violation[] {
  const out: Violation[] = [];
  entries.forEach((e, i) => {
    if (!isSafePath(e.path)) out.push({ bundle, kind: 'unsafe-path', file: e.path, message: `${e.path} is not a safe relative path` });
    else if (e.type === 'symlink' && !isSafeLink(e)) out.push({ bundle, kind: 'unsafe-path', file: e.path, message: `${e.path} links outside the bundle` });
    const prev = entries[i - 1];
    if (prev === undefined) return;
    const c = comparePaths(prev.path, e.path);
    if (c === 0) out.push({ bundle, kind: 'duplicate-entry', file: e.path, message: `${e.path} appears more than once` });
    else if (c > 0) out.push({ bundle, kind: 'unsorted', file: e.path, message: `entries are not sorted (${e.path} after ${prev.path})` });
  });
  return out;
}

/** A host's secrets bundle: the agekey, secrets/*.age, its own token, no other, every required secret. */
export function checkSecretsEntries(host: HostEntry, registry: Registry, rules: BundleRules, entries: readonly EntryName[]): Violation[] {
  const bundle: BundleKind = 'secrets';
  const out = checkShape(bundle, entries);
  const files = new Set<string>();
  for (const e of entries) {
    if (e.path === AGEKEY_FILE && e.type === 'file') continue;
    if (e.path === SECRETS_DIR && e.type === 'directory') continue;
    const name = e.path.startsWith(SECRETS_DIR) ? e.path.slice(SECRETS_DIR.length) : '';
    if (e.type !== 'file' || !SECRET_FILE_RE.test(name)) {
      out.push({ bundle, kind: 'unexpected-entry', file: e.path, message: `${e.path} is neither ${AGEKEY_FILE} nor secrets/<name>.age` });
      continue;
    }
    files.add(name);
    const owner = tokenOwner(name, registry);
    if (name !== tokenFile(host) && owner !== undefined) {
      const whose = owner === 'unknown' ? 'a Discord token of no registered host' : `the Discord token of ${owner}`;
      out.push({ bundle, kind: 'foreign-token', file: e.path, message: `${e.path} is ${whose}, not ${host.host}'s` });
    }
    if (EXCLUDED_SECRETS.includes(name)) out.push({ bundle, kind: 'excluded-secret', file: e.path, message: `${e.path} must never be in a bundle` });
  }
  if (!entries.some((e) => e.path === AGEKEY_FILE && e.type === 'file')) {
    out.push({ bundle, kind: 'missing-agekey', file: AGEKEY_FILE, message: `${AGEKEY_FILE} is missing` });
  }
  const own = `${SECRETS_DIR}${tokenFile(host)}`;
  if (!files.has(tokenFile(host))) out.push({ bundle, kind: 'missing-own-token', file: own, message: `${own} (${host.host}'s own Discord token) is missing` });
  const sharing = registry.hosts.filter((h) => h.host !== host.host && h.discordTokenSecret === host.discordTokenSecret).map((h) => h.host);
  if (sharing.length)
    out.push({ bundle, kind: 'shared-token', file: own, message: `${own} is also the token of ${sharing.join(', ')}; each host needs its own` });
  for (const stem of rules.requiredSecrets) {
    if (!files.has(`${stem}.age`))
      out.push({
        bundle,
        kind: 'missing-required',
        file: `${SECRETS_DIR}${stem}.age`,
        message: `${SECRETS_DIR}${stem}.age (required by bootstrapRequiredSecrets) is missing`,
      });
  }
  return out;
}

/** The repo seeds: shape, and no Discord token of any host (seeds go to every host). */
export function checkSeedsEntries(registry: Registry, entries: readonly EntryName[]): Violation[] {
  const bundle: BundleKind = 'repo-seeds';
  const out = checkShape(bundle, entries);
  for (const e of entries) {
    if (e.type !== 'file' && e.type !== 'directory' && e.type !== 'symlink') {
      out.push({ bundle, kind: 'unexpected-entry', file: e.path, message: `${e.path} is a ${e.type}, not a file, directory or symlink` });
    }
    const owner = tokenOwner(e.path.split('/').pop() ?? '', registry);
    if (owner !== undefined && e.type !== 'directory') {
      out.push({ bundle, kind: 'foreign-token', file: e.path, message: `${e.path} is a Discord token; repo seeds go to every host` });
    }
  }
  return out;
}

/** What S3 holds for a bundle: its sha256 metadata and the sha256 of the bytes it really holds. */
export type RemoteBundle = { exists: false } | { exists: true; sha256: string | undefined; bodySha256: string };
export type BundleAction = 'create' | 'update' | 'unchanged' | 'refused';
export interface BundlePlan {
  bundle: BundleKind;
  key: string;
  sha256: string;
  size: number;
  remoteSha256: string | null;
  action: BundleAction;
  reason: string;
}
export interface HostPlan {
  host: string;
  prefix: string;
  action: 'upload' | 'unchanged' | 'refused';
  bundles: BundlePlan[];
  violations: Violation[];
}

export const bundleKey = (host: HostEntry, bundle: BundleKind) => `${host.bootstrapPrefix.replace(/\/+$/, '')}/${BUNDLE_FILE[bundle]}`;

/**
 * What to do with each of a host's bundles: all refused on any violation, else by what
 * S3 really holds (its bytes, not only the metadata that claims them) against a fresh
 * build; `force` uploads every one again.
 */
export function planHost(
  host: HostEntry,
  local: Record<BundleKind, { sha256: string; size: number }>,
  remote: Record<BundleKind, RemoteBundle>,
  violations: readonly Violation[],
  force = false,
): HostPlan {
  const bundles = BUNDLE_KINDS.map((bundle): BundlePlan => {
    const { sha256, size } = local[bundle];
    const r = remote[bundle];
    const base = { bundle, key: bundleKey(host, bundle), sha256, size, remoteSha256: r.exists ? (r.sha256 ?? null) : null };
    const own = violations.filter((v) => v.bundle === bundle);
    if (violations.length) return { ...base, action: 'refused', reason: own.length ? own.map((v) => v.message).join('; ') : 'the other bundle is refused' };
    if (!r.exists) return { ...base, action: 'create', reason: 'not in S3 yet' };
    if (force) return { ...base, action: 'update', reason: 'forced (--force)' };
    if (r.bodySha256 === sha256 && r.sha256 === sha256) return { ...base, action: 'unchanged', reason: 'same sha256' };
    if (r.bodySha256 !== sha256 && r.sha256 === sha256) return { ...base, action: 'update', reason: "the object's bytes do not match its sha256 metadata" };
    return { ...base, action: 'update', reason: r.sha256 ? 'content changed' : 'the object has no sha256 metadata' };
  });
  const action = violations.length ? 'refused' : bundles.every((b) => b.action === 'unchanged') ? 'unchanged' : 'upload';
  return { host: host.host, prefix: host.bootstrapPrefix, action, bundles, violations: [...violations] };
}

export function planCounts(plans: readonly HostPlan[]): { upload: number; unchanged: number; refused: number } {
  const all = plans.flatMap((p) => p.bundles);
  const n = (...a: BundleAction[]) => all.filter((b) => a.includes(b.action)).length;
  return { upload: n('create', 'update'), unchanged: n('unchanged'), refused: plans.filter((p) => p.action === 'refused').length };
}

/** A bundle as downloaded: absent, unreadable, or its entries; checksums of the body and from the metadata. */
export type Downloaded =
  { exists: false } | { exists: true; bodySha256: string; metadataSha256: string | undefined; entries: readonly EntryName[] | { corrupt: string } };

/** The verdict on what S3 holds: the object, its checksum, a readable archive, then the content rules. */
export function checkDownloaded(bundle: BundleKind, key: string, d: Downloaded, rules: (entries: readonly EntryName[]) => Violation[]): Violation[] {
  if (!d.exists) return [{ bundle, kind: 'missing-object', file: key, message: `${key} is not in S3` }];
  const out: Violation[] = [];
  if (d.metadataSha256 === undefined) out.push({ bundle, kind: 'missing-checksum', file: key, message: `${key} has no ${SHA256_METADATA} metadata` });
  else if (d.metadataSha256 !== d.bodySha256)
    out.push({ bundle, kind: 'checksum-mismatch', file: key, message: `${key}: the body does not match its ${SHA256_METADATA} metadata` });
  if ('corrupt' in d.entries) return [...out, { bundle, kind: 'corrupt-archive', file: key, message: `${key} is not a valid zstd tar (${d.entries.corrupt})` }];
  return [...out, ...rules(d.entries)];
}
