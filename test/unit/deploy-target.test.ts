import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asFullSha, asHostId, checkCaller, parseDeployTarget, parseRevInput, resolveDeployTarget, type HostId } from '../../src/core/deploy-target.js';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import type { Registry } from '../../src/core/registry.js';

const entry = (host: string) => ({
  id: host,
  host,
  instanceType: 't3.large',
  bootstrapPrefix: `bootstrap/${host}`,
  discordTokenSecret: `clawdinator-discord-token-${host}`,
});
const registry: Registry = {
  file: 'nix/instances.json',
  hosts: ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish'].map(entry),
};
const SHA = '0123456789abcdef0123456789abcdef01234567';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('parseDeployTarget', () => {
  it('requires a target: no default (exit 2)', () => {
    for (const raw of [undefined, '', '  ']) {
      const e = thrown(() => parseDeployTarget(raw, registry));
      expect(e).toBeInstanceOf(UsageError);
      expect(e.message).toBe('no deploy target');
      expect((e as UsageError).exitCode).toBe(2);
    }
  });

  it('expands all in registry order, keeps a list in typed order without duplicates', () => {
    expect(parseDeployTarget('all', registry)).toEqual({ all: true, hosts: ['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish'] });
    expect(parseDeployTarget('clawdinator-babelfish', registry)).toEqual({ all: false, hosts: ['clawdinator-babelfish'] });
    expect(parseDeployTarget(' clawdinator-2 , clawdinator-1,clawdinator-2', registry).hosts).toEqual(['clawdinator-2', 'clawdinator-1']);
  });

  it('refuses malformed names before looking at the registry, naming them', () => {
    const e = thrown(() => parseDeployTarget('x;reboot', registry));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('deploy target: "x;reboot" is not a valid host name');
    // A malformed name wins over an unknown one: syntax is checked first.
    expect(thrown(() => parseDeployTarget('nope,$(id),Upper', registry)).message).toBe('deploy target: "$(id)", "Upper" are not valid host names');
    expect(thrown(() => parseDeployTarget('clawdinator-1,,clawdinator-2', registry)).message).toMatch(/empty entry/);
  });

  it('refuses unknown hosts with the known ones as hint, and all mixed with ids', () => {
    const e = thrown(() => parseDeployTarget('clawdinator-1,ghost,ghost2', registry)) as UsageError;
    expect(e.message).toBe('unknown hosts "ghost", "ghost2" (not in nix/instances.json)');
    expect(e.hint).toBe('known hosts: clawdinator-1, clawdinator-2, clawdinator-babelfish');
    expect(thrown(() => parseDeployTarget('all,clawdinator-1', registry)).message).toMatch(/`all` cannot be combined/);
  });

  it('accepts exactly the strings that name registry hosts (property)', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        let ok: boolean;
        try {
          parseDeployTarget(raw, registry);
          ok = true;
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          ok = false;
        }
        const names = raw.split(',').map((s) => s.trim());
        const expected = raw.trim() === 'all' || (raw.trim() !== '' && names.every((n) => registry.hosts.some((h) => h.host === n)));
        expect(ok).toBe(expected);
      }),
    );
  });
});

describe('caller policy', () => {
  it('refuses a target that includes the bot caller, stating the rule (exit 3)', () => {
    for (const target of ['clawdinator-2', 'clawdinator-1,clawdinator-2', 'all']) {
      const e = thrown(() => resolveDeployTarget({ target, caller: 'clawdinator-2', registry }));
      expect(e).toBeInstanceOf(RefusedError);
      expect((e as RefusedError).exitCode).toBe(3);
      expect(e.message).toBe('a bot may not deploy itself: target includes caller clawdinator-2');
    }
  });

  it('lets a bot deploy other hosts, and an operator (no caller) deploy anything', () => {
    expect(resolveDeployTarget({ target: 'clawdinator-1', caller: 'clawdinator-2', registry }).hosts).toEqual(['clawdinator-1']);
    expect(resolveDeployTarget({ target: 'all', registry }).hosts).toHaveLength(3);
    expect(resolveDeployTarget({ target: 'all', caller: '', registry }).hosts).toHaveLength(3);
    expect(() => checkCaller({ all: false, hosts: ['clawdinator-1' as HostId] }, undefined)).not.toThrow();
  });

  it('validates the caller itself, before the target', () => {
    const e = thrown(() => resolveDeployTarget({ target: 'ghost', caller: 'a b', registry }));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('--caller "a b" is not a valid host name');
  });
});

describe('revs', () => {
  it('asFullSha accepts only 40 lower-case hex digits', () => {
    expect(asFullSha(SHA)).toBe(SHA);
    for (const bad of [SHA.slice(0, 12), SHA.toUpperCase(), `${SHA}0`, '$(id)', `${SHA.slice(0, 39)};`]) {
      expect(() => asFullSha(bad)).toThrow(UsageError);
    }
  });

  it('parseRevInput: full SHAs (any case) as SHAs, short SHAs and refs as names for git', () => {
    expect(parseRevInput(SHA.toUpperCase())).toEqual({ kind: 'sha', sha: SHA });
    expect(parseRevInput('0123abc')).toEqual({ kind: 'name', name: '0123abc' });
    expect(parseRevInput('release/2026-11')).toEqual({ kind: 'name', name: 'release/2026-11' });
    expect(parseRevInput('v1.2.3')).toEqual({ kind: 'name', name: 'v1.2.3' });
  });

  it('parseRevInput refuses shell metacharacters, options and git-invalid names', () => {
    for (const bad of ['$(id)', '`id`', 'main;reboot', 'a b', '--upload-pack=x', 'a..b', 'a//b', 'x.lock', 'x/', 'HEAD@{1}', 'HEAD~1', "it's", '', 'x\nrm']) {
      const e = thrown(() => parseRevInput(bad));
      expect(e, bad).toBeInstanceOf(UsageError);
      expect(e.message).toMatch(/^rev ".*" is not a commit SHA or ref name$/);
    }
  });

  it('parseRevInput never lets a shell-special character through (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (raw) => {
        try {
          const r = parseRevInput(raw);
          expect(r.kind === 'sha' ? r.sha : r.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
        }
      }),
    );
  });

  it('asHostId names what it checked', () => {
    expect(asHostId('clawdinator-1')).toBe('clawdinator-1');
    expect(thrown(() => asHostId('-x', '--canary')).message).toBe('--canary "-x" is not a valid host name');
  });
});
