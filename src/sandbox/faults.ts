import { createHash } from 'node:crypto';
import type { AwsClients } from '../aws/clients.js';
import { faultError, faultKinds } from './faults-kinds.js';

// Fault injection for the sandbox account: every call of every service (whatever
// services the clients hold, so one added later is covered too) goes through what the
// SDK does on the wire: up to `attempts` tries, each failing with probability `rate`
// with a realistic error and a little latency; the call fails, with the last try's
// error, only when every try failed. A try that succeeds runs the simulated call, so a
// fault always happens before anything is applied: never half a write.
//
// Deterministic: try t of the i-th call of one operation in run r draws from
// sha256(seed, r, operation, i, t). The run number is persisted (faults.json, one
// increment per process), so a re-run after a failure meets different faults, and a
// run is replayed by setting the same seed again (the count restarts) and repeating
// the same commands on the same state. Counting calls per operation rather than
// globally keeps the draws stable when unrelated calls interleave differently.

export interface FaultPlan {
  rate: number;
  seed: number;
  attempts: number;
  run: number;
}

export interface FaultLayerOptions {
  /** On the first call (and the first after each renew): the plan for this run, or undefined to inject nothing. */
  start: () => Promise<FaultPlan | undefined>;
  /** Waits out the latency of a failed try (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

export interface FaultLayer {
  /** The same clients, every service's every method behind the fault layer. */
  wrap(clients: AwsClients): AwsClients;
  /** A new run for a long-lived process (each dashboard refresh): the next call asks `start` again. */
  renew(): void;
}

export interface Draw {
  /** Uniform in [0, 1): the try fails when below the rate. */
  fail: number;
  /** Uniform in [0, 1): which kind of fault. */
  pick: number;
  /** Uniform in [0, 1): how slow the failed try was. */
  latency: number;
}

export function draw(seed: number, run: number, operation: string, index: number, attempt: number): Draw {
  const h = createHash('sha256').update(`${seed}/${run}/${operation}/${index}/${attempt}`).digest();
  const u = (at: number) => h.readUInt32BE(at) / 0x1_0000_0000;
  return { fail: u(0), pick: u(4), latency: u(8) };
}

/** A failed try costs 2..10 ms: enough to reorder concurrent calls, not to slow tests. */
const latencyMs = (d: Draw) => 2 + Math.floor(d.latency * 9);
const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Method = (...args: unknown[]) => Promise<unknown>;

export function createFaultLayer(o: FaultLayerOptions): FaultLayer {
  let plan: Promise<FaultPlan | undefined> | undefined;
  const counts = new Map<string, number>();
  const sleep = o.sleep ?? timer;

  const call = async (service: string, operation: string, index: number, run: () => Promise<unknown>): Promise<unknown> => {
    const p = await (plan ??= o.start());
    if (!p) return run();
    let waited = 0;
    for (let attempt = 0; attempt < p.attempts; attempt++) {
      const d = draw(p.seed, p.run, operation, index, attempt);
      if (d.fail >= p.rate) {
        const out = await run();
        const meta = (out as { $metadata?: object } | undefined)?.$metadata;
        if (meta) Object.assign(meta, { attempts: attempt + 1, totalRetryDelay: waited });
        return out;
      }
      const ms = latencyMs(d);
      waited += ms;
      await sleep(ms);
      if (attempt === p.attempts - 1) {
        const kinds = faultKinds(service);
        throw faultError(service, kinds[Math.floor(d.pick * kinds.length)]!, p.attempts, waited);
      }
    }
    throw new Error('unreachable: attempts < 1');
  };

  const wrapApi = <T extends object>(service: string, api: T): T =>
    new Proxy(api, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        return (...args: unknown[]) => {
          // Numbered when called, not when the plan is ready: the order claw asks in.
          const operation = `${service}.${prop}`;
          const index = counts.get(operation) ?? 0;
          counts.set(operation, index + 1);
          return call(service, operation, index, () => (value as Method).apply(target, args));
        };
      },
    });

  return {
    renew: () => {
      plan = undefined;
      counts.clear();
    },
    wrap: (clients) => Object.fromEntries(Object.entries(clients).map(([service, api]) => [service, wrapApi(service, api as object)])) as unknown as AwsClients,
  };
}

/** The one line every sandbox command prints while faults are on. */
export function faultWarning(p: Pick<FaultPlan, 'rate' | 'attempts' | 'seed' | 'run'>): string {
  const tries = p.attempts === 1 ? 'no retries' : `up to ${p.attempts} tries per call`;
  return `sandbox injects faults into ${formatRate(p.rate)} of AWS requests (${tries}; seed ${p.seed}, run ${p.run}; claw sandbox faults --off)`;
}

export const formatRate = (rate: number): string => `${Number((rate * 100).toFixed(2))} %`;
