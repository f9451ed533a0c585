import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { explainAwsError } from '../../src/aws/errors.js';
import { instrument } from '../../src/aws/instrument.js';
import { isMissingKey, isPreconditionFailed } from '../../src/aws/s3-errors.js';
import { RemoteError } from '../../src/core/errors.js';
import { createFaultLayer, draw, faultWarning, type FaultPlan } from '../../src/sandbox/faults.js';

// The fault layer on fake clients: each fake method records what it applied and throws
// on anything nobody expected, so an applied call that is also reported as failed, or a
// call the layer invents, shows up.

interface Applied {
  service: string;
  op: string;
  n: number;
}

/** Clients whose every method applies (records) the call and answers like the sandbox. */
function fakeClients(applied: Applied[], extra: Record<string, object> = {}): AwsClients {
  const api = (service: string, ops: string[]) =>
    Object.fromEntries(
      ops.map((op) => [
        op,
        (input: { n: number }) => {
          applied.push({ service, op, n: input.n });
          return Promise.resolve({ $metadata: { httpStatusCode: 200, requestId: 'r', attempts: 1, totalRetryDelay: 0 }, n: input.n });
        },
      ]),
    );
  const clients = {
    ec2: api('ec2', ['describeInstances', 'createTags']),
    s3: { ...api('s3', ['putObject', 'getObject']), region: 'eu-central-1' },
    ssm: api('ssm', ['sendCommand']),
    sts: api('sts', ['getCallerIdentity']),
    cloudformation: api('cloudformation', ['describeStacks']),
    ...extra,
  };
  return new Proxy(clients, {
    get(target, prop) {
      if (!(prop in target)) throw new Error(`unexpected client ${String(prop)}`);
      return Reflect.get(target, prop) as unknown;
    },
  }) as unknown as AwsClients;
}

const noSleep = () => Promise.resolve();
const plan = (p: Partial<FaultPlan> = {}): FaultPlan => ({ rate: 0.2, seed: 42, attempts: 1, run: 0, ...p });
type Call = (input: { n: number }) => Promise<{ n: number; $metadata: { attempts: number } }>;
const method = (clients: AwsClients, service: string, op: string) => (clients as unknown as Record<string, Record<string, Call>>)[service]![op]!;

/** Run `count` calls of one operation; the outcome of each: 'ok' or the error's name. */
async function outcomes(p: FaultPlan, count: number, service = 's3', op = 'putObject'): Promise<{ results: string[]; applied: Applied[] }> {
  const applied: Applied[] = [];
  const clients = createFaultLayer({ start: () => Promise.resolve(p), sleep: noSleep }).wrap(fakeClients(applied));
  const results = await Promise.all(
    Array.from({ length: count }, (_, n) =>
      method(
        clients,
        service,
        op,
      )({ n }).then(
        () => 'ok',
        (e: Error) => e.name,
      ),
    ),
  );
  return { results, applied };
}

const failed = (results: string[]) => results.filter((r) => r !== 'ok').length / results.length;

