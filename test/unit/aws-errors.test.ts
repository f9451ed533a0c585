import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwsClients, S3Api } from '../../src/aws/clients.js';
import { explainAwsError } from '../../src/aws/errors.js';
import { instrument } from '../../src/aws/instrument.js';
import { InterruptedError, RemoteError, UsageError } from '../../src/core/errors.js';
import { awsError } from '../../src/sandbox/errors.js';

// How claw words an AWS failure: the SDK's own errors (a real S3Client against a local
// socket, or answering from a request handler that plays the HTTP response), each
// called through instrument() as every command does, so the call is named.

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'eu-central-1';
const unexpected = () => {
  throw new Error('unexpected call');
};

/** The S3 client claw would use, its calls named by instrument(), answering from `handler`. */
function s3Via(opts: { endpoint: string; handle?: () => Promise<{ response: PlayedResponse }> }): Pick<S3Api, 'headObject' | 'putObject'> {
  const client = new S3Client({
    region,
    credentials,
    endpoint: opts.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    ...(opts.handle ? { requestHandler: { handle: opts.handle } } : {}),
  });
  const s3 = { headObject: (i: never) => client.send(new HeadObjectCommand(i)), putObject: (i: never) => client.send(new PutObjectCommand(i)) };
  const others = new Proxy({}, { get: unexpected });
  return instrument({ ec2: others, s3, ssm: others, sts: others, cloudformation: others } as unknown as AwsClients, () => {}).s3;
}

/** The fields of the SDK's HttpResponse its deserializers read. */
interface PlayedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

const fails = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  );

/** What an S3 HEAD answers on error: a status, headers, and no body to read a code from. */
const bodyless = (statusCode: number) => () => Promise.resolve({ response: { statusCode, headers: { 'x-amz-request-id': 'req-1' }, body: Readable.from([]) } });

