import { createHash } from 'node:crypto';
import { SHA256_METADATA, type RemoteBundle } from '../core/bootstrap.js';
import { RemoteError, SandboxUnsupportedError } from '../core/errors.js';
import type { S3Api } from './clients.js';
import { isMissingBucket, isMissingKey } from './s3-errors.js';

// The bootstrap bucket through the narrow S3 interface: does it exist, what checksum
// does a bundle carry, put one with its checksum, get one back, and read the shared
// secrets under age-secrets/. Bodies are handed back as bytes and never logged.

/** The prefix `--from-s3` reads secrets from. */
export const AGE_SECRETS_PREFIX = 'age-secrets/';

/** false when the bucket does not exist (any other failure is thrown as it is). */
export async function bucketExists(s3: S3Api, bucket: string): Promise<boolean> {
  try {
    await s3.headBucket({ Bucket: bucket });
    return true;
  } catch (err) {
    if (isMissingBucket(err)) return false;
    throw err;
  }
}

/** What S3 holds for a bundle: read whole (bundles are small), so its bytes are compared, not only its metadata. */
export async function remoteBundle(s3: S3Api, bucket: string, key: string): Promise<RemoteBundle> {
  let got: GotBundle;
  try {
    got = await getBundle(s3, bucket, key);
  } catch (err) {
    // The simulated account keeps some seeded objects by size only: their bytes are unknown, so they are replaced.
    if (!(err instanceof SandboxUnsupportedError)) throw err;
    const head = await s3.headObject({ Bucket: bucket, Key: key });
    return { exists: true, sha256: head.Metadata?.[SHA256_METADATA], bodySha256: 'unknown' };
  }
  return got.exists ? { exists: true, sha256: got.sha256, bodySha256: createHash('sha256').update(got.body).digest('hex') } : { exists: false };
}

export async function putBundle(s3: S3Api, bucket: string, key: string, body: Uint8Array, sha256: string): Promise<void> {
  await s3.putObject({
    Bucket: bucket,
    Key: key,
    Body: body,
    ContentLength: body.byteLength,
    ContentType: 'application/zstd',
    Metadata: { [SHA256_METADATA]: sha256 },
  });
}

export type GotBundle = { exists: false } | { exists: true; body: Uint8Array; sha256: string | undefined };

export async function getBundle(s3: S3Api, bucket: string, key: string): Promise<GotBundle> {
  try {
    const out = await s3.getObject({ Bucket: bucket, Key: key });
    if (!out.Body) throw new RemoteError(`s3 GetObject s3://${bucket}/${key} returned no body`);
    return { exists: true, body: await out.Body.transformToByteArray(), sha256: out.Metadata?.[SHA256_METADATA] };
  } catch (err) {
    if (isMissingKey(err)) return { exists: false };
    throw err;
  }
}

/** Every object directly under `prefix` (not in sub-folders), by file name. */
async function listNames(s3: S3Api, bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) });
    for (const o of page.Contents ?? []) if (o.Key && o.Key !== prefix) names.push(o.Key.slice(prefix.length));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new RemoteError(`s3 ListObjectsV2 s3://${bucket}/${prefix}: the continuation token repeated; refusing to loop`);
      seen.add(token);
    }
  } while (token !== undefined);
  return names;
}

/**
 * The shared secrets from s3://<bucket>/age-secrets/: each `*.age` object, and the
 * agekey when it is there too. Names that are not `*.age` (or the agekey) are not read.
 */
export async function readS3Secrets(
  s3: S3Api,
  bucket: string,
  wanted: (name: string) => boolean,
  agekeyName: string,
): Promise<{ files: Map<string, Uint8Array>; agekey: Uint8Array | undefined; names: string[] }> {
  const names = await listNames(s3, bucket, AGE_SECRETS_PREFIX);
  if (names.length === 0) return { files: new Map(), agekey: undefined, names };
  const files = new Map<string, Uint8Array>();
  let agekey: Uint8Array | undefined;
  for (const name of names) {
    if (name !== agekeyName && !wanted(name)) continue;
    const got = await getBundle(s3, bucket, `${AGE_SECRETS_PREFIX}${name}`);
    if (!got.exists) continue;
    if (name === agekeyName) agekey = got.body;
    else files.set(name, got.body);
  }
  return { files, agekey, names };
}
