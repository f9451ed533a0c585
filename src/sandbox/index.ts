import type { AwsClients } from '../aws/clients.js';
import { createAdmin, type SandboxAdmin } from './admin.js';
import { createCloudFormation } from './cloudformation.js';
import { createEc2 } from './ec2.js';
import { createFaultLayer, faultWarning } from './faults.js';
import { removeFaults, sandboxFaultsPath, takeRun } from './faults-store.js';
import { loadFixture } from './fixture.js';
import { clientsInRegion } from './regions.js';
import { createS3 } from './s3.js';
import { seedState } from './seed.js';
import { createSsh, type SshHosts } from './ssh.js';
import { createSsm } from './ssm.js';
import { createSts } from './sts.js';
import type { SandboxState } from './state.js';
import { stat } from 'node:fs/promises';
import { stateLock } from './state-lock.js';
import { readState, removeState, sandboxStatePath, writeStateAtomic } from './store.js';
import type { SandboxWorld } from './world.js';

// A simulated AWS account behind the narrow client interfaces, persisted as JSON in
// `<home>/sandbox/state.json` and seeded from a fixture directory on first use.

export interface SandboxOptions {
  /** claw's home directory; the state lives in `<home>/sandbox/state.json`. */
  home: string;
  /** The seed fixture (fixtures/sandbox). */
  seedDir: string;
  /** The clock: resolves the seed's relative times and stamps new objects. */
  now?: () => Date;
  /**
   * Inject the faults `claw sandbox faults` set (default true); false opens the account
   * as it is, e.g. for a test that inspects it between claw runs.
   */
  faults?: boolean;
  /**
   * Told once, on the first call, when faults are injected: the warning line (without a
   * "warning:" prefix). Default: not told (the caller owns the process's streams).
   */
  onFaults?: (message: string) => void;
  /** The revs the seed's `{rev:<name>}` stand for, asked only when seeding (default: the seed's own, DEFAULT_SEED_REVS). */
  revs?: () => Readonly<Record<string, string>> | undefined;
}

export interface Sandbox {
  clients: AwsClients;
  /** The clients as seen from another region: the account answers in its own region only (OptInRequired elsewhere). */
  clientsFor(region: string): AwsClients;
  admin: SandboxAdmin;
  /** The hosts outside the account, over ssh (runbook steps on the sandbox). */
  ssh: SshHosts;
  /** Where the state is persisted. */
  statePath: string;
  /** Persist the state (mutating calls already do). */
  save(): Promise<void>;
  /**
   * Run `fn` (admin calls) under the account's cross-process lock, on the account as on
   * disk: for changing the account while claw processes are working on it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * For a long-lived process (the dashboard, each refresh): the next call reads the
   * `claw sandbox faults` settings again, as a new run. A no-op when opened with faults false.
   */
  newRun(): void;
}

/** What identifies the file as last read or written: another process's write changes it. */
const signature = async (file: string) => {
  const st = await stat(file).catch(() => undefined);
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : undefined;
};

function build(state: SandboxState, file: string, now: () => Date, known: string | undefined): Sandbox {
  let chain: Promise<void> = Promise.resolve();
  // The file as this process last read or wrote it: anything else is another process's write.
  let seen = known;
  const world: SandboxWorld = {
    state,
    now,
    // Writes run one after another, so the last mutation's state is the one on disk.
    persist: () => {
      const snapshot = world.state;
      const write = chain
        .catch(() => undefined)
        .then(async () => {
          await writeStateAtomic(file, snapshot);
          seen = await signature(file);
        });
      chain = write;
      return write;
    },
  };
  const lock = stateLock(`${file}.lock`);
  // Every call: under the lock, the account as on disk (re-read only when another process
  // wrote it since), the call, its writes finished, then the lock released.
  const guarded = async <T>(fn: () => Promise<T>): Promise<T> =>
    lock.run(async () => {
      await chain.catch(() => undefined);
      const onDisk = await signature(file);
      if (onDisk !== undefined && onDisk !== seen) {
        world.state = (await readState(file)) ?? world.state;
        seen = onDisk;
      }
      try {
        return await fn();
      } finally {
        await chain.catch(() => undefined);
      }
    });
  const raw: AwsClients = {
    ec2: createEc2(world),
    s3: createS3(world),
    ssm: createSsm(world),
    sts: createSts(world),
    cloudformation: createCloudFormation(world),
  };
  const clients = lockedClients(raw, guarded);
  const ssh = createSsh(world);
  return {
    clients,
    clientsFor: (region) => clientsInRegion(clients, state.region, region),
    admin: createAdmin(world),
    ssh: { run: (name, command) => guarded(() => ssh.run(name, command)) },
    statePath: file,
    save: world.persist,
    exclusive: guarded,
    newRun: () => {},
  };
}

