import type { DashboardDeps } from '../../src/ui/dashboard/deps.js';
import { NOW } from './dashboard-fixture.js';

// Fake services for the dashboard: every call nobody expected throws, naming itself.

export interface FakeDeps extends DashboardDeps {
  clock: { now: number };
  calls: string[];
}

export function fakeDeps(over: Partial<DashboardDeps> = {}): FakeDeps {
  const calls: string[] = [];
  const clock = { now: NOW };
  const unexpected = (name: string) => () => {
    throw new Error(`unexpected call: deps.${name}`);
  };
  const base: DashboardDeps = {
    refresh: unexpected('refresh'),
    planDeploy: unexpected('planDeploy'),
    runDeploy: unexpected('runDeploy'),
    spot: unexpected('spot'),
    backup: unexpected('backup'),
    describe: (err) => (err instanceof Error ? err.message : String(err)),
    now: () => clock.now,
  };
  const merged = { ...base, ...over };
  const counted = Object.fromEntries(
    Object.entries(merged).map(([k, fn]) => [
      k,
      k === 'now' || k === 'describe' ? fn : (...args: unknown[]) => (calls.push(k), (fn as (...a: unknown[]) => unknown)(...args)),
    ]),
  ) as unknown as DashboardDeps;
  return { ...counted, clock, calls };
}

/** Poll the frame until `done` holds (Ink renders asynchronously); the last frame either way. */
export async function frameWhen(lastFrame: () => string | undefined, done: (frame: string) => boolean, timeoutMs = 3_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let frame = lastFrame() ?? '';
  while (!done(frame) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    frame = lastFrame() ?? '';
  }
  return frame;
}
