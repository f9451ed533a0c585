import { describe, expect, it } from 'vitest';
import {
  bundleKey,
  checkDownloaded,
  checkSecretsEntries,
  checkSeedsEntries,
  comparePaths,
  parseTarget,
  planCounts,
  planHost,
  selectSecrets,
  validateRules,
  type EntryName,
  type Violation,
} from '../../src/core/bootstrap.js';
import { UsageError } from '../../src/core/errors.js';
import type { HostEntry, Registry } from '../../src/core/registry.js';

const host = (name: string, token = `clawdinator-discord-token-${name.replace(/^clawdinator-/, '')}`): HostEntry => ({
  id: name,
  host: name,
  instanceType: 't3.large',
  bootstrapPrefix: `bootstrap/${name}`,
  discordTokenSecret: token,
});
const registry: Registry = { file: 'nix/instances.json', hosts: [host('clawdinator-1'), host('clawdinator-2'), host('clawdinator-babelfish')] };
const [h1, h2] = registry.hosts as [HostEntry, HostEntry, HostEntry];
const NO_RULES = { requiredSecrets: [] };

const file = (path: string): EntryName => ({ path, type: 'file' });
const dir = (path: string): EntryName => ({ path, type: 'directory' });
const good = (token = 'clawdinator-discord-token-1'): EntryName[] =>
  [file('clawdinator.agekey'), dir('secrets/'), file(`secrets/${token}.age`), file('secrets/openai-api-key.age')].sort((a, b) => comparePaths(a.path, b.path));
const kinds = (vs: Violation[]) => vs.map((v) => `${v.kind}:${v.file}`);

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseTarget', () => {
  it('all is every host in registry order; a host; a comma list in the given order, deduplicated', () => {
    expect(parseTarget('all', registry).map((h) => h.host)).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish']);
    expect(parseTarget('clawdinator-2', registry)).toEqual([h2]);
    expect(parseTarget(' clawdinator-2 , clawdinator-1,clawdinator-2', registry)).toEqual([h2, h1]);
  });

  it.each([
    ['x;reboot', '"x;reboot" is not a host name'],
    ['$(id)', '"$(id)" is not a host name'],
    ['clawdinator-1,`id`', '"`id`" is not a host name'],
    ['clawdinator-1 clawdinator-2', 'is not a host name'],
    ['clawdinator-1,,clawdinator-2', 'has an empty host'],
    ['', 'no target'],
    ['all,clawdinator-1', '"all" cannot be combined'],
    ['clawdinator-9', 'unknown host "clawdinator-9" (not in nix/instances.json)'],
    ['ALL', 'is not a host name'],
  ])('%j is refused as bad input naming the known hosts', (raw, message) => {
    const err = usage(() => parseTarget(raw, registry));
    expect(err.message).toContain(message);
    expect(err.hint).toBe('known hosts: clawdinator-1, clawdinator-2, clawdinator-babelfish');
    expect(err.exitCode).toBe(2);
  });
});

describe('selectSecrets', () => {
  const available = [
    'clawdinator-discord-token-1.age',
    'clawdinator-discord-token-2.age',
    'clawdinator-discord-token-babelfish.age',
    'clawdinator-github-app.pem.age',
    'openai-api-key.age',
    'secrets.nix',
    'clawdinator-discord-token-old.age',
  ];

  it('keeps the own token and every shared secret; drops other tokens, the GitHub App key and non-secrets', () => {
    const s = selectSecrets(h1, registry, available);
    expect(s.include).toEqual(['clawdinator-discord-token-1.age', 'openai-api-key.age']);
    expect(s.skipped).toEqual([
      { file: 'clawdinator-discord-token-2.age', reason: 'other-host-token' },
      { file: 'clawdinator-discord-token-babelfish.age', reason: 'other-host-token' },
      { file: 'clawdinator-discord-token-old.age', reason: 'other-host-token' },
      { file: 'clawdinator-github-app.pem.age', reason: 'excluded' },
      { file: 'secrets.nix', reason: 'not-a-secret-name' },
    ]);
  });

  it('treats a token named outside the clawdinator-discord-token-* pattern as a token too', () => {
    const odd: Registry = { ...registry, hosts: [h1, host('clawdinator-2', 'bot-two-token')] };
    expect(selectSecrets(h1, odd, ['bot-two-token.age', 'clawdinator-discord-token-1.age']).include).toEqual(['clawdinator-discord-token-1.age']);
    expect(selectSecrets(odd.hosts[1]!, odd, ['bot-two-token.age', 'clawdinator-discord-token-1.age']).include).toEqual(['bot-two-token.age']);
  });
});

