import type { LifecycleRule, TransitionDefaultMinimumObjectSize } from '@aws-sdk/client-s3';
import type { S3Api } from './clients.js';

// A bucket's lifecycle configuration, read and written through the narrow S3 interface.

export type BucketLifecycle =
  | { bucketExists: false }
  | {
      bucketExists: true;
      /** The rules as S3 returned them (none when the bucket has no configuration). */
      rules: LifecycleRule[];
      /** Carried back on a write, so replacing the rules does not reset it to the default. */
      transitionDefaultMinimumObjectSize: TransitionDefaultMinimumObjectSize | undefined;
    };

const codeOf = (err: unknown): string | undefined => {
  if (!(err instanceof Error)) return undefined;
  const code = (err as Error & { Code?: unknown }).Code;
  return typeof code === 'string' ? code : err.name;
};

/**
 * The bucket's lifecycle rules. A bucket without a configuration
 * (`NoSuchLifecycleConfiguration`) has no rules; a missing bucket (`NoSuchBucket`) is
 * reported as such for the caller to explain; any other failure is thrown as it is.
 */
export async function readLifecycle(s3: S3Api, bucket: string): Promise<BucketLifecycle> {
  try {
    const out = await s3.getBucketLifecycleConfiguration({ Bucket: bucket });
    return { bucketExists: true, rules: out.Rules ?? [], transitionDefaultMinimumObjectSize: out.TransitionDefaultMinimumObjectSize };
  } catch (err) {
    const code = codeOf(err);
    if (code === 'NoSuchLifecycleConfiguration') return { bucketExists: true, rules: [], transitionDefaultMinimumObjectSize: undefined };
    if (code === 'NoSuchBucket') return { bucketExists: false };
    throw err;
  }
}

/** What S3 applies when a put does not say (since September 2024). */
const TRANSITION_DEFAULT: TransitionDefaultMinimumObjectSize = 'all_storage_classes_128K';

/**
 * Replace the bucket's whole lifecycle configuration with `rules` (S3 has no per-rule
 * write: the caller passes every rule to keep). A non-default
 * TransitionDefaultMinimumObjectSize read before is passed back, or the put would reset it.
 */
export async function writeLifecycle(
  s3: S3Api,
  bucket: string,
  rules: readonly LifecycleRule[],
  transitionDefaultMinimumObjectSize?: TransitionDefaultMinimumObjectSize,
): Promise<void> {
  if (rules.length === 0) throw new Error('writeLifecycle: refusing to write an empty configuration');
  await s3.putBucketLifecycleConfiguration({
    Bucket: bucket,
    LifecycleConfiguration: { Rules: [...rules] },
    ...(transitionDefaultMinimumObjectSize !== undefined && transitionDefaultMinimumObjectSize !== TRANSITION_DEFAULT
      ? { TransitionDefaultMinimumObjectSize: transitionDefaultMinimumObjectSize }
      : {}),
  });
}
