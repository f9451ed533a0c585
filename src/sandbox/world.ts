import type { SandboxState } from './state.js';

/** What the simulated services share: the state, the clock and a way to persist. */
export interface SandboxWorld {
  readonly state: SandboxState;
  now(): Date;
  /** Write the state to disk (after every mutation). */
  persist(): Promise<void>;
}
