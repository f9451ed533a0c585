import { execFileSync, spawnSync } from 'node:child_process';

// Drive a real terminal: run a command in a detached tmux session, read the screen.

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

export interface TmuxSession {
  screen(): string;
  keys(...keys: string[]): void;
  kill(): void;
}

export function startTmux(name: string, command: string, size = { cols: 140, rows: 40 }): TmuxSession {
  execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(size.cols), '-y', String(size.rows), command]);
  return {
    screen: () => execFileSync('tmux', ['capture-pane', '-p', '-t', name], { encoding: 'utf8' }),
    keys: (...keys) => void execFileSync('tmux', ['send-keys', '-t', name, ...keys]),
    kill: () => void spawnSync('tmux', ['kill-session', '-t', name]),
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
