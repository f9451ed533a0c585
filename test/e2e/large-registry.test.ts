import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_REPO, runClaw, tempDir } from '../helpers/claw.js';

// A registry of tens of thousands of hosts (what fits under claw's 16 MiB bound) is read,
// joined and printed as a table and as JSON: nothing recurses per host or spreads rows
// into one call (a stack overflow was "a bug in claw" at 200k).

describe('a registry of 80,000 hosts', () => {
  it('status prints the table and the JSON document', { timeout: 60_000 }, async () => {
    const repo = join(tempDir('claw-large-'), 'repo');
    cpSync(FIXTURE_REPO, repo, { recursive: true });
    const hosts: Record<string, object> = {};
    for (let i = 0; i < 80_000; i++) {
      const host = `host-${i}`;
      hosts[host] = { host, instanceType: 't3.small', bootstrapPrefix: `bootstrap/${host}`, discordTokenSecret: `clawdinator-discord-token-${i}` };
    }
    writeFileSync(join(repo, 'nix', 'instances.json'), JSON.stringify(hosts));
    const text = await runClaw(['--sandbox', 'status', '--repo', repo], { timeoutMs: 50_000 });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^80000 hosts, 80000 with drift/m);
    const json = await runClaw(['--sandbox', 'status', '--json', '--repo', repo], { timeoutMs: 50_000 });
    expect(json.exitCode, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { hosts: unknown[] }).hosts).toHaveLength(80_000);
  });
});
