import { randomBytes } from 'node:crypto';
import { SandboxUnsupportedError } from '../core/errors.js';

// Errors thrown by the sandbox. Service errors look like the SDK's (an Error whose
// `name` is the AWS error code, with `$fault` and `$metadata.httpStatusCode`), so the
// error handling above the narrow interfaces works the same in both modes. A request
// the sandbox does not simulate is a different thing: a bug to report, never a fake
// AWS answer, so it is core's SandboxUnsupportedError, without `$metadata`.

export interface SdkLikeError extends Error {
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode: number; requestId: string; attempts: number; totalRetryDelay: number };
  /** S3 errors carry their code here too. */
  Code?: string;
  [extra: string]: unknown;
}

export function awsError(code: string, message: string, httpStatusCode = 400, extra: Record<string, unknown> = {}): SdkLikeError {
  const err = new Error(message) as SdkLikeError;
  err.name = code;
  err.$fault = httpStatusCode >= 500 ? 'server' : 'client';
  err.$metadata = {
    httpStatusCode,
    requestId: randomBytes(16).toString('hex'),
    attempts: 1,
    totalRetryDelay: 0,
  };
  Object.assign(err, extra);
  return err;
}

/** Throw when `input` sets any parameter outside `supported` (undefined values count as unset). */
export function rejectUnsupported(operation: string, input: object, supported: readonly string[]): void {
  const extra = Object.entries(input)
    .filter(([key, value]) => value !== undefined && !supported.includes(key))
    .map(([key]) => key);
  if (extra.length > 0) {
    const names = extra.map((k) => `"${k}"`).join(', ');
    throw new SandboxUnsupportedError(`${operation} does not implement parameter${extra.length > 1 ? 's' : ''} ${names} (supported: ${supported.join(', ')})`);
  }
}

/** The SDK's successful-response metadata. */
export function okMetadata(httpStatusCode = 200) {
  return { httpStatusCode, requestId: randomBytes(16).toString('hex'), attempts: 1, totalRetryDelay: 0 };
}