describe('rates', () => {
  it('with one try, about `rate` of the calls fail', async () => {
    expect(failed((await outcomes(plan({ rate: 0.2 }), 4000)).results)).toBeGreaterThan(0.17);
    expect(failed((await outcomes(plan({ rate: 0.2 }), 4000)).results)).toBeLessThan(0.23);
    expect(failed((await outcomes(plan({ rate: 0.5, seed: 9 }), 4000)).results)).toBeCloseTo(0.5, 1);
  });

  it('with N tries, a call fails only when every try did: about rate^N', async () => {
    const two = failed((await outcomes(plan({ rate: 0.2, attempts: 2 }), 6000)).results);
    expect(two).toBeGreaterThan(0.03);
    expect(two).toBeLessThan(0.05);
    expect(failed((await outcomes(plan({ rate: 0.2, attempts: 5 }), 3000)).results)).toBeLessThan(0.002);
  });

  it('rate 1 fails everything, after exactly `attempts` tries, with the latency waited', async () => {
    const waits: number[] = [];
    const clients = createFaultLayer({ start: () => Promise.resolve(plan({ rate: 1, attempts: 3 })), sleep: (ms) => (waits.push(ms), Promise.resolve()) }).wrap(
      fakeClients([]),
    );
    const err = (await method(
      clients,
      'ssm',
      'sendCommand',
    )({ n: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { $metadata: { attempts: number; totalRetryDelay: number } };
    expect(err).toBeInstanceOf(Error);
    expect(err.$metadata.attempts).toBe(3);
    expect(waits).toHaveLength(3);
    expect(waits.every((ms) => ms >= 2 && ms <= 10)).toBe(true);
    expect(err.$metadata.totalRetryDelay).toBe(waits.reduce((a, b) => a + b, 0));
  });

  it('a call that succeeded on a later try says so in its $metadata, like the SDK', async () => {
    const applied: Applied[] = [];
    const clients = createFaultLayer({ start: () => Promise.resolve(plan({ rate: 0.5, attempts: 5 })), sleep: noSleep }).wrap(fakeClients(applied));
    const tries = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        method(
          clients,
          's3',
          'getObject',
        )({ n }).then(
          (o) => o.$metadata.attempts,
          () => 0,
        ),
      ),
    );
    expect(new Set(tries.filter((t) => t > 0))).toEqual(new Set([1, 2, 3, 4, 5]));
  });
});

describe('determinism', () => {
  it('the same seed and run give the same faults; another run or seed gives others', async () => {
    const a = (await outcomes(plan({ seed: 7, run: 3 }), 300)).results;
    expect((await outcomes(plan({ seed: 7, run: 3 }), 300)).results).toEqual(a);
    expect((await outcomes(plan({ seed: 7, run: 4 }), 300)).results).not.toEqual(a);
    expect((await outcomes(plan({ seed: 8, run: 3 }), 300)).results).not.toEqual(a);
  });

  it('draws are counted per operation: another operation in between changes nothing', async () => {
    const p = plan({ seed: 11, rate: 0.3 });
    const alone = (await outcomes(p, 100, 'ec2', 'createTags')).results;
    const clients = createFaultLayer({ start: () => Promise.resolve(p), sleep: noSleep }).wrap(fakeClients([]));
    const mixed: string[] = [];
    for (let n = 0; n < 100; n++) {
      await method(clients, 'ec2', 'describeInstances')({ n }).catch(() => undefined);
      mixed.push(
        await method(
          clients,
          'ec2',
          'createTags',
        )({ n }).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    }
    expect(mixed).toEqual(alone);
  });

  it('draw() is a pure function of its inputs', () => {
    expect(draw(1, 2, 's3.putObject', 3, 4)).toEqual(draw(1, 2, 's3.putObject', 3, 4));
    expect(draw(1, 2, 's3.putObject', 3, 4)).not.toEqual(draw(1, 2, 's3.putObject', 3, 5));
  });
});

describe('never half-applied', () => {
  it('every failed call left nothing applied; every successful one was applied exactly once', async () => {
    const { results, applied } = await outcomes(plan({ rate: 0.4, attempts: 2, seed: 5 }), 1000);
    const appliedN = applied.map((a) => a.n).sort((x, y) => x - y);
    const okN = results.flatMap((r, n) => (r === 'ok' ? [n] : []));
    expect(appliedN).toEqual(okN);
    expect(okN.length).toBeGreaterThan(700);
    expect(okN.length).toBeLessThan(1000);
  });

  it('an error of the simulated call itself passes through untouched, once', async () => {
    const own = Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    let calls = 0;
    const clients = createFaultLayer({ start: () => Promise.resolve(plan({ rate: 0.01 })), sleep: noSleep }).wrap({
      s3: { getObject: () => (calls++, Promise.reject(own)) },
    } as unknown as AwsClients);
    await expect(clients.s3.getObject({ Bucket: 'b', Key: 'k' })).rejects.toBe(own);
    expect(calls).toBe(1);
  });
});

describe("errors look like the SDK's to claw", () => {
  async function errorsOf(service: string, op: string): Promise<(Error & Record<string, unknown>)[]> {
    const clients = instrument(createFaultLayer({ start: () => Promise.resolve(plan({ rate: 1 })), sleep: noSleep }).wrap(fakeClients([])), () => {});
    return Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        method(
          clients,
          service,
          op,
        )({ n }).then(
          () => {
            throw new Error('expected a fault');
          },
          (e: unknown) => e as Error & Record<string, unknown>,
        ),
      ),
    );
  }

  it('S3: InternalError 500, ServiceUnavailable and SlowDown 503, with Code; explained as one RemoteError', async () => {
    const errs = await errorsOf('s3', 'putObject');
    expect(new Set(errs.map((e) => `${e.name} ${(e.$metadata as { httpStatusCode: number }).httpStatusCode} ${String(e.Code)}`))).toEqual(
      new Set(['InternalError 500 InternalError', 'ServiceUnavailable 503 ServiceUnavailable', 'SlowDown 503 SlowDown']),
    );
    for (const e of errs) {
      expect(isPreconditionFailed(e) || isMissingKey(e)).toBe(false);
      const explained = explainAwsError(e, { region: 'eu-central-1' });
      expect(explained).toBeInstanceOf(RemoteError);
      expect(explained!.message).toMatch(
        e.name === 'SlowDown'
          ? /^AWS (throttled s3 PutObject \(SlowDown; 1 try, no retries\)|kept throttling s3 PutObject \(SlowDown; \d+ tries\))$/
          : /^s3 PutObject failed: \w+ \(HTTP 50[03]\): /,
      );
    }
  });

  it('EC2 throttles with RequestLimitExceeded, SSM and STS with ThrottlingException; $fault follows the status', async () => {
    expect(new Set((await errorsOf('ec2', 'createTags')).map((e) => e.name))).toEqual(new Set(['InternalError', 'ServiceUnavailable', 'RequestLimitExceeded']));
    for (const e of await errorsOf('ssm', 'sendCommand')) {
      expect(e.$fault).toBe((e.$metadata as { httpStatusCode: number }).httpStatusCode >= 500 ? 'server' : 'client');
      if (e.name === 'ThrottlingException') expect(e.$retryable).toEqual({ throttling: true });
      expect(explainAwsError(e, { region: 'eu-central-1' })).toBeInstanceOf(RemoteError);
    }
    expect(new Set((await errorsOf('sts', 'getCallerIdentity')).map((e) => e.name))).toContain('ThrottlingException');
  });
});

