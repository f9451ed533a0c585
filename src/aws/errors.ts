import { InterruptedError, RemoteError, UsageError, type ClawError } from '../core/errors.js';

export interface AwsTarget {
  region: string;
  profile?: string | undefined;
  endpointUrl?: string | undefined;
}

type AwsLikeError = Error & {
  code?: string;
  errno?: string;
  $metadata?: { httpStatusCode?: number };
  clawCall?: { service: string; operation: string };
  errors?: unknown[];
};

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const REJECTED = new Set(['AuthFailure', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidAccessKeyId']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'SlowDown', 'TooManyRequestsException']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function networkCode(err: AwsLikeError): string | undefined {
  if (err.code && NETWORK.has(err.code)) return err.code;
  for (const inner of err.errors ?? []) {
    const c = (inner as AwsLikeError).code;
    if (c && NETWORK.has(c)) return c;
  }
  const cause = (err as { cause?: AwsLikeError }).cause;
  return cause && cause !== err ? networkCode(cause) : undefined;
}

/** One clear ClawError for an AWS SDK (or sandbox) failure, or undefined when it is not one. */
export function explainAwsError(error: unknown, target: AwsTarget): ClawError | undefined {
  if (!(error instanceof Error)) return undefined;
  const err = error as AwsLikeError;
  if (err.name === 'AbortError') return new InterruptedError();
  const where = err.clawCall ? `${err.clawCall.service} ${err.clawCall.operation}` : 'AWS';
  const profile = target.profile ? ` --profile ${target.profile}` : '';
  const msg = err.message.split('\n')[0] ?? '';

  if (err.name === 'CredentialsProviderError' || err.name === 'TokenProviderError') {
    if (/profile/i.test(msg) && /(could not be found|could not resolve|not found)/i.test(msg) && target.profile) {
      return new UsageError(`AWS profile "${target.profile}" not found in ~/.aws/config or ~/.aws/credentials`, 'check --profile / AWS_PROFILE, or run "aws configure list-profiles"');
    }
    if (/sso/i.test(msg) && /expired|invalid|refresh/i.test(msg)) {
      return new RemoteError(`AWS SSO session expired${target.profile ? ` for profile ${target.profile}` : ''}`, `run: aws sso login${profile}`);
    }
    return new RemoteError('no AWS credentials found', 'set --profile or AWS_PROFILE, export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run "aws sso login", or try --sandbox');
  }
  if (EXPIRED.has(err.name)) return new RemoteError(`AWS credentials expired (${where})`, `refresh them, e.g. aws sso login${profile}`);
  if (REJECTED.has(err.name)) return new RemoteError(`AWS rejected the credentials (${err.name} on ${where})`, 'check the access key, profile and account');
  if (DENIED.has(err.name)) return new RemoteError(`not allowed: ${where} (${err.name})`, 'the role or user needs that permission');
  if (THROTTLED.has(err.name)) return new RemoteError(`AWS kept throttling ${where} after retries (${err.name})`, 'try again in a minute');

  const net = networkCode(err);
  if (net) {
    const endpoint = target.endpointUrl ?? `the ${target.region} endpoint`;
    return new RemoteError(`cannot reach ${endpoint} (${net} on ${where})`, target.endpointUrl ? 'is the endpoint running? check --endpoint-url / AWS_ENDPOINT_URL' : 'check the network');
  }
  if (err.name === 'TimeoutError') return new RemoteError(`${where} timed out`, 'check the network and try again');
  if (err.$metadata !== undefined) {
    const status = err.$metadata?.httpStatusCode;
    return new RemoteError(`${where} failed: ${err.name}${status ? ` (HTTP ${status})` : ''}: ${msg}`);
  }
  return undefined;
}
