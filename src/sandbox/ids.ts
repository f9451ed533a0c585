import { createHash, randomBytes } from 'node:crypto';

// Resource ids and ETags in AWS's formats.

/** `i-`, `ami-`, `snap-`, `r-` followed by 17 hex digits, like current AWS ids. */
export function newId(prefix: 'i' | 'ami' | 'snap' | 'r'): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** The ETag of a single-part upload: the quoted MD5 hex of the body. */
export function etagOf(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

const PART_SIZE = 8 * 1024 * 1024;

/**
 * ETag for seeded objects that have only a size (their content is not kept). Objects
 * over 8 MiB get the multipart form `"<hex>-<parts>"`, like a real `aws s3 cp` upload,
 * so code that compares ETags with local MD5s meets the case it must handle.
 */
export function syntheticEtag(key: string, size: number): string {
  const hex = createHash('md5').update(`sandbox-synthetic:${key}:${size}`).digest('hex');
  return size > PART_SIZE ? `"${hex}-${Math.ceil(size / PART_SIZE)}"` : `"${hex}"`;
}
