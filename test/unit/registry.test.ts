import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { findHost, parseRegistry } from '../../src/core/registry.js';

const FILE = 'nix/instances.json';
const entry = (host: string, over: Record<string, unknown> = {}) => ({
  host,
  instanceType: 't3.large',
  bootstrapPrefix: `bootstrap/${host}`,
  discordTokenSecret: `clawdinator-discord-token-${host}`,
  ...over,
});
const text = (obj: unknown) => JSON.stringify(obj, null, 2);

function failure(src: string): UsageError {
  try {
    parseRegistry(src, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected parseRegistry to fail');
}

describe('parseRegistry', () => {
  it('accepts the real shape, keeping file order', () => {
    const reg = parseRegistry(text({ 'clawdinator-2': entry('clawdinator-2'), 'clawdinator-1': entry('clawdinator-1') }), FILE);
    expect(reg.hosts.map((h) => h.host)).toEqual(['clawdinator-2', 'clawdinator-1']);
    expect(reg.hosts[0]).toEqual({ id: 'clawdinator-2', ...entry('clawdinator-2') });
    expect(reg.file).toBe(FILE);
  });

  it('reports invalid JSON with line and column', () => {
    const err = failure('{\n  "a": {\n    "host": "a",\n  }\n}');
    expect(err.message).toMatch(/^nix\/instances\.json:4:3: invalid JSON/);
    expect(err.exitCode).toBe(2);
  });

  it('names the entry and the missing field', () => {
    const { instanceType: _omit, ...noType } = entry('clawdinator-1');
    expect(failure(text({ 'clawdinator-1': noType })).message).toBe('nix/instances.json: entry "clawdinator-1": field "instanceType" is missing');
  });

  it('refuses a host that is not a valid hostname', () => {
    for (const bad of ['Claw_1', 'a;rm -rf /', '-lead', 'x'.repeat(64), '$(id)']) {
      const err = failure(text({ [bad]: entry(bad) }));
      expect(err.message).toContain(`entry "${bad}": field "host" is not a valid hostname`);
    }
  });

  it('refuses a key that differs from its host', () => {
    expect(failure(text({ 'clawdinator-1': entry('clawdinator-2') })).message).toBe(
      'nix/instances.json: entry "clawdinator-1": key differs from its host "clawdinator-2"',
    );
  });

  it('refuses duplicate hosts (duplicate keys) with their line', () => {
    const src = `{\n  "a": ${JSON.stringify(entry('a'))},\n  "a": ${JSON.stringify(entry('a'))}\n}`;
    expect(failure(src).message).toBe('nix/instances.json:3:3: duplicate key "a"');
  });

  it('refuses unsafe prefixes, secret names and instance types', () => {
    expect(failure(text({ a: entry('a', { bootstrapPrefix: '../etc' }) })).message).toContain('field "bootstrapPrefix"');
    expect(failure(text({ a: entry('a', { discordTokenSecret: 'x y' }) })).message).toContain('field "discordTokenSecret"');
    expect(failure(text({ a: entry('a', { instanceType: 'large' }) })).message).toContain('field "instanceType"');
  });

  it('refuses a non-object and an empty registry', () => {
    expect(failure('[]').message).toBe('nix/instances.json: expected an object of hosts keyed by host name');
    expect(failure('{}').message).toBe('nix/instances.json: no hosts');
  });

  it('findHost names the known hosts for an unknown one', () => {
    const reg = parseRegistry(text({ a: entry('a'), b: entry('b') }), FILE);
    expect(findHost(reg, 'b').host).toBe('b');
    expect(() => findHost(reg, 'c')).toThrow(/unknown host "c"/);
    try {
      findHost(reg, 'c');
    } catch (err) {
      expect((err as UsageError).hint).toBe('known hosts: a, b');
    }
  });
});
