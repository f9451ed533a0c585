import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { explainAwsError } from '../../src/aws/errors.js';
import { instrument } from '../../src/aws/instrument.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import {
  exhaustedCalls,
  mulberry32,
  randomFaults,
  startFaultProxy,
  type Fault,
  type FaultProxy,
  type Protocol,
  type SeenRequest,
} from '../helpers/fault-proxy.js';

// The fault proxy itself, through the production SDK clients (EC2, S3, STS) and raw SDK
// clients for the JSON and awsQuery services claw also calls (SSM, CloudFormation): each
// injected fault surfaces as the error AWS would send (name, HTTP status), is retried by
// the SDK when tries are left, and claw explains it in one line.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED fault proxy contract: ${inject('motoSkipReason')}`);

const REGION = 'eu-central-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const bucket = `claw-fault-proxy-${randomBytes(4).toString('hex')}`;

/** What the current test wants done to the next matching requests. */
let script: { times: number; fault: Fault } = { times: 0, fault: undefined };
let proxy: FaultProxy;
const inject_ = (fault: Fault, times = 1) => (script = { times, fault });

/** One call per protocol, the way claw makes it, with the number of tries allowed. */
interface Case {
  service: string;
  protocol: Protocol;
  action: string;
  throttle: { name: string; status: number };
  server: { 500: string; 503: string };
  call(maxAttempts: number): Promise<{ $metadata: { attempts?: number; httpStatusCode?: number } }>;
}

const claw = (maxAttempts: number) => createSdkClients({ region: REGION, endpointUrl: proxy.endpoint, credentials, maxAttempts });
const cases: Case[] = [
  {
    service: 'ec2',
    protocol: 'ec2',
    action: 'DescribeImages',
    throttle: { name: 'RequestLimitExceeded', status: 503 },
    server: { 500: 'InternalError', 503: 'Unavailable' },
    call: (n) => claw(n).ec2.describeImages({ Owners: ['self'], Filters: [{ Name: 'tag:nothing', Values: [bucket] }] }),
  },
  {
    service: 's3',
    protocol: 's3',
    action: 'ListObjectsV2',
    throttle: { name: 'SlowDown', status: 503 },
    server: { 500: 'InternalError', 503: 'ServiceUnavailable' },
    call: (n) => claw(n).s3.listObjectsV2({ Bucket: bucket }),
  },
  {
    service: 'sts',
    protocol: 'query',
    action: 'GetCallerIdentity',
    throttle: { name: 'Throttling', status: 400 },
    server: { 500: 'InternalFailure', 503: 'ServiceUnavailable' },
    call: (n) => claw(n).sts.getCallerIdentity({}),
  },
  {
    service: 'ssm',
    protocol: 'json',
    action: 'DescribeParameters',
    throttle: { name: 'ThrottlingException', status: 400 },
    server: { 500: 'InternalServerError', 503: 'ServiceUnavailable' },
    call: async (n) => {
      const c = new SSMClient({ region: REGION, endpoint: proxy.endpoint, credentials, maxAttempts: n, retryMode: 'adaptive' });
      try {
        return await c.send(new DescribeParametersCommand({}));
      } finally {
        c.destroy();
      }
    },
  },
  {
    service: 'cloudformation',
    protocol: 'query',
    action: 'DescribeStacks',
    throttle: { name: 'Throttling', status: 400 },
    server: { 500: 'InternalFailure', 503: 'ServiceUnavailable' },
    call: async (n) => {
      const c = new CloudFormationClient({ region: REGION, endpoint: proxy.endpoint, credentials, maxAttempts: n, retryMode: 'adaptive' });
      try {
        return await c.send(new DescribeStacksCommand({}));
      } finally {
        c.destroy();
      }
    },
  },
];

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err as Error & { code?: string; $metadata?: { httpStatusCode?: number; attempts?: number } },
  );
const target = { region: REGION, endpointUrl: 'http://127.0.0.1:1' };

