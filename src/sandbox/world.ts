import type { SandboxState } from './state.js';

/** What the simulated services share: the state, the clock and a way to persist. */
export interface SandboxWorld {
  /** Replaced by the account as on disk when another process changed it (see state-lock.ts). */
  state: SandboxState;
  now(): Date;
  /** Write the state to disk (after every mutation). */
  persist(): Promise<void>;
}
