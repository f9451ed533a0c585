import type { AwsClients } from '../aws/clients.js';
import { createAdmin, type SandboxAdmin } from './admin.js';
import { createCloudFormation } from './cloudformation.js';
import { createEc2 } from './ec2.js';
import { createFaultLayer, faultWarning } from './faults.js';
import { readFaults, removeFaults, sandboxFaultsPath, takeRun } from './faults-store.js';
import { loadFixture } from './fixture.js';
import { clientsInRegion } from './regions.js';
import { createS3 } from './s3.js';
import { seedState } from './seed.js';
import { createSsm } from './ssm.js';
import { createSts } from './sts.js';
import type { SandboxState } from './state.js';
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
}

export interface Sandbox {
  clients: AwsClients;
  /** The clients as seen from another region: the account answers in its own region only (OptInRequired elsewhere). */
  clientsFor(region: string): AwsClients;
  admin: SandboxAdmin;
  /** Where the state is persisted. */
  statePath: string;
  /** Persist the state (mutating calls already do). */
  save(): Promise<void>;
}

function build(state: SandboxState, file: string, now: () => Date): Sandbox {
  let chain: Promise<void> = Promise.resolve();
  const world: SandboxWorld = {
    state,
    now,
    // Writes run one after another, so the last mutation's state is the one on disk.
    persist: () => {
      const write = chain.catch(() => undefined).then(() => writeStateAtomic(file, state));
      chain = write;
      return write;
    },
  };
  const clients: AwsClients = { ec2: createEc2(world), s3: createS3(world), ssm: createSsm(world), sts: createSts(world), cloudformation: createCloudFormation(world) };
  return {
    clients,
    clientsFor: (region) => clientsInRegion(clients, state.region, region),
    admin: createAdmin(world),
    statePath: file,
    save: world.persist,
  };
}

async function seedInto(file: string, opts: SandboxOptions, now: () => Date): Promise<SandboxState> {
  const state = seedState(await loadFixture(opts.seedDir), now());
  await writeStateAtomic(file, state);
  return state;
}

/** Open the sandbox, seeding it from `seedDir` when no state exists yet. */
export async function openSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const now = opts.now ?? (() => new Date());
  const file = sandboxStatePath(opts.home);
  // Read first: an invalid faults.json stops the command before the account is touched.
  const faulty = opts.faults !== false && (await readFaults(sandboxFaultsPath(opts.home))) !== undefined;
  const state = (await readState(file)) ?? (await seedInto(file, opts, now));
  const sandbox = build(state, file, now);
  return faulty ? withFaults(sandbox, opts) : sandbox;
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
  return { ...sandbox, clients: layer.wrap(sandbox.clients), clientsFor: (region) => layer.wrap(sandbox.clientsFor(region)) };
}

/** Delete the state and seed it again (relative times resolved against the clock now). */
export async function resetSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const now = opts.now ?? (() => new Date());
  const file = sandboxStatePath(opts.home);
  // Load the fixture first: a broken seed must not cost the operator the old state.
  const state = seedState(await loadFixture(opts.seedDir), now());
  await removeState(file);
  await writeStateAtomic(file, state);
  // A fresh account is a well-behaved one: fault injection is cleared too.
  await removeFaults(sandboxFaultsPath(opts.home));
  return build(state, file, now);
}

export type { SandboxAdmin, RunInstanceOptions, RegisterManagedInstanceOptions, SeedBody } from './admin.js';
export type { RegisterImageOptions, CreateSnapshotOptions, FailNextImportOptions } from './admin-images.js';
export type { HostAdmin } from './admin-hosts.js';
export type { HostRecord, ServiceStateName } from './state-ssm.js';
export type { SandboxState, InstanceStateName, ImageStateName, PingStatusName, SpotPriceRecord, InstanceTypeRecord } from './state.js';
export { SandboxUnsupportedError, type SdkLikeError } from './errors.js';
export { sandboxStatePath } from './store.js';
export { sandboxFaultsPath } from './faults-store.js';
export { SEED_FILES } from './fixture.js';