describe('checkSecretsEntries', () => {
  it('passes a well-formed bundle', () => {
    expect(checkSecretsEntries(h1, registry, NO_RULES, good())).toEqual([]);
  });

  it('names a foreign token, a missing own token, a missing agekey and a missing required secret', () => {
    const entries = [dir('secrets/'), file('secrets/clawdinator-discord-token-2.age'), file('secrets/openai-api-key.age')];
    const vs = checkSecretsEntries(h1, registry, { requiredSecrets: ['openai-api-key', 'control-token'] }, entries);
    expect(kinds(vs)).toEqual([
      'foreign-token:secrets/clawdinator-discord-token-2.age',
      'missing-agekey:clawdinator.agekey',
      'missing-own-token:secrets/clawdinator-discord-token-1.age',
      'missing-required:secrets/control-token.age',
    ]);
    expect(vs[0]!.message).toBe("secrets/clawdinator-discord-token-2.age is the Discord token of clawdinator-2, not clawdinator-1's");
    expect(vs.every((v) => v.bundle === 'secrets')).toBe(true);
  });

  it('refuses unsorted, duplicate, unsafe and unexpected entries, and the excluded GitHub App key', () => {
    const vs = checkSecretsEntries(h1, registry, NO_RULES, [
      ...good(),
      file('secrets/openai-api-key.age'),
      file('secrets/a.age'),
      file('../etc/passwd'),
      file('secrets/nested/x.age'),
      file('secrets/clawdinator-github-app.pem.age'),
      file('secrets/clawdinator-discord-token-zz.age'),
    ]);
    expect(kinds(vs)).toEqual(
      expect.arrayContaining([
        'duplicate-entry:secrets/openai-api-key.age',
        'unsorted:secrets/a.age',
        'unsafe-path:../etc/passwd',
        'unexpected-entry:../etc/passwd',
        'unexpected-entry:secrets/nested/x.age',
        'excluded-secret:secrets/clawdinator-github-app.pem.age',
        'foreign-token:secrets/clawdinator-discord-token-zz.age',
      ]),
    );
  });

  it('refuses a token two hosts share', () => {
    const shared: Registry = { ...registry, hosts: [h1, host('clawdinator-2', 'clawdinator-discord-token-1')] };
    expect(kinds(checkSecretsEntries(h1, shared, NO_RULES, good()))).toEqual(['shared-token:secrets/clawdinator-discord-token-1.age']);
  });
});

describe('checkSeedsEntries', () => {
  it('passes plain trees with safe relative links; refuses tokens, escaping links and odd entries', () => {
    expect(checkSeedsEntries(registry, [dir('repo/'), file('repo/a'), { path: 'repo/l', type: 'symlink', linkname: 'a' }])).toEqual([]);
    const vs = checkSeedsEntries(registry, [
      dir('repo/'),
      file('repo/clawdinator-discord-token-2.age'),
      { path: 'repo/etc', type: 'symlink', linkname: '/etc' },
      { path: 'repo/up', type: 'symlink', linkname: '../../x' },
      { path: 'repo/z', type: 'fifo' },
    ]);
    expect(kinds(vs)).toEqual(['unsafe-path:repo/etc', 'unsafe-path:repo/up', 'foreign-token:repo/clawdinator-discord-token-2.age', 'unexpected-entry:repo/z']);
    expect(vs.every((v) => v.bundle === 'repo-seeds')).toBe(true);
  });
});

describe('comparePaths', () => {
  it('is UTF-8 byte order (code points), parents before children', () => {
    const paths = ['secrets/', 'clawdinator.agekey', 'a-b/', 'a/', 'a/x', 'a-b/x', '\u{1F600}', '\uFFFD'];
    expect([...paths].sort(comparePaths)).toEqual(['a-b/', 'a-b/x', 'a/', 'a/x', 'clawdinator.agekey', 'secrets/', '\uFFFD', '\u{1F600}']);
  });
});

describe('validateRules', () => {
  it('accepts stems; refuses a token, the excluded key and unsafe names', () => {
    expect(() => validateRules({ requiredSecrets: ['openai-api-key', 'clawdinator-control-token'] })).not.toThrow();
    expect(usage(() => validateRules({ requiredSecrets: ['clawdinator-discord-token-1'] })).message).toContain('per-host Discord token');
    expect(usage(() => validateRules({ requiredSecrets: ['clawdinator-github-app.pem'] })).message).toContain('never put in a bundle');
    expect(usage(() => validateRules({ requiredSecrets: ['../x'] })).message).toContain('is not a secret name');
  });
});

