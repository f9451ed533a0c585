import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { destroyRaw, narrowClients, rawMotoClients, REGION } from './moto-clients.js';

// The two backends of the contract suite. Each test seeds what it needs through
// `seed` (raw SDK calls for moto, SandboxAdmin for the sandbox) and queries through
// `clients` (the narrow interfaces). Tests share one moto across files, so every test
// works under names and tag values of its own (`unique()`), never on a reset moto.

export type BackendName = 'sandbox' | 'moto';

export interface SeedInstance {
  tags: Record<string, string>;
  imageId?: string;
  instanceType?: string;
  availabilityZone?: string;
  state?: 'running' | 'stopped' | 'terminated';
}

export interface SeedImage {
  name: string;
  tags?: Record<string, string>;
  /** Owned by another account and public (an Amazon image on moto). */
  foreign?: boolean;
}

export interface Backend {
  name: BackendName;
  clients: AwsClients;
  seed: {
    runInstance(i: SeedInstance): Promise<string>;
    registerImage(i: SeedImage): Promise<string>;
    createBucket(name: string): Promise<void>;
    putObject(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  };
  /** Only on the sandbox backend: the sandbox itself, for sandbox-only tests. */
  sandbox?: Sandbox;
  close(): Promise<void>;
}

export const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
/** A well-formed AMI id used only to launch instances (neither backend checks it exists). */
export const ANY_AMI = 'ami-0123456789abcdef0';

export function unique(prefix = 'ct'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function openSandboxBackend(): Promise<Backend> {
  const home = await mkdtemp(join(tmpdir(), 'claw-contract-'));
  const sandbox = await openSandbox({ home, seedDir: SEED_DIR });
  const { admin } = sandbox;
  return {
    name: 'sandbox',
    clients: sandbox.clients,
    sandbox,
    seed: {
      runInstance: (i) =>
        admin.runInstance({
          imageId: i.imageId ?? ANY_AMI,
          instanceType: i.instanceType ?? 't3.micro',
          availabilityZone: i.availabilityZone ?? `${REGION}a`,
          state: i.state ?? 'running',
          tags: i.tags,
        }),
      registerImage: async (i) => {
        const foreign = i.foreign ? { ownerId: '801119661308', ownerAlias: 'amazon', public: true } : {};
        const { imageId } = await admin.registerImage({ name: i.name, tags: i.tags ?? {}, ...foreign });
        return imageId;
      },
      createBucket: (name) => admin.createBucket(name),
      putObject: (bucket, key, body) => admin.putObject(bucket, key, body),
    },
    close: () => rm(home, { recursive: true, force: true, maxRetries: 5 }),
  };
}

export function openMotoBackend(endpoint: string): Backend {
  const raw = rawMotoClients(endpoint);
  let amazonImages: Promise<string[]> | undefined;
  const tag = async (id: string, tags: Record<string, string> | undefined) => {
    const list = Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    if (list.length > 0) await raw.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: list }));
  };
  return {
    name: 'moto',
    clients: narrowClients(endpoint),
    seed: {
      runInstance: async (i) => {
        const tags = Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value }));
        const out = await raw.ec2.send(
          new RunInstancesCommand({
            ImageId: i.imageId ?? ANY_AMI,
            MinCount: 1,
            MaxCount: 1,
            InstanceType: (i.instanceType ?? 't3.micro') as 't3.micro',
            Placement: { AvailabilityZone: i.availabilityZone ?? `${REGION}a` },
            ...(tags.length > 0 && { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }),
          }),
        );
        const id = out.Instances?.[0]?.InstanceId;
        if (!id) throw new Error('moto RunInstances returned no instance');
        if (i.state === 'stopped') await raw.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
        if (i.state === 'terminated') await raw.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
        return id;
      },
      registerImage: async (i) => {
        if (i.foreign) {
          // moto ships ~1000 public Amazon images; tag a random one so parallel tests rarely share it.
          amazonImages ??= raw.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] })).then((r) => (r.Images ?? []).map((img) => img.ImageId!));
          const ids = await amazonImages;
          const id = ids[Math.floor(Math.random() * ids.length)];
          if (!id) throw new Error('moto has no Amazon images to use as a foreign image');
          await tag(id, i.tags);
          return id;
        }
        const out = await raw.ec2.send(new RegisterImageCommand({ Name: i.name }));
        await tag(out.ImageId!, i.tags);
        return out.ImageId!;
      },
      createBucket: async (name) => {
        await raw.s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: REGION } }));
      },
      putObject: async (bucket, key, body) => {
        await raw.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      },
    },
    close: async () => destroyRaw(raw),
  };
}

