import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import { emptyState } from '../../src/core/runbook-state.js';
import type { Runbook } from '../../src/core/runbook-schema.js';
import { acquireFileLock } from '../../src/fs/file-lock.js';
import { findGitRoot, runbookStore } from '../../src/nix/runbook-store.js';
import { tempDir } from '../helpers/claw.js';

// Where a runbook's state lives, how it is written and read back, and the one-writer lock
// (O_EXCL, stale when its pid is dead on this host, never judged for another host).

const rb: Runbook = {
  name: 'demo',
  description: 'd',
  preflight: [],
  phases: [
    { id: 'A', title: 't', reversible: false, disruptive: false, steps: [{ id: 'a1', title: undefined, kind: 'manual', instructions: 'x' }], rollback: [] },
  ],
};

/** A pid that surely is not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('runbook store location', () => {
  it('uses .claw/runbooks/<name> at the root of the git repo holding the runbook, with a .gitignore', async () => {
    const repo = tempDir('claw-store-git-');
    mkdirSync(join(repo, '.git'));
    mkdirSync(join(repo, 'runbooks', 'deep'), { recursive: true });
    const file = join(repo, 'runbooks', 'deep', 'rb.yaml');
    expect(findGitRoot(join(repo, 'runbooks', 'deep'))).toBe(repo);
    const store = runbookStore(file, 'demo', '/nonexistent-home');
    expect(store.stateFile).toBe(join(repo, '.claw', 'runbooks', 'demo', 'state.json'));
    expect(store.logFile('a1')).toBe(join(repo, '.claw', 'runbooks', 'demo', 'logs', 'a1.log'));
    await store.save(emptyState(rb, { file, hash: 'h', now: new Date(0) }));
    expect(readFileSync(join(repo, '.claw', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(existsSync(store.logDir)).toBe(true);
  });

  it('uses $CLAW_HOME/runbooks/<name> outside a git repo', () => {
    const dir = tempDir('claw-store-nogit-');
    const home = join(dir, 'home');
    const store = runbookStore(join(dir, 'rb.yaml'), 'demo', home);
    expect(store.gitRoot).toBeUndefined();
    expect(store.stateFile).toBe(join(home, 'runbooks', 'demo', 'state.json'));
  });

  it('on the sandbox uses $CLAW_HOME/sandbox/runbooks/<name>, even for a runbook inside a git repo (a rehearsal never marks the real run done)', async () => {
    const repo = tempDir('claw-store-sbx-');
    mkdirSync(join(repo, '.git'));
    const home = join(repo, 'home');
    const store = runbookStore(join(repo, 'rb.yaml'), 'demo', home, { sandbox: true });
    expect(store.gitRoot).toBeUndefined();
    expect(store.stateFile).toBe(join(home, 'sandbox', 'runbooks', 'demo', 'state.json'));
    await store.save(emptyState(rb, { file: 'rb.yaml', hash: 'h', now: new Date(0) }));
    expect(existsSync(join(repo, '.claw'))).toBe(false);
  });

  it('reads back what it wrote; a leftover temp file from a kill does not matter; a foreign file is a clear error', async () => {
    const dir = tempDir('claw-store-rw-');
    const store = runbookStore(join(dir, 'rb.yaml'), 'demo', join(dir, 'home'));
    expect(await store.load()).toBeUndefined();
    const state = emptyState(rb, { file: 'rb.yaml', hash: 'h', now: new Date(0) });
    await store.save(state);
    writeFileSync(`${store.stateFile}.12345.tmp`, '{"version": 1, "na');
    expect(await store.load()).toEqual(state);
    writeFileSync(store.stateFile, '{"something": "else"}');
    await expect(store.load()).rejects.toThrow(UsageError);
    await expect(store.load()).rejects.toThrow(/not the state of runbook demo/);
  });
});

describe('file lock', () => {
  const opts = (warnings: string[] = []) => ({
    command: 'claw migrate run',
    now: new Date('2026-01-01T00:00:00Z'),
    warn: (l: string) => void warnings.push(l),
  });

  it('admits one holder; a second is refused (exit 3) naming the holder; release frees it', async () => {
    const file = join(tempDir('claw-lock-'), 'lock');
    const held = await acquireFileLock(file, opts());
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, command: 'claw migrate run' });
    const err = await acquireFileLock(file, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as Error).message).toMatch(new RegExp(`locked by pid ${process.pid} on this host since 2026-01-01T00:00:00.000Z \\(claw migrate run\\)`));
    await held.release();
    expect(existsSync(file)).toBe(false);
    await (await acquireFileLock(file, opts())).release();
  });

  it('takes over a stale lock (its pid is dead on this host) and says so', async () => {
    const file = join(tempDir('claw-lock-stale-'), 'lock');
    const pid = deadPid();
    writeFileSync(
      file,
      JSON.stringify({ pid, host: (await import('node:os')).hostname(), startedAt: '2025-12-31T00:00:00.000Z', command: 'claw migrate run' }),
    );
    const warnings: string[] = [];
    const held = await acquireFileLock(file, opts(warnings));
    expect(warnings).toEqual([`removing a stale lock: pid ${pid} (claw migrate run, since 2025-12-31T00:00:00.000Z) is no longer running on this host`]);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    await held.release();
  });

  it('never judges a lock from another host: refused, with the file to delete if that claw is gone', async () => {
    const file = join(tempDir('claw-lock-host-'), 'lock');
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: 'other-box', startedAt: '2025-12-31T00:00:00.000Z', command: 'claw migrate run' }));
    const err = (await acquireFileLock(file, opts()).catch((e: unknown) => e)) as RefusedError;
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.message).toMatch(/on host other-box/);
    expect(err.hint).toContain(`delete ${file}`);
  });

  it('release never removes a lock someone else holds now', async () => {
    const file = join(tempDir('claw-lock-steal-'), 'lock');
    const held = await acquireFileLock(file, opts());
    writeFileSync(file, JSON.stringify({ pid: 1, host: 'other-box', startedAt: 'x', command: 'y' }));
    await held.release();
    expect(existsSync(file)).toBe(true);
  });

  it('an empty lock file (its creator killed while writing) is taken over once it is old, refused while fresh', async () => {
    const file = join(tempDir('claw-lock-empty-'), 'lock');
    writeFileSync(file, '');
    await expect(acquireFileLock(file, opts())).rejects.toThrow(/being taken by another claw/);
    const old = new Date(Date.now() - 60_000);
    (await import('node:fs')).utimesSync(file, old, old);
    const warnings: string[] = [];
    await (await acquireFileLock(file, opts(warnings))).release();
    expect(warnings[0]).toMatch(/removing an unreadable lock file/);
  });
});
