import { z } from 'zod';
import { UsageError } from './errors.js';
import { describeIssue, parseJsonText } from './json-text.js';
import { HOSTNAME_RE, INSTANCE_TYPE_RE, S3_PREFIX_RE, SECRET_NAME_RE } from './patterns.js';

/** One host of nix/instances.json. `id` is its key in the file (equal to `host`). */
export interface HostEntry {
  id: string;
  host: string;
  instanceType: string;
  bootstrapPrefix: string;
  discordTokenSecret: string;
}

export interface Registry {
  /** Path as shown to the user (relative to the repo root). */
  file: string;
  hosts: HostEntry[];
}

const entrySchema = z.object({
  host: z.string().regex(HOSTNAME_RE, "is not a valid hostname (lower-case letters, digits and '-', 1 to 63 characters)"),
  instanceType: z.string().regex(INSTANCE_TYPE_RE, 'is not an EC2 instance type (like t3.large)'),
  bootstrapPrefix: z.string().regex(S3_PREFIX_RE, 'is not a safe S3 prefix (like bootstrap/<host>)'),
  discordTokenSecret: z.string().regex(SECRET_NAME_RE, 'is not a secret name (like clawdinator-discord-token-1)'),
});

const FIX = 'fix nix/instances.json: { "<host>": { "host", "instanceType", "bootstrapPrefix", "discordTokenSecret" } }';

/**
 * Parse and validate the registry text. Every problem is one UsageError line naming
 * file and entry. Duplicate hosts can only appear as duplicate keys (each key must
 * equal its host), which parseJsonText reports with their line.
 */
export function parseRegistry(text: string, file: string): Registry {
  const raw = parseJsonText(text, file, FIX);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`${file}: expected an object of hosts keyed by host name`, FIX);
  }
  const hosts: HostEntry[] = [];
  for (const [id, value] of Object.entries(raw)) {
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      const { path, message } = describeIssue(first);
      const field = path ? `field "${path}" ` : '';
      throw new UsageError(`${file}: entry "${id}": ${field}${message}`, FIX);
    }
    const entry = parsed.data;
    if (entry.host !== id) {
      throw new UsageError(`${file}: entry "${id}": key differs from its host "${entry.host}"`, 'make each key equal to its "host"');
    }
    hosts.push({ id, ...entry });
  }
  if (hosts.length === 0) throw new UsageError(`${file}: no hosts`, FIX);
  return { file, hosts };
}

/** The entry for a host name, or a UsageError naming the known hosts. */
export function findHost(registry: Registry, name: string): HostEntry {
  const entry = registry.hosts.find((h) => h.host === name);
  if (!entry) {
    const known = registry.hosts.map((h) => h.host).join(', ');
    throw new UsageError(`unknown host "${name}" (not in ${registry.file})`, `known hosts: ${known}`);
  }
  return entry;
}
