import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Api } from '../../src/aws/clients.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import { recordingSink } from '../../src/core/events.js';
import { rawMotoClients, REGION, type RawClients } from './moto-clients.js';
import { unique } from './backends.js';

// Shared by the sync engine's moto suites: buckets and directories of a test's own,
// trees read back as { key: md5 }, and S3Api wrappers that count or break calls.

export const MiB = 1024 * 1024;
export const md5 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');
export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

export interface SyncWorld {
  raw: RawClients;
  s3: S3Api;
  /** A fresh bucket. */
  bucket(): Promise<string>;
  /** A fresh temporary directory holding `files` (key -> content). */
  dir(files?: Record<string, string | Uint8Array>): Promise<string>;
  close(): Promise<void>;
}

/** claw's production S3 client against moto; `signal` aborts its in-flight requests. */
export function syncClient(endpoint: string, signal?: AbortSignal): S3Api {
  return createSdkClients({
    region: REGION,
    endpointUrl: endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    signal,
    maxSockets: 64,
  }).s3;
}

export function openSyncWorld(endpoint: string): SyncWorld {
  const raw = rawMotoClients(endpoint);
  const dirs: string[] = [];
  return {
    raw,
    s3: syncClient(endpoint),
    bucket: async () => {
      const name = unique('claw-sync');
      await raw.s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: REGION } }));
      return name;
    },
    dir: async (files = {}) => {
      const d = await mkdtemp(join(tmpdir(), 'claw-sync-'));
      dirs.push(d);
      await writeTree(d, files);
      return d;
    },
    close: async () => {
      raw.s3.destroy();
      raw.ec2.destroy();
      raw.ssm.destroy();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export async function writeTree(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [key, body] of Object.entries(files)) {
    const path = join(dir, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
}

/** Every file under dir as key -> md5 of its content. */
export async function localTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[relative(dir, path).split(sep).join('/')] = md5(await readFile(path));
  }
  return out;
}

/** Every object under prefix as key (relative) -> md5 of its body. */
export async function bucketTree(s3: S3Api, bucket: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const list = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix });
  for (const o of list.Contents ?? []) {
    const body = await (await s3.getObject({ Bucket: bucket, Key: o.Key! })).Body!.transformToByteArray();
    out[o.Key!.slice(prefix.length)] = md5(body);
  }
  return out;
}

export const md5Tree = (files: Record<string, string | Uint8Array>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, md5(v)]));

export async function putRaw(raw: RawClients, bucket: string, key: string, body: string | Uint8Array, metadata?: Record<string, string>): Promise<void> {
  await raw.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body), ...(metadata ? { Metadata: metadata } : {}) }),
  );
}

/**
 * An S3Api that records each call ("ListObjectsV2", "PutObject" ...) with its Key (for
 * DeleteObjects, each key), and runs `fault` first: a fault that throws fails the call.
 */
export function watched(
  s3: S3Api,
  fault?: (op: string, input: Record<string, unknown>) => void,
): { s3: S3Api; calls: { op: string; key?: string }[]; ops(): string[] } {
  const calls: { op: string; key?: string }[] = [];
  const wrapped = new Proxy(s3, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const op = prop.charAt(0).toUpperCase() + prop.slice(1);
      return async (input: Record<string, unknown>) => {
        if (op === 'DeleteObjects') {
          for (const o of (input.Delete as { Objects: { Key: string }[] }).Objects) calls.push({ op, key: o.Key });
        } else calls.push({ op, ...(typeof input.Key === 'string' ? { key: input.Key } : {}) });
        fault?.(op, input);
        return (value as (i: unknown) => Promise<unknown>).call(target, input);
      };
    },
  });
  return { s3: wrapped, calls, ops: () => [...new Set(calls.map((c) => c.op))].sort() };
}

export const events = recordingSink;
/** n deterministic bytes (a 251-byte pattern that depends on seed, repeated). */
export function bytesOf(n: number, seed = 1): Uint8Array {
  const block = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 31 + seed * 17) % 256));
  return new Uint8Array(Buffer.alloc(n).fill(block));
}