describe('an error answer without a body (S3 HEAD)', () => {
  const head = (status: number) => fails(s3Via({ endpoint: 'http://127.0.0.1:1', handle: bodyless(status) }).headObject({ Bucket: 'b', Key: 'k' } as never));

  it('is what the SDK calls Unknown / UnknownError, with the status alone', async () => {
    const err = (await head(503)) as Error & { $metadata: { httpStatusCode: number } };
    expect([err.name, err.message, err.$metadata.httpStatusCode]).toEqual(['Unknown', 'UnknownError', 503]);
  });

  it.each([
    [503, 's3 HeadObject failed: S3 is slowing down requests (HTTP 503 SlowDown)', /limits requests per second .*wait a minute and run again/],
    [500, 's3 HeadObject failed: S3 had an internal error (HTTP 500)', /transient on AWS's side/],
    [403, 'not allowed: s3 HeadObject (HTTP 403 access denied)', /needs that permission .*s3:ListBucket/],
    [404, 's3 HeadObject failed: not found (HTTP 404)', /bucket or key does not exist/],
    [400, 's3 HeadObject failed: HTTP 400 Bad Request, without an error message from AWS', undefined],
  ])('HTTP %i: one clear line and a hint, never "Unknown"', async (status, message, hint) => {
    const explained = explainAwsError(await head(status), { region });
    expect(explained).toBeInstanceOf(RemoteError);
    expect(explained!.message).toBe(message);
    if (hint) expect(explained!.hint).toMatch(hint);
    else expect(explained!.hint).toBeUndefined();
  });

  it('outside S3, a body-less 503 or 500 names the service, not S3', () => {
    const e = Object.assign(awsError('Unknown', 'UnknownError', 503), {});
    Object.defineProperty(e, 'clawCall', { value: { service: 'ec2', operation: 'DescribeImages' } });
    expect(explainAwsError(e, { region })!.message).toBe('ec2 DescribeImages failed: the service is unavailable (HTTP 503)');
    const f = awsError('500', '', 500);
    expect(explainAwsError(f, { region })!.message).toBe('AWS failed: AWS had an internal error (HTTP 500)');
  });

  it('an error with a code keeps its code and message', () => {
    const e = awsError('ServiceUnavailable', 'Service is unable to handle request.', 503);
    expect(explainAwsError(e, { region })!.message).toBe('AWS failed: ServiceUnavailable (HTTP 503): Service is unable to handle request.');
  });

  it('throttling says how many tries there were: "after retries" only when there were some', () => {
    const slow = (attempts: number | undefined) => {
      const e = awsError('SlowDown', 'Please reduce your request rate.', 503);
      if (attempts === undefined) delete (e.$metadata as { attempts?: number }).attempts;
      else e.$metadata.attempts = attempts;
      return explainAwsError(e, { region })!;
    };
    expect(slow(1).message).toBe('AWS throttled AWS (SlowDown; 1 try, no retries)');
    expect(slow(1).hint).toBe('try again in a minute, or allow retries (AWS_MAX_ATTEMPTS, default 5)');
    expect(slow(5).message).toBe('AWS kept throttling AWS (SlowDown; 5 tries)');
    expect(slow(undefined).message).toBe('AWS kept throttling AWS after retries (SlowDown)');
  });
});

describe('network failures: never reached, or reached and dropped', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A local endpoint that reads each request whole, then hangs up without answering. */
  async function hangsUp(): Promise<string> {
    server = createServer((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('a connection reset part-way (socket hang up) is a dropped connection, not "cannot reach"', async () => {
    const endpoint = await hangsUp();
    const err = (await fails(s3Via({ endpoint }).putObject({ Bucket: 'b', Key: 'k', Body: 'x' } as never))) as Error & { code: string };
    expect([err.name, err.code, err.message]).toEqual(['TimeoutError', 'ECONNRESET', 'socket hang up']);
    const explained = explainAwsError(err, { region, endpointUrl: endpoint });
    expect(explained).toBeInstanceOf(RemoteError);
    expect(explained!.message).toBe(`the connection to ${endpoint} was dropped during s3 PutObject (ECONNRESET)`);
    expect(explained!.hint).toMatch(/^usually transient .*run the command again/);
    expect(explained!.hint).not.toMatch(/endpoint running/);
  });

  it('a refused connection cannot reach the endpoint', async () => {
    const endpoint = await hangsUp();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const err = await fails(s3Via({ endpoint }).headObject({ Bucket: 'b', Key: 'k' } as never));
    const explained = explainAwsError(err, { region, endpointUrl: endpoint });
    expect(explained!.message).toBe(`cannot reach ${endpoint} (ECONNREFUSED on s3 HeadObject)`);
    expect(explained!.hint).toMatch(/is the endpoint running\?/);
  });

  // The shapes Node and the SDK's HTTP handler give these (which no local socket can
  // produce on demand): the handler renames ECONNRESET, EPIPE and ETIMEDOUT TimeoutError.
  const sdk = (message: string, fields: object) => Object.assign(new Error(message), { name: 'TimeoutError', $metadata: { attempts: 5 } }, fields);
  it.each([
    [
      'EPIPE on a write',
      sdk('write EPIPE', { code: 'EPIPE', syscall: 'write' }),
      'the connection to the eu-central-1 endpoint was dropped during an AWS call (EPIPE)',
    ],
    [
      'ETIMEDOUT on a read',
      sdk('read ETIMEDOUT', { code: 'ETIMEDOUT', syscall: 'read' }),
      'the connection to the eu-central-1 endpoint was dropped during an AWS call (ETIMEDOUT)',
    ],
    [
      'ETIMEDOUT while connecting',
      sdk('connect ETIMEDOUT 3.5.136.1:443', { code: 'ETIMEDOUT', syscall: 'connect' }),
      'cannot reach the eu-central-1 endpoint (ETIMEDOUT on AWS)',
    ],
    [
      "the SDK's connect timeout",
      sdk('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 1000 ms.', {}),
      'cannot reach the eu-central-1 endpoint (connect timeout on AWS)',
    ],
    [
      "the SDK's request timeout",
      sdk('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 3000 ms requestTimeout.', { code: 'ETIMEDOUT' }),
      'AWS at the eu-central-1 endpoint timed out',
    ],
    [
      "the SDK's idle socket timeout (claw's requestTimeout)",
      sdk('@smithy/node-http-handler - the request socket timed out after 1000 ms of inactivity (configured by client requestHandler).', {}),
      'AWS at the eu-central-1 endpoint timed out (no answer within 1s, 5 tries)',
    ],
    [
      'a name that does not resolve',
      Object.assign(new Error('getaddrinfo ENOTFOUND s3.eu-central-1.amazonaws.com'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' }),
      'cannot reach the eu-central-1 endpoint (ENOTFOUND on AWS)',
    ],
    [
      'no route to the host',
      Object.assign(new Error('connect EHOSTUNREACH 10.0.0.1:443'), { code: 'EHOSTUNREACH', syscall: 'connect' }),
      'cannot reach the eu-central-1 endpoint (EHOSTUNREACH on AWS)',
    ],
    [
      'every address refused (happy eyeballs)',
      Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED', syscall: 'connect' })], ''), {}),
      'cannot reach the eu-central-1 endpoint (ECONNREFUSED on AWS)',
    ],
  ])('%s', (_, err, message) => {
    const explained = explainAwsError(err, { region });
    expect(explained).toBeInstanceOf(RemoteError);
    expect(explained!.message).toBe(message);
    expect(explained!.hint).toBeDefined();
  });

  it('without --endpoint-url, "cannot reach" says to check the network', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(explainAwsError(e, { region })!.hint).toBe('check the network');
  });
});

describe('everything else', () => {
  it('an abort is an interruption; a missing profile is bad input; a plain bug is not explained', () => {
    expect(explainAwsError(Object.assign(new Error('aborted'), { name: 'AbortError' }), { region })).toBeInstanceOf(InterruptedError);
    const noProfile = Object.assign(new Error('Profile lab could not be found'), { name: 'CredentialsProviderError' });
    expect(explainAwsError(noProfile, { region, profile: 'lab' })).toBeInstanceOf(UsageError);
    expect(explainAwsError(new TypeError('x is undefined'), { region })).toBeUndefined();
    expect(explainAwsError('a string', { region })).toBeUndefined();
  });
});
