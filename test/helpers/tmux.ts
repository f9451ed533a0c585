import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

// Drive a real terminal: run a command in a detached tmux session, read the screen.

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

export interface TmuxSession {
  screen(): string;
  keys(...keys: string[]): void;
  /** Any other tmux command, on this session's server. */
  tmux(...args: string[]): void;
  kill(): void;
}

/**
 * Each session on a tmux server of its own (-L, a private socket): sessions of test files
 * running at once never share a server, whose default one a test could end for another.
 */
export function startTmux(name: string, command: string, size = { cols: 140, rows: 40 }): TmuxSession {
  const socket = ['-L', `claw-test-${name}-${process.pid}-${randomBytes(4).toString('hex')}`];
  execFileSync('tmux', [...socket, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(size.cols), '-y', String(size.rows), command]);
  return {
    screen: () => execFileSync('tmux', [...socket, 'capture-pane', '-p', '-t', name], { encoding: 'utf8' }),
    keys: (...keys) => void execFileSync('tmux', [...socket, 'send-keys', '-t', name, ...keys]),
    tmux: (...args) => void execFileSync('tmux', [...socket, ...args]),
    kill: () => void spawnSync('tmux', [...socket, 'kill-server']),
  };
}

/** Poll the screen until `done` holds or the time is up; returns the last screen. */
export async function waitForScreen(s: TmuxSession, done: (screen: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = s.screen();
  while (!done(screen) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    screen = s.screen();
  }
  return screen;
}