describe('planHost', () => {
  const local = { secrets: { sha256: 'aa', size: 10 }, 'repo-seeds': { sha256: 'bb', size: 20 } };

  it('create when missing, unchanged when the sha256 matches, update when it differs or is absent', () => {
    const p = planHost(h1, local, { secrets: { exists: false }, 'repo-seeds': { exists: true, sha256: 'bb', bodySha256: 'bb' } }, []);
    expect(p.bundles.map((b) => [b.key, b.action, b.reason])).toEqual([
      ['bootstrap/clawdinator-1/secrets.tar.zst', 'create', 'not in S3 yet'],
      ['bootstrap/clawdinator-1/repo-seeds.tar.zst', 'unchanged', 'same sha256'],
    ]);
    expect(p.action).toBe('upload');
    const q = planHost(
      h1,
      local,
      { secrets: { exists: true, sha256: 'old', bodySha256: 'old' }, 'repo-seeds': { exists: true, sha256: undefined, bodySha256: 'bb' } },
      [],
    );
    expect(q.bundles.map((b) => [b.action, b.reason, b.remoteSha256])).toEqual([
      ['update', 'content changed', 'old'],
      ['update', 'the object has no sha256 metadata', null],
    ]);
    const r = planHost(
      h1,
      local,
      { secrets: { exists: true, sha256: 'aa', bodySha256: 'aa' }, 'repo-seeds': { exists: true, sha256: 'bb', bodySha256: 'bb' } },
      [],
    );
    expect(r.action).toBe('unchanged');
    expect(planCounts([p, q, r])).toEqual({ upload: 3, unchanged: 3, refused: 0 });
  });

  it('metadata claiming the right sha256 over other bytes is an update (what verify reports is what upload repairs); --force uploads all', () => {
    const lying = planHost(
      h1,
      local,
      { secrets: { exists: true, sha256: 'aa', bodySha256: 'tampered' }, 'repo-seeds': { exists: true, sha256: 'bb', bodySha256: 'bb' } },
      [],
    );
    expect(lying.bundles.map((b) => [b.action, b.reason])).toEqual([
      ['update', "the object's bytes do not match its sha256 metadata"],
      ['unchanged', 'same sha256'],
    ]);
    const forced = planHost(
      h1,
      local,
      { secrets: { exists: true, sha256: 'aa', bodySha256: 'aa' }, 'repo-seeds': { exists: true, sha256: 'bb', bodySha256: 'bb' } },
      [],
      true,
    );
    expect(forced.bundles.map((b) => [b.action, b.reason])).toEqual([
      ['update', 'forced (--force)'],
      ['update', 'forced (--force)'],
    ]);
  });

  it("a violation refuses both of the host's bundles", () => {
    const v: Violation = { bundle: 'secrets', kind: 'missing-agekey', file: 'clawdinator.agekey', message: 'clawdinator.agekey is missing' };
    const p = planHost(h1, local, { secrets: { exists: false }, 'repo-seeds': { exists: false } }, [v]);
    expect(p.action).toBe('refused');
    expect(p.bundles.map((b) => [b.action, b.reason])).toEqual([
      ['refused', 'clawdinator.agekey is missing'],
      ['refused', 'the other bundle is refused'],
    ]);
    expect(planCounts([p])).toEqual({ upload: 0, unchanged: 0, refused: 1 });
  });

  it('keys strip a trailing slash of the prefix', () => {
    expect(bundleKey({ ...h1, bootstrapPrefix: 'bootstrap/x/' }, 'repo-seeds')).toBe('bootstrap/x/repo-seeds.tar.zst');
  });
});

describe('checkDownloaded', () => {
  const rules = (e: readonly EntryName[]) => checkSecretsEntries(h1, registry, NO_RULES, e);
  const key = 'bootstrap/clawdinator-1/secrets.tar.zst';

  it('missing object, missing or wrong checksum, corrupt archive, then the content rules', () => {
    expect(kinds(checkDownloaded('secrets', key, { exists: false }, rules))).toEqual([`missing-object:${key}`]);
    expect(checkDownloaded('secrets', key, { exists: true, bodySha256: 'a', metadataSha256: 'a', entries: good() }, rules)).toEqual([]);
    expect(kinds(checkDownloaded('secrets', key, { exists: true, bodySha256: 'a', metadataSha256: undefined, entries: good() }, rules))).toEqual([
      `missing-checksum:${key}`,
    ]);
    expect(kinds(checkDownloaded('secrets', key, { exists: true, bodySha256: 'a', metadataSha256: 'b', entries: { corrupt: 'x' } }, rules))).toEqual([
      `checksum-mismatch:${key}`,
      `corrupt-archive:${key}`,
    ]);
    expect(
      kinds(checkDownloaded('secrets', key, { exists: true, bodySha256: 'a', metadataSha256: 'a', entries: good('clawdinator-discord-token-2') }, rules)),
    ).toEqual(['foreign-token:secrets/clawdinator-discord-token-2.age', 'missing-own-token:secrets/clawdinator-discord-token-1.age']);
  });
});
