import { RefusedError, UsageError } from './errors.js';
import { FULL_SHA_RE, HOSTNAME_RE } from './patterns.js';
import type { Registry } from './registry.js';

// What a deploy may touch: the target (no default), the bot-caller policy and the rev.
// Every name is checked against a strict pattern before anything else looks at it, so
// later code (SSM command text above all) only ever sees validated values.

declare const brand: unique symbol;
/** A host name that matched HOSTNAME_RE. */
export type HostId = string & { readonly [brand]: 'HostId' };
/** A full lower-case 40-hex commit SHA: the only rev form that reaches a host. */
export type FullSha = string & { readonly [brand]: 'FullSha' };
/** A short SHA or ref name as typed for --rev, safe to hand to git as one argv entry. */
export type RevName = string & { readonly [brand]: 'RevName' };

export interface DeployTarget {
  /** True when the operator typed `all`. */
  all: boolean;
  /** Registry order for `all`, typed order (deduplicated) otherwise. */
  hosts: HostId[];
}

const HOST_HINT = "host names are lower-case letters, digits and '-' (1 to 63 characters)";
const TARGET_HINT = 'give `all`, a host id or a comma list of host ids (there is no default)';

/** Quoted for an error line: escapes control characters, bounded length. */
export function shown(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}...` : raw);
}

export function isHostId(raw: string): raw is HostId {
  return HOSTNAME_RE.test(raw);
}

export function asHostId(raw: string, what = 'host'): HostId {
  if (!isHostId(raw)) throw new UsageError(`${what} ${shown(raw)} is not a valid host name`, HOST_HINT);
  return raw;
}

export function isFullSha(raw: string): raw is FullSha {
  return FULL_SHA_RE.test(raw);
}

export function asFullSha(raw: string): FullSha {
  if (!isFullSha(raw)) {
    throw new UsageError(`rev ${shown(raw)} is not a full commit SHA (40 lower-case hex digits)`, 'resolve short SHAs and refs with git first');
  }
  return raw;
}

// A git ref or short SHA: no shell metacharacters, starts alphanumeric (a leading '-'
// would be read by git as an option), none of git's forbidden forms ('..', '//', '/.',
// trailing '.' '/' '.lock'; '@{' '~' '^' ':' are outside the character set).
const REV_NAME_RE = /^(?!.*\.\.)(?!.*\/[/.])(?!.*\.lock$)(?!.*[./]$)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

export type RevInput = { kind: 'sha'; sha: FullSha } | { kind: 'name'; name: RevName };

/** What --rev accepts: a full SHA as is, or a short SHA / ref name for git to resolve. */
export function parseRevInput(raw: string): RevInput {
  const lower = /^[0-9a-fA-F]{40}$/.test(raw) ? raw.toLowerCase() : raw;
  if (isFullSha(lower)) return { kind: 'sha', sha: lower };
  if (!REV_NAME_RE.test(raw)) {
    throw new UsageError(`rev ${shown(raw)} is not a commit SHA or ref name`, 'use a SHA or a branch/tag name (letters, digits, . _ / -)');
  }
  return { kind: 'name', name: raw as RevName };
}

/**
 * Parse `all`, a host id or a comma list against the registry. Order of checks: present,
 * every name well-formed, `all` alone, every name known. Nothing else is looked at
 * before the names are valid.
 */
export function parseDeployTarget(raw: string | undefined, registry: Registry): DeployTarget {
  if (raw === undefined || raw.trim() === '') throw new UsageError('no deploy target', TARGET_HINT);
  const names = raw.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new UsageError(`deploy target ${shown(raw)} has an empty entry`, TARGET_HINT);
  const bad = names.filter((n) => !isHostId(n));
  if (bad.length) {
    throw new UsageError(`deploy target: ${bad.map(shown).join(', ')} ${bad.length > 1 ? 'are not valid host names' : 'is not a valid host name'}`, HOST_HINT);
  }
  const valid = names as HostId[];
  if (valid.includes('all' as HostId)) {
    if (valid.length > 1) throw new UsageError('deploy target: `all` cannot be combined with host ids', TARGET_HINT);
    return { all: true, hosts: registry.hosts.map((h) => h.host as HostId) };
  }
  const known = new Set(registry.hosts.map((h) => h.host));
  const unknown = [...new Set(valid.filter((n) => !known.has(n)))];
  if (unknown.length) {
    throw new UsageError(
      `unknown host${unknown.length > 1 ? 's' : ''} ${unknown.map(shown).join(', ')} (not in ${registry.file})`,
      `known hosts: ${[...known].join(', ')}`,
    );
  }
  return { all: false, hosts: [...new Set(valid)] };
}

/** A bot caller (a host id) may never deploy itself, alone or as part of a list or `all`. */
export function checkCaller(target: DeployTarget, caller: HostId | undefined): void {
  if (caller !== undefined && target.hosts.includes(caller)) {
    throw new RefusedError(`a bot may not deploy itself: target includes caller ${caller}`, 'deploy this host from an operator account or another bot');
  }
}

/** The whole check for `claw deploy <target> [--caller ID]`: syntax of both first, then registry, then policy. */
export function resolveDeployTarget(input: { target: string | undefined; caller?: string | undefined; registry: Registry }): DeployTarget {
  const caller = input.caller === undefined || input.caller === '' ? undefined : asHostId(input.caller, '--caller');
  const target = parseDeployTarget(input.target, input.registry);
  checkCaller(target, caller);
  return target;
}