async function seedInto(file: string, opts: SandboxOptions, now: () => Date): Promise<SandboxState> {
  // Seeded under the lock: two first runs at once seed the account once.
  return stateLock(`${file}.lock`).run(async () => {
    const existing = await readState(file);
    if (existing) return existing;
    const state = seedState(await loadFixture(opts.seedDir, opts.revs?.()), now());
    await writeStateAtomic(file, state);
    return state;
  });
}

/** Each method of each client run through `guard`. */
function lockedClients(clients: AwsClients, guard: <T>(fn: () => Promise<T>) => Promise<T>): AwsClients {
  const wrap = <T extends object>(api: T): T =>
    Object.fromEntries(
      Object.entries(api).map(([name, fn]) => [name, (...args: unknown[]) => guard(() => (fn as (...a: unknown[]) => Promise<unknown>).apply(api, args))]),
    ) as T;
  return { ec2: wrap(clients.ec2), s3: wrap(clients.s3), ssm: wrap(clients.ssm), sts: wrap(clients.sts), cloudformation: wrap(clients.cloudformation) };
}

/** Open the sandbox, seeding it from `seedDir` when no state exists yet. */
export async function openSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const now = opts.now ?? (() => new Date());
  const file = sandboxStatePath(opts.home);
  // Read first: an invalid faults.json stops the command before the account is touched.
  const state = (await readState(file)) ?? (await seedInto(file, opts, now));
  const sandbox = build(state, file, now, await signature(file));
  // Always behind the layer (unless asked not to): faults turned on while a process runs apply from its next run.
  return opts.faults === false ? sandbox : withFaults(sandbox, opts);
}

/** The sandbox with every client call behind the fault layer (src/sandbox/faults.ts). */
function withFaults(sandbox: Sandbox, opts: SandboxOptions): Sandbox {
  // This process's run number is taken, and the warning given, on the first call.
  const layer = createFaultLayer({
    start: async () => {
      const s = await takeRun(sandboxFaultsPath(opts.home));
      if (!s) return undefined;
      const plan = { rate: s.rate, seed: s.seed, attempts: s.attempts, run: s.runs };
      opts.onFaults?.(faultWarning(plan));
      return plan;
    },
  });
  const clients = layer.wrap(sandbox.clients);
  // The account's own region answers with the same clients, as without faults.
  const clientsFor = (region: string) => {
    const raw = sandbox.clientsFor(region);
    return raw === sandbox.clients ? clients : layer.wrap(raw);
  };
  return { ...sandbox, clients, clientsFor, newRun: () => layer.renew() };
}

/** Delete the state and seed it again (relative times resolved against the clock now). */
export async function resetSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const now = opts.now ?? (() => new Date());
  const file = sandboxStatePath(opts.home);
  // Load the fixture first: a broken seed must not cost the operator the old state.
  const state = seedState(await loadFixture(opts.seedDir, opts.revs?.()), now());
  await stateLock(`${file}.lock`).run(async () => {
    await removeState(file);
    await writeStateAtomic(file, state);
  });
  // A fresh account is a well-behaved one: fault injection is cleared too.
  await removeFaults(sandboxFaultsPath(opts.home));
  return build(state, file, now, await signature(file));
}

export type { SandboxAdmin, RunInstanceOptions, RegisterManagedInstanceOptions, SeedBody } from './admin.js';
export type { RegisterImageOptions, CreateSnapshotOptions, FailNextImportOptions } from './admin-images.js';
export type { HostAdmin } from './admin-hosts.js';
export type { HostRecord, ServiceStateName } from './state-ssm.js';
export type { SandboxState, InstanceStateName, ImageStateName, PingStatusName, SpotPriceRecord, InstanceTypeRecord } from './state.js';
export type { SdkLikeError } from './errors.js';
export { sandboxStatePath } from './store.js';
export { sandboxFaultsPath } from './faults-store.js';
export { SEED_FILES } from './fixture.js';
