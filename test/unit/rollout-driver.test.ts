import { describe, expect, it } from 'vitest';
import { driveRollout, type HostRun, type RunHost } from '../../src/aws/rollout-driver.js';
import type { HostId } from '../../src/core/deploy-target.js';
import { planRollout } from '../../src/core/rollout.js';

// The driver with a fake per-host runner: which hosts start, in which order, and what
// the result says, for success, failure, timeout, a throwing runner and an abort.

const H = (...h: string[]) => h as HostId[];
const plan = (parallel = 1) => planRollout({ hosts: H('a', 'b', 'c', 'd'), canaryOrder: ['a'], parallel });

function fake(outcomes: Record<string, HostRun | Error> = {}) {
  const started: string[] = [];
  let live = 0;
  let maxLive = 0;
  const run: RunHost = async (host, report) => {
    started.push(host);
    maxLive = Math.max(maxLive, ++live);
    report('switching', `building ${host}`);
    await new Promise((r) => setTimeout(r, 5));
    live--;
    const o = outcomes[host] ?? { ok: true };
    if (o instanceof Error) throw o;
    return o;
  };
  return { run, started, maxLive: () => maxLive };
}

describe('driveRollout', () => {
  it('runs the canary, then the rest N at a time; all succeed', async () => {
    const f = fake();
    const r = await driveRollout(plan(2), f.run);
    expect(f.started).toEqual(['a', 'b', 'c', 'd']);
    expect(f.maxLive()).toBe(2);
    expect(r.outcome).toBe('succeeded');
  });

  it('a failing canary: nothing else starts', async () => {
    const f = fake({ a: { ok: false, reason: 'boom', outputTail: ['error: boom'] } });
    const r = await driveRollout(plan(), f.run);
    expect(f.started).toEqual(['a']);
    expect(r.hosts.map((h) => h.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped']);
    expect(r.hosts[0]).toMatchObject({ reason: 'boom', outputTail: ['error: boom'] });
  });

  it('a timeout and a throwing runner are failures; later hosts are skipped', async () => {
    const t = await driveRollout(plan(), fake({ b: { ok: false, timedOutAfterMs: 90_000, outputTail: [] } }).run);
    expect(t.hosts.map((h) => h.status)).toEqual(['succeeded', 'failed', 'skipped', 'skipped']);
    expect(t.hosts[1]).toMatchObject({ timedOut: true, reason: 'timed out after 90s' });
    const f = fake({ c: new Error('SSM said no') });
    const e = await driveRollout(plan(), f.run);
    expect(f.started).toEqual(['a', 'b', 'c']);
    expect(e).toMatchObject({ outcome: 'failed', firstFailure: 'c' });
  });

  it('an abort stops starting hosts and reports interrupted', async () => {
    const ac = new AbortController();
    const f = fake();
    const run: RunHost = async (host, report, signal) => {
      const r = await f.run(host, report, signal);
      if (host === 'a') ac.abort();
      return r;
    };
    const r = await driveRollout(plan(), run, { signal: ac.signal });
    expect(f.started).toEqual(['a']);
    expect(r.outcome).toBe('interrupted');
    expect(r.hosts.slice(1).every((h) => h.status === 'skipped')).toBe(true);
  });

  it('reports phases through onEvent', async () => {
    const seen: string[] = [];
    await driveRollout(planRollout({ hosts: H('a'), canaryOrder: [] }), fake().run, { onEvent: (e) => seen.push(e.type) });
    expect(seen).toEqual(['host-started', 'host-phase', 'host-succeeded']);
  });
});
