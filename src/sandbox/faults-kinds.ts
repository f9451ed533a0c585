import { awsError, type SdkLikeError } from './errors.js';

// What AWS answers when it misbehaves, per service, as the SDK surfaces it after its
// retries: a server error (500), an overloaded endpoint (503) or throttling, each with
// the code, status and wording the real service uses. A service without an entry (one
// added later) gets the generic set.

export interface FaultKind {
  code: string;
  status: number;
  message: string;
  throttling?: boolean;
}

const INTERNAL: FaultKind = { code: 'InternalError', status: 500, message: 'We encountered an internal error. Please try again.' };
const UNAVAILABLE: FaultKind = { code: 'ServiceUnavailable', status: 503, message: 'Service is unable to handle request.' };
const THROTTLED: FaultKind = { code: 'ThrottlingException', status: 400, message: 'Rate exceeded', throttling: true };

export const FAULT_KINDS: Readonly<Record<string, readonly FaultKind[]>> = {
  ec2: [
    { ...INTERNAL, message: 'An internal error has occurred' },
    { ...UNAVAILABLE, message: 'The request has failed due to a temporary failure of the server.' },
    { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.', throttling: true },
  ],
  s3: [INTERNAL, UNAVAILABLE, { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.', throttling: true }],
  ssm: [INTERNAL, UNAVAILABLE, THROTTLED],
  sts: [INTERNAL, UNAVAILABLE, THROTTLED],
  cloudformation: [INTERNAL, UNAVAILABLE, THROTTLED],
};
const GENERIC: readonly FaultKind[] = [INTERNAL, UNAVAILABLE, THROTTLED];

export const faultKinds = (service: string): readonly FaultKind[] => FAULT_KINDS[service] ?? GENERIC;

/** The error the SDK throws once it gave up: its code as `name`, the tries and the time it waited. */
export function faultError(service: string, kind: FaultKind, attempts: number, totalRetryDelay: number): SdkLikeError {
  const err = awsError(kind.code, kind.message, kind.status, {
    // The SDK marks what its retry strategy treated as retryable; S3 repeats the code.
    $retryable: kind.throttling ? { throttling: true } : {},
    ...(service === 's3' && { Code: kind.code }),
  });
  err.$metadata.attempts = attempts;
  err.$metadata.totalRetryDelay = totalRetryDelay;
  return err;
}
