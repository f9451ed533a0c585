import { UsageError } from './errors.js';
import { BUCKET_RE, S3_PREFIX_RE } from './patterns.js';

// Where a sync reads or writes: a local directory or an S3 prefix. Keys are relative
// to that root and joined with "/" on both sides.

export type SyncLocation = { kind: 'local'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

/** claw's own folder at the top of a pull's target, where downloads land before they are renamed into place. */
export const TEMP_DIR = '.claw-tmp';

/**
 * `s3://bucket` or `s3://bucket/prefix[/]` as a location; the prefix always ends in "/"
 * (like the aws CLI, `s3://b/latest` syncs the "folder" latest/). Strict: a bad bucket
 * name or prefix is a UsageError naming it.
 */
export function parseS3Url(url: string): SyncLocation {
  const fix = 'write it as s3://<bucket>/<prefix>/, e.g. s3://my-backups/latest/';
  if (!url.startsWith('s3://')) throw new UsageError(`not an S3 URL: "${url}"`, fix);
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const raw = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new UsageError(
      `"${bucket}" in ${url} is not a valid S3 bucket name`,
      'bucket names are 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit',
    );
  }
  if (raw === '') return { kind: 's3', bucket, prefix: '' };
  const trimmed = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const segments = trimmed.split('/');
  if (!S3_PREFIX_RE.test(trimmed) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UsageError(
      `"${raw}" in ${url} is not a prefix claw syncs`,
      'use letters, digits, ".", "_", "-" and "/" between non-empty names, e.g. s3://my-backups/snapshots/2026-01-01-00-00/',
    );
  }
  return { kind: 's3', bucket, prefix: `${trimmed}/` };
}

/** How a location is shown: `s3://bucket/prefix/` or the directory. */
export function describeLocation(loc: SyncLocation): string {
  return loc.kind === 's3' ? `s3://${loc.bucket}/${loc.prefix}` : loc.dir;
}

/**
 * Why an S3 key cannot become a local file under the destination directory (path
 * traversal, empty or dot segments, claw's temporary folder), or undefined when it can.
 */
export function localKeyProblem(key: string): string | undefined {
  if (key === '') return 'an empty name';
  if (key.includes('\0')) return 'a NUL character';
  if (key.startsWith('/')) return 'a leading "/"';
  if (key.endsWith('/')) return 'a trailing "/" on a non-empty object';
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') return 'an empty path segment ("//")';
    if (segment === '.' || segment === '..') return `a "${segment}" path segment`;
  }
  if (segments[0] === TEMP_DIR) return `"${TEMP_DIR}" at the top, the name of claw's temporary folder`;
  return undefined;
}
