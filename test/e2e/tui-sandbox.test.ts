import { describe, expect, it } from 'vitest';
import { runClaw, tempDir } from '../helpers/claw.js';

// `claw tui` without a terminal (the tmux test covers the dashboard itself): it prints
// `claw status` once and says why; --json is one refresh as a document; bad input is exit 2.

describe('claw tui without a terminal', () => {
  it('prints claw status once and explains that the dashboard needs a terminal', async () => {
    const r = await runClaw(['--sandbox', 'tui'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('claw tui: the dashboard needs a terminal (stdin and stdout); here is `claw status` once instead\n');
    expect(r.stdout).toMatch(/^HOST\s+INSTANCE\s+STATE\s+TYPE\s+AZ\s+AMI\s+REV\s+UP\s+SSM\s+DRIFT$/m);
    expect(r.stdout).toMatch(/^4 hosts, 1 with drift, 1 unregistered; latest AMI ami-[0-9a-f]{17}$/m);
  });

  it('--json prints one refresh of the dashboard: account, HEAD, lock, fleet, retention, history', async () => {
    const r = await runClaw(['--sandbox', 'tui', '--json'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['account', 'head', 'lock', 'fleet', 'retention', 'history', 'errors']);
    expect(doc.account).toBe('123456789012');
    // The sandbox's own sample repo is a git checkout: its HEAD is what `d` deploys by default.
    expect(doc.head).toEqual({ rev: expect.stringMatching(/^[0-9a-f]{40}$/), note: 'HEAD' });
    expect(doc.lock).toMatchObject({ state: 'free', key: 'claw/deploy.lock' });
    expect(doc.fleet.hosts.map((h: { host: string }) => h.host)).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-babelfish', 'clawdinator-3']);
    expect(doc.fleet.unregistered.map((u: { name: string }) => u.name)).toEqual(['clawdinator-scratch']);
    expect(doc.retention.keep).toBe(6);
    expect(doc.retention.images.filter((i: { action: string }) => i.action === 'prune')).toHaveLength(2);
    expect(doc.history).toEqual([]);
    expect(doc.errors).toEqual([]);
  });

  it('--json against an unreachable endpoint: every section null with its reason, exit 1', async () => {
    const r = await runClaw(['tui', '--json', '--repo', `${process.cwd()}/fixtures/clawdinators`, '--endpoint-url', 'http://127.0.0.1:9'], {
      env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_MAX_ATTEMPTS: '1' },
    });
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ account: null, lock: null, fleet: null, retention: null, history: null, head: { rev: null } });
    expect(doc.errors.map((e: { section: string }) => e.section)).toEqual(['fleet', 'retention', 'lock', 'history', 'account']);
    expect(r.stderr).toMatch(/^error: could not read fleet, retention, lock, history, account: cannot reach http:\/\/127\.0\.0\.1:9/m);
  });

  it('--stack adds the OpenClaw hosts of the backup stack and when their bucket last changed', async () => {
    const r = await runClaw(['--sandbox', 'tui', '--stack', 'lab', '--json'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.backup).toMatchObject({
      stack: 'lab',
      bucket: 'openclaw-lab-backup-lab-123456789012',
      hosts: [expect.objectContaining({ name: 'openclaw-lab', state: 'running' })],
    });
    expect(Date.now() - Date.parse(doc.backup.latestAt)).toBeLessThan(40 * 60_000);
    expect(doc.errors).toEqual([]);
  });

  it.each([
    [['--stack', 'Lab Stack'], /^error: --stack "Lab Stack" is not a stack name$/m],
    [['--interval', '0'], /^error: --interval 0: expected seconds between 1 and 3600$/m],
    [['--interval', 'soon'], /^error: --interval soon: expected seconds between 1 and 3600$/m],
  ])('bad input %j is one clear line and exit 2', async (args, message) => {
    const r = await runClaw(['--sandbox', 'tui', ...args]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('outside a repo (and not on the sandbox) is exit 2 before anything is drawn', async () => {
    const r = await runClaw(['tui'], { cwd: tempDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: not in a clawdinators repo/m);
  });
});
