import type { SandboxState } from './state.js';

/** What the simulated services share: the state, the clock and a way to persist. */
export interface SandboxWorld {
  /** Replaced by the account as on disk when another process changed it (see state-lock.ts). */
  state: SandboxState;
  now(): Date;
  /** Write the state to disk (after every mutation). */
  persist(): Promise<void>;
}

/**
 * The account as it is now, for code that holds on to it between calls: every property
 * read or written goes to `world.state`, which is replaced when another process changed
 * the file (index.ts re-reads it under the cross-process lock).
 */
export function liveState(world: SandboxWorld): SandboxState {
  return new Proxy({} as SandboxState, {
    get: (_, key) => Reflect.get(world.state, key),
    set: (_, key, value) => Reflect.set(world.state, key, value),
    has: (_, key) => Reflect.has(world.state, key),
    ownKeys: () => Reflect.ownKeys(world.state),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(world.state, key),
  });
}
