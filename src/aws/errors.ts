import { STATUS_CODES } from 'node:http';
import { InterruptedError, RemoteError, UsageError, type ClawError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

export interface AwsTarget {
  region: string;
  profile?: string | undefined;
  endpointUrl?: string | undefined;
}

type AwsLikeError = Error & {
  code?: string;
  errno?: string;
  syscall?: string;
  $metadata?: { httpStatusCode?: number };
  clawCall?: { service: string; operation: string };
  errors?: unknown[];
};

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const REJECTED = new Set(['AuthFailure', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidAccessKeyId']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'SlowDown', 'TooManyRequestsException']);
// Never connected: nothing answered at that address (or the name did not resolve).
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
// Connected, then the connection went away mid-request ("socket hang up" is ECONNRESET).
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

interface NetworkFailure {
  code: string;
  /** The connection was made, then dropped: the endpoint is there, the request may even have been done. */
  dropped: boolean;
}

function networkFailure(err: AwsLikeError): NetworkFailure | undefined {
  const code = err.code;
  if (code && DROPPED.has(code)) return { code, dropped: err.syscall !== 'connect' };
  // The SDK's requestTimeout (sent, no answer in time) is a timeout, not a network failure.
  if (code === 'ETIMEDOUT' && /requestTimeout/.test(err.message)) return undefined;
  // A timeout on a socket that was open (a read or write), not while connecting.
  if (code === 'ETIMEDOUT' && (err.syscall === 'read' || err.syscall === 'write')) return { code, dropped: true };
  if (code && UNREACHABLE.has(code)) return { code, dropped: false };
  // The SDK's connectionTimeout (a TimeoutError without a code).
  if (err.name === 'TimeoutError' && /did not establish a connection/i.test(err.message)) return { code: 'connect timeout', dropped: false };
  // Node's happy eyeballs reports every address it tried in an AggregateError.
  for (const inner of err.errors ?? []) {
    const found = inner instanceof Error ? networkFailure(inner as AwsLikeError) : undefined;
    if (found) return found;
  }
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause !== err ? networkFailure(cause as AwsLikeError) : undefined;
}

/**
 * An error answer without an error body, which the SDK names "Unknown" (or by the status
 * alone): every HEAD request's (S3 HeadObject, HeadBucket), whose answer has no body.
 */
function bodylessStatus(err: AwsLikeError): number | undefined {
  const status = err.$metadata?.httpStatusCode;
  if (status === undefined || status < 300) return undefined;
  const nameless = err.name === 'Unknown' || err.name === 'UnknownError' || err.name === '' || /^\d{3}$/.test(err.name);
  return nameless || err.message === 'UnknownError' || err.message === '' ? status : undefined;
}

function explainBodyless(status: number, where: string, service: string | undefined): ClawError {
  const s3 = service === 's3';
  switch (status) {
    case 503:
      return s3
        ? new RemoteError(
            `${where} failed: S3 is slowing down requests (HTTP 503 SlowDown)`,
            'S3 limits requests per second on a prefix, or is briefly unavailable; claw already retried: wait a minute and run again',
          )
        : new RemoteError(
            `${where} failed: the service is unavailable (HTTP 503)`,
            'AWS is overloaded or briefly unavailable; claw already retried: wait a minute and run again',
          );
    case 500:
      return new RemoteError(
        `${where} failed: ${s3 ? 'S3' : 'AWS'} had an internal error (HTTP 500)`,
        "usually transient on AWS's side; claw already retried: run again",
      );
    case 403:
      return new RemoteError(
        `not allowed: ${where} (HTTP 403 access denied)`,
        s3
          ? 'the role or user needs that permission on the bucket and key (S3 also answers 403 for a missing key when s3:ListBucket is not allowed)'
          : 'the role or user needs that permission',
      );
    case 404:
      return new RemoteError(`${where} failed: not found (HTTP 404)`, s3 ? 'the bucket or key does not exist: check the bucket name' : undefined);
    default: {
      const text = STATUS_CODES[status];
      return new RemoteError(`${where} failed: HTTP ${status}${text ? ` ${text}` : ''}, without an error message from AWS`);
    }
  }
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
      return new UsageError(
        `AWS profile "${target.profile}" not found in ~/.aws/config or ~/.aws/credentials`,
        'check --profile / AWS_PROFILE, or run "aws configure list-profiles"',
      );
    }
    if (/sso/i.test(msg) && /expired|invalid|refresh/i.test(msg)) {
      return new RemoteError(`AWS SSO session expired${target.profile ? ` for profile ${target.profile}` : ''}`, `run: aws sso login${profile}`);
    }
    return new RemoteError(
      'no AWS credentials found',
      'set --profile or AWS_PROFILE, export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run "aws sso login", or try --sandbox',
    );
  }
  if (EXPIRED.has(err.name)) return new RemoteError(`AWS credentials expired (${where})`, `refresh them, e.g. aws sso login${profile}`);
  if (REJECTED.has(err.name)) return new RemoteError(`AWS rejected the credentials (${err.name} on ${where})`, 'check the access key, profile and account');
  if (DENIED.has(err.name)) return new RemoteError(`not allowed: ${where} (${err.name})`, 'the role or user needs that permission');
  if (THROTTLED.has(err.name)) {
    // The SDK says how many tries it made: "after retries" only when there were some.
    const attempts = (err as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
    const tries = typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 1 ? attempts : undefined;
    if (tries === 1)
      return new RemoteError(
        `AWS throttled ${where} (${err.name}; 1 try, no retries)`,
        'try again in a minute, or allow retries (AWS_MAX_ATTEMPTS, default 5)',
      );
    return new RemoteError(
      `AWS kept throttling ${where} ${tries === undefined ? `after retries (${err.name})` : `(${err.name}; ${tries} tries)`}`,
      'try again in a minute',
    );
  }

  const endpoint = target.endpointUrl ? redactUrl(target.endpointUrl) : `the ${target.region} endpoint`;
  const net = networkFailure(err);
  if (net?.dropped) {
    return new RemoteError(
      `the connection to ${endpoint} was dropped during ${err.clawCall ? where : 'an AWS call'} (${net.code})`,
      'usually transient (the endpoint was reached, then the connection was cut): run the command again; if it keeps happening, look for a proxy or firewall cutting connections',
    );
  }
  if (net)
    return new RemoteError(
      `cannot reach ${endpoint} (${net.code} on ${where})`,
      target.endpointUrl ? 'is the endpoint running? check --endpoint-url / AWS_ENDPOINT_URL' : 'check the network',
    );
  if (err.name === 'TimeoutError') {
    const idle = /after (\d+) ms of inactivity/.exec(msg);
    const within = idle
      ? ` (no answer within ${Number(idle[1]) / 1000}s${(err.$metadata as { attempts?: number } | undefined)?.attempts ? `, ${(err.$metadata as { attempts?: number }).attempts} tries` : ''})`
      : '';
    return new RemoteError(
      `${where} at ${endpoint} timed out${within}`,
      'the endpoint accepted the connection but did not answer: check the network, --endpoint-url and any proxy; CLAW_REQUEST_TIMEOUT sets the wait',
    );
  }
  const bodyless = bodylessStatus(err);
  if (bodyless !== undefined) return explainBodyless(bodyless, where, err.clawCall?.service);
  if (err.$metadata !== undefined) {
    const status = err.$metadata?.httpStatusCode;
    return new RemoteError(`${where} failed: ${err.name}${status ? ` (HTTP ${status})` : ''}: ${msg}`);
  }
  return undefined;
}