/**
 * The moto endpoint from the global setup, or null with the reason to print when the
 * moto half must skip. A run without the global setup wired in cannot reach moto at
 * all: that skips locally but fails under CI=true, like a missing moto does.
 */
export function motoEndpoint(): { endpoint: string; reason: null } | { endpoint: null; reason: string } {
  const endpoint = inject('motoEndpoint') as string | null | undefined;
  if (endpoint) return { endpoint, reason: null };
  if (endpoint === undefined) {
    const reason = 'the vitest globalSetup test/helpers/moto-global-setup.ts is not wired in (vitest.config.ts test.globalSetup)';
    if (process.env.CI === 'true') throw new Error(`contract tests under CI=true need moto: ${reason}`);
    return { endpoint: null, reason };
  }
  return { endpoint: null, reason: inject('motoSkipReason') ?? 'moto is not available' };
}

/**
 * `describe` the same tests once per backend. The moto half skips (loudly) when the
 * global setup found no moto; under CI=true the global setup fails instead.
 */
export function forEachBackend(title: string, body: (backend: () => Backend) => void): void {
  for (const name of ['sandbox', 'moto'] as const) {
    const moto = name === 'moto' ? motoEndpoint() : undefined;
    if (moto && moto.endpoint === null) {
      console.warn(`!! SKIPPED: "${title}" against moto: ${moto.reason}`);
      describe.skip(`${title} [moto]`, () => body(() => unreachable()));
      continue;
    }
    describe(`${title} [${name}]`, () => {
      let backend: Backend | undefined;
      beforeAll(async () => {
        backend = moto ? openMotoBackend(moto.endpoint) : await openSandboxBackend();
      });
      afterAll(async () => {
        await backend?.close();
      });
      body(() => {
        if (!backend) throw new Error('backend not open yet');
        return backend;
      });
    });
  }
}

function unreachable(): never {
  throw new Error('skipped backend used');
}

/** The root snapshot of an image, as DescribeImages reports it. */
export async function rootSnapshotOf(b: Backend, imageId: string): Promise<string> {
  const img = (await b.clients.ec2.describeImages({ ImageIds: [imageId] })).Images![0]!;
  const root = img.BlockDeviceMappings?.find((m) => m.DeviceName === img.RootDeviceName)?.Ebs?.SnapshotId;
  if (!root) throw new Error(`image ${imageId} has no root snapshot`);
  return root;
}

/** The SDK error shape both backends must produce. */
export async function expectAwsError(
  call: Promise<unknown>,
  name: string,
  httpStatusCode: number,
): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  const err = (await call.then(
    () => {
      throw new Error(`expected ${name}, but the call succeeded`);
    },
    (e: unknown) => e,
  )) as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
  expect(err).toBeInstanceOf(Error);
  expect({ name: err.name, fault: err.$fault, status: err.$metadata?.httpStatusCode }).toEqual({
    name,
    fault: 'client',
    status: httpStatusCode,
  });
  return err;
}

/**
 * Call `page(token)` until it returns no token; the pages' items in order. Throws after
 * `limit` pages: against the in-process sandbox an endless pagination would never yield
 * to the event loop, so the test timeout alone could not stop it.
 */
export async function collectPages<T>(page: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>, limit = 50): Promise<T[][]> {
  const pages: T[][] = [];
  let token: string | undefined;
  do {
    if (pages.length >= limit) throw new Error(`pagination did not end after ${limit} pages`);
    const out = await page(token);
    pages.push(out.items);
    token = out.next;
  } while (token);
  return pages;
}
