import { awsError } from './errors.js';

// What the sandbox's S3 operations share: S3's errors and key rules.

export function noSuchBucket(name: string | undefined) {
  return awsError('NoSuchBucket', 'The specified bucket does not exist', 404, { Code: 'NoSuchBucket', BucketName: name });
}

/** HEAD answers have no body: the SDK can only name the error after the status. */
export function headNotFound() {
  return awsError('NotFound', 'UnknownError', 404);
}

export function checkKey(key: string | undefined): asserts key is string {
  if (key === undefined || key === '') throw awsError('InvalidArgument', 'Object key must not be empty', 400, { Code: 'InvalidArgument' });
  if (Buffer.byteLength(key, 'utf8') > 1024) {
    throw awsError('KeyTooLongError', 'Your key is too long', 400, { Code: 'KeyTooLongError' });
  }
}

/** S3 stores user metadata names in lower case. */
export function lowerCaseMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));
}