suite('fault proxy (moto behind it)', () => {
  beforeAll(async () => {
    proxy = await startFaultProxy(endpoint!, (req) => {
      if (script.times <= 0 || req.path.startsWith('/moto-api')) return undefined;
      script.times--;
      return script.fault;
    });
    const s3 = new S3Client({ region: REGION, endpoint: endpoint!, credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    s3.destroy();
  });
  afterAll(() => proxy?.close());

  describe.each(cases)('$service ($protocol protocol)', (c) => {
    it('tells the protocol, service and action apart from the request', async () => {
      inject_(undefined, 0);
      const from = proxy.seen.length;
      await c.call(1);
      const seen = proxy.seen.slice(from);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ protocol: c.protocol, service: c.service, ...(c.protocol === 's3' ? {} : { action: c.action }) });
    });

    it(`throttling surfaces as ${c.throttle.name} (HTTP ${c.throttle.status}) once the tries are spent, and claw says so`, async () => {
      inject_('throttle');
      const err = await failure(c.call(1));
      expect(err.name).toBe(c.throttle.name);
      expect(err.$metadata?.httpStatusCode).toBe(c.throttle.status);
      // One try allowed here: claw says so rather than "after retries".
      expect(err.$metadata?.attempts).toBe(1);
      expect(explainAwsError(err, target)?.message).toMatch(new RegExp(`^AWS throttled .*\\(${c.throttle.name}; 1 try, no retries\\)$`));
    });

    it('throttling is retried: the second try succeeds, and the proxy sees both tries of the one call', async () => {
      inject_('throttle');
      const from = proxy.seen.length;
      const out = await c.call(3);
      expect(out.$metadata.attempts).toBe(2);
      const tries = proxy.seen.slice(from);
      expect(tries.map((t) => t.attempt)).toEqual([1, 2]);
      expect(tries[1]!.invocation).toBe(tries[0]!.invocation);
      expect(exhaustedCalls(tries, 2)).toEqual([]);
      expect(exhaustedCalls(tries.slice(0, 1), 1)).toEqual([[tries[0]]]);
    });

    it.each([500, 503] as const)("HTTP %i surfaces with the service's code and is retried", async (status) => {
      inject_({ status, code: c.server[status] });
      const err = await failure(c.call(1));
      expect(err.name).toBe(c.server[status]);
      expect(err.$metadata?.httpStatusCode).toBe(status);
      expect(explainAwsError(err, target)?.message).toMatch(new RegExp(`failed: ${c.server[status]} \\(HTTP ${status}\\)`));
      inject_({ status, code: c.server[status] });
      expect((await c.call(3)).$metadata.attempts).toBe(2);
    });

    it('a dropped connection is a network error (ECONNRESET), retried; claw says it was dropped, not unreachable', async () => {
      inject_('drop');
      const err = await failure(c.call(1));
      expect(err.code).toBe('ECONNRESET');
      expect(explainAwsError(err, target)?.message).toBe('the connection to http://127.0.0.1:1 was dropped during an AWS call (ECONNRESET)');
      inject_('drop');
      expect((await c.call(3)).$metadata.attempts).toBe(2);
    });
  });

  it('drop-after: the request is done upstream, its answer lost (ECONNRESET); a retry finds it done', async () => {
    const s3 = claw(1).s3;
    const raw = new S3Client({ region: REGION, endpoint: endpoint!, credentials, forcePathStyle: true });
    try {
      inject_('drop-after');
      const err = await failure(s3.putObject({ Bucket: bucket, Key: 'lost-answer', Body: 'done anyway' }));
      expect(err.code).toBe('ECONNRESET');
      expect(explainAwsError(err, target)?.hint).toMatch(/^usually transient .*run the command again/);
      expect((await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: 'lost-answer' }))).ContentLength).toBe(11);
      inject_('drop-after');
      expect((await claw(3).s3.putObject({ Bucket: bucket, Key: 'lost-twice', Body: 'x' })).$metadata.attempts).toBe(2);
    } finally {
      raw.destroy();
    }
  });

  describe('S3 HEAD: an error answer has no body, so no code; claw words it by the status', () => {
    const head = () => instrument(claw(1), () => {}).s3.headObject({ Bucket: bucket, Key: 'lost-answer' });
    it.each([
      [503, 'SlowDown', 's3 HeadObject failed: S3 is slowing down requests (HTTP 503 SlowDown)'],
      [500, 'InternalError', 's3 HeadObject failed: S3 had an internal error (HTTP 500)'],
      [403, 'AccessDenied', 'not allowed: s3 HeadObject (HTTP 403 access denied)'],
    ])('HTTP %i (%s)', async (status, code, message) => {
      inject_({ status, code });
      const err = await failure(head());
      expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['Unknown', 'UnknownError', status]);
      const explained = explainAwsError(err, target);
      expect(explained?.message).toBe(message);
      expect(explained?.hint).toBeDefined();
    });

    it('a 503 is retried like any 5xx: the second try answers', async () => {
      inject_({ status: 503, code: 'SlowDown' });
      const out = await instrument(claw(3), () => {}).s3.headObject({ Bucket: bucket, Key: 'lost-answer' });
      expect(out.$metadata.attempts).toBe(2);
    });

    it('a missing key is NotFound (HTTP 404), which callers treat as absent; claw words it plainly', async () => {
      const err = await failure(instrument(claw(1), () => {}).s3.headObject({ Bucket: bucket, Key: 'never-written' }));
      expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
      expect(explainAwsError(err, target)?.message).toBe('s3 HeadObject failed: not found (HTTP 404)');
    });
  });

  it('latency delays the request and nothing else', async () => {
    inject_({ delayMs: 400 });
    const start = Date.now();
    const out = await cases[0]!.call(1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(400);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(proxy.seen.at(-1)?.fault).toBe('delay 400ms');
  });

  it('a fault with a chosen code renders in each protocol (an EC2 permission error)', async () => {
    inject_({ status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized <here> & there' });
    const err = await failure(cases[0]!.call(3));
    expect(err.name).toBe('UnauthorizedOperation');
    expect(err.message).toBe('You are not authorized <here> & there');
    expect(err.$metadata?.attempts).toBe(1); // not retryable
  });
});

describe('randomFaults', () => {
  const req = (protocol: Protocol, action?: string): SeenRequest => ({
    method: 'POST',
    path: '/',
    protocol,
    service: undefined,
    action,
    body: '',
    invocation: undefined,
    attempt: undefined,
  });

  it('is deterministic for a seed, hits about the rate, and counts what it injected', () => {
    const a = randomFaults({ rate: 0.2, seed: 7 });
    const b = randomFaults({ rate: 0.2, seed: 7 });
    const da = Array.from({ length: 2000 }, () => a.decide(req('ec2')));
    const db = Array.from({ length: 2000 }, () => b.decide(req('ec2')));
    expect(da).toEqual(db);
    const hit = da.filter(Boolean).length;
    expect(hit).toBeGreaterThan(330);
    expect(hit).toBeLessThan(470);
    expect(a.injected()).toBe(hit);
    for (const n of Object.values(a.counts)) expect(n).toBeGreaterThan(30); // every kind occurs
    const c = randomFaults({ rate: 0.2, seed: 8 });
    expect(Array.from({ length: 2000 }, () => c.decide(req('ec2')))).not.toEqual(da);
  });

  it("renders 500 and 503 with each protocol's code, latency within the bounds", () => {
    const f = randomFaults({ rate: 1, seed: 1, kinds: ['500'] });
    expect(f.decide(req('s3'))).toEqual({ status: 500, code: 'InternalError' });
    expect(f.decide(req('json'))).toEqual({ status: 500, code: 'InternalServerError' });
    const u = randomFaults({ rate: 1, seed: 1, kinds: ['503'] });
    expect(u.decide(req('ec2'))).toEqual({ status: 503, code: 'Unavailable' });
    const l = randomFaults({ rate: 1, seed: 1, kinds: ['latency'], latencyMs: [10, 20] });
    for (let i = 0; i < 50; i++) {
      const d = l.decide(req('ec2')) as { delayMs: number };
      expect(d.delayMs).toBeGreaterThanOrEqual(10);
      expect(d.delayMs).toBeLessThanOrEqual(20);
    }
  });

  it('leaves alone what `only` rejects, and everything while disabled', () => {
    const f = randomFaults({ rate: 1, seed: 3, kinds: ['drop'], only: (r) => r.action === 'DeleteSnapshot' });
    expect(f.decide(req('ec2', 'DescribeImages'))).toBeUndefined();
    expect(f.decide(req('ec2', 'DeleteSnapshot'))).toBe('drop');
    f.enabled = false;
    expect(f.decide(req('ec2', 'DeleteSnapshot'))).toBeUndefined();
    expect(f.counts.drop).toBe(1);
  });

  it('mulberry32 replays the same stream in [0, 1)', () => {
    const x = mulberry32(42);
    const y = mulberry32(42);
    const xs = Array.from({ length: 100 }, x);
    expect(xs).toEqual(Array.from({ length: 100 }, y));
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
