import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FILE, checkSecretsEntries, planHost, selectSecrets, TOKEN_FILE_RE, type Violation } from '../../src/core/bootstrap.js';
import type { HostEntry, Registry } from '../../src/core/registry.js';
import { buildBundle, readBundle, secretsTarFiles, type SecretSet } from '../../src/nix/bundle.js';
import { refusalSummary, renderUploadPlan } from '../../src/ui/bootstrap-text.js';
import { styler } from '../../src/ui/style.js';

// The safety invariant of bootstrap bundles: whatever the registry and the secrets,
// each host's bundle holds exactly its own Discord token and no other host's, and
// what claw says about a bundle names files, never their content.

const MARK = 'CONTENT-MARKER-7f3a9c';
const content = (name: string) => new TextEncoder().encode(`age-encryption.org/v1 ${MARK} ${name}`);

const registryArb = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
      patterned: fc.boolean(),
    }),
    { minLength: 1, maxLength: 6, selector: (h) => h.name },
  )
  .map((hosts): Registry => ({
    file: 'nix/instances.json',
    hosts: hosts.map(({ name, patterned }): HostEntry => ({
      id: name,
      host: name,
      instanceType: 't3.large',
      bootstrapPrefix: `bootstrap/${name}`,
      // Some tokens follow upstream's naming, some do not: both must stay isolated.
      discordTokenSecret: patterned ? `clawdinator-discord-token-${name}` : `${name}-bot-token`,
    })),
  }));

const secretsArb = (registry: Registry) =>
  fc.record({
    tokens: fc.subarray(registry.hosts.map((h) => `${h.discordTokenSecret}.age`)),
    shared: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9.-]{0,12}\.age$/), { maxLength: 5 }),
    stray: fc.subarray(['clawdinator-discord-token-retired.age', 'clawdinator-github-app.pem.age', 'notes.txt']),
  });

function secretSet(names: readonly string[]): SecretSet {
  return {
    files: new Map(names.map((n) => [n, content(n)])),
    agekey: content('agekey'),
    origin: 'nix/age-secrets',
    agekeyOrigin: 'nix/keys/clawdinator.agekey',
  };
}

describe('bundle isolation (property)', () => {
  it("each host gets exactly its own token (when there is one) and no other host's", async () => {
    await fc.assert(
      fc.asyncProperty(
        registryArb.chain((r) => fc.tuple(fc.constant(r), secretsArb(r))),
        async ([registry, s]) => {
          const names = [...new Set([...s.tokens, ...s.shared, ...s.stray])];
          const set = secretSet(names);
          for (const host of registry.hosts) {
            const own = `${host.discordTokenSecret}.age`;
            const bundle = await buildBundle(secretsTarFiles(set, selectSecrets(host, registry, names).include));
            const read = await readBundle(bundle.body);
            if ('corrupt' in read) throw new Error(read.corrupt);
            const files = read.filter((e) => e.type === 'file').map((e) => e.path.replace(/^secrets\//, ''));
            const tokens = files.filter((f) => TOKEN_FILE_RE.test(f) || registry.hosts.some((h) => `${h.discordTokenSecret}.age` === f));
            expect(tokens).toEqual(names.includes(own) ? [own] : []);
            expect(files).not.toContain('clawdinator-github-app.pem.age');
            const vs = checkSecretsEntries(host, registry, { requiredSecrets: [] }, read);
            expect(vs.filter((v) => v.kind === 'foreign-token')).toEqual([]);
            expect(vs.map((v) => v.kind)).toEqual(names.includes(own) ? [] : ['missing-own-token']);
            for (const v of vs) expect(v.message).not.toContain(MARK);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('refusals name the file, never the content', () => {
  it("a bundle holding another host's token: the verdict, the plan text and the JSON carry the name only", async () => {
    const registry: Registry = {
      file: 'nix/instances.json',
      hosts: ['clawdinator-1', 'clawdinator-2'].map((h, i) => ({
        id: h,
        host: h,
        instanceType: 't3.large',
        bootstrapPrefix: `bootstrap/${h}`,
        discordTokenSecret: `clawdinator-discord-token-${i + 1}`,
      })),
    };
    const [h1] = registry.hosts as [HostEntry];
    // Build the bad bundle by hand: claw's own selection would never include the foreign token.
    const set = secretSet(['clawdinator-discord-token-1.age', 'clawdinator-discord-token-2.age']);
    const bad = await buildBundle(secretsTarFiles(set, ['clawdinator-discord-token-1.age', 'clawdinator-discord-token-2.age']));
    const read = await readBundle(bad.body);
    if ('corrupt' in read) throw new Error(read.corrupt);
    const vs: Violation[] = checkSecretsEntries(h1, registry, { requiredSecrets: ['missing-one'] }, read);
    expect(vs.map((v) => v.file)).toEqual(['secrets/clawdinator-discord-token-2.age', 'secrets/missing-one.age']);

    const plan = planHost(h1, { secrets: bad, 'repo-seeds': bad }, { secrets: { exists: false }, 'repo-seeds': { exists: false } }, vs);
    const outputs = [
      refusalSummary([plan], false),
      renderUploadPlan('bucket', set, [{ ...plan, files: read.map((e) => e.path) }], styler(false)),
      JSON.stringify(plan),
    ];
    for (const out of outputs) {
      expect(out).toContain('secrets/clawdinator-discord-token-2.age');
      expect(out).not.toContain(MARK);
    }
    expect(outputs[1]).toContain(BUNDLE_FILE.secrets);
  });
});
