import { createHash, randomBytes } from 'node:crypto';

// Resource ids and ETags in AWS's formats.

/** `i-`, `ami-`, `snap-`, `r-`, `import-snap-` followed by 17 hex digits, like current AWS ids. */
export function newId(prefix: 'i' | 'ami' | 'snap' | 'r' | 'import-snap'): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** The ETag of a single-part upload: the quoted MD5 hex of the body. */
export function etagOf(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

const PART_SIZE = 8 * 1024 * 1024;

/** The ETag S3 gives a multipart upload: the MD5 of the parts' binary MD5s, `-<parts>`. */
export function multipartEtag(partDigests: readonly Uint8Array[]): string {
  const hash = createHash('md5');
  for (const d of partDigests) hash.update(d);
  return `"${hash.digest('hex')}-${partDigests.length}"`;
}

/**
 * ETag for seeded objects that have only a size (their content is not kept). Objects
 * over one part (8 MiB unless said otherwise) get the multipart form `"<hex>-<parts>"`,
 * like a real `aws s3 cp` upload,
 * so code that compares ETags with local MD5s meets the case it must handle.
 */
export function syntheticEtag(key: string, size: number, partSize = PART_SIZE): string {
  const hex = createHash('md5').update(`sandbox-synthetic:${key}:${size}`).digest('hex');
  return size > partSize ? `"${hex}-${Math.ceil(size / partSize)}"` : `"${hex}"`;
}