describe('the layer', () => {
  it('covers every service the clients hold, one it has never heard of too', async () => {
    const applied: Applied[] = [];
    const route53 = {
      listHostedZones: (input: { n: number }) => (applied.push({ service: 'route53', op: 'listHostedZones', n: input.n }), Promise.resolve({ n: input.n })),
    };
    const clients = createFaultLayer({ start: () => Promise.resolve(plan({ rate: 1 })), sleep: noSleep }).wrap(fakeClients(applied, { route53 }));
    for (const [service, op] of [
      ['cloudformation', 'describeStacks'],
      ['route53', 'listHostedZones'],
    ] as const) {
      const err = await method(clients, service, op)({ n: 1 }).catch((e: Error) => e);
      expect(['InternalError', 'ServiceUnavailable', 'ThrottlingException']).toContain((err as Error).name);
    }
    expect(applied).toEqual([]);
  });

  it('asks for the plan once, on the first call; no plan means no faults; properties pass through', async () => {
    let starts = 0;
    const applied: Applied[] = [];
    const clients = createFaultLayer({ start: () => (starts++, Promise.resolve(undefined)), sleep: noSleep }).wrap(fakeClients(applied));
    expect(starts).toBe(0);
    expect((clients.s3 as unknown as { region: string }).region).toBe('eu-central-1');
    await Promise.all(Array.from({ length: 50 }, (_, n) => method(clients, 's3', 'putObject')({ n })));
    expect(starts).toBe(1);
    expect(applied).toHaveLength(50);
  });

  it('the warning names the rate, the tries, the seed and run, and how to stop it', () => {
    expect(faultWarning(plan({ rate: 0.2, attempts: 1, seed: 7, run: 2 }))).toBe(
      'sandbox injects faults into 20 % of AWS requests (no retries; seed 7, run 2; claw sandbox faults --off)',
    );
    expect(faultWarning(plan({ rate: 0.05, attempts: 5 }))).toMatch(/^sandbox injects faults into 5 % of AWS requests \(up to 5 tries per call;/);
  });
});
