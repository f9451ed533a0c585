import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { S3Api, SsmApi } from '../../src/aws/clients.js';
import { explainAwsError } from '../../src/aws/errors.js';
import { instrument } from '../../src/aws/instrument.js';
import { readLock, withDeployLock } from '../../src/aws/lock.js';
import { driveRollout, switchHost } from '../../src/aws/rollout-driver.js';
import { PollMeter, runCommand } from '../../src/aws/run-command.js';
import { isTransientAwsError, retryTransient } from '../../src/aws/transient.js';
import type { FullSha, HostId } from '../../src/core/deploy-target.js';
import { planRollout } from '../../src/core/rollout.js';
import { asFlakeBase } from '../../src/core/ssm-script.js';
import { awsError } from '../../src/sandbox/errors.js';
import { openSandbox } from '../../src/sandbox/index.js';

// What claw does itself when AWS keeps failing after the SDK's retries: the errors it
// treats as transient, the few places that try again (polls, read-only scripts, the lock
// release), and the failure reason a host gets when it gives up.

const throttled = () => awsError('ThrottlingException', 'Rate exceeded', 400);
const unavailable = () => awsError('ServiceUnavailable', 'Service is unable to handle request.', 503);

describe('isTransientAwsError', () => {
  it.each([
    ['ThrottlingException 400', throttled(), true],
    ['SlowDown 503', awsError('SlowDown', 'Please reduce your request rate.', 503), true],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded', 'Request limit exceeded.', 503), true],
    ['InternalError 500', awsError('InternalError', 'x', 500), true],
    ['429', awsError('TooManyRequests', 'x', 429), true],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['TimeoutError', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['AccessDenied 403', awsError('AccessDenied', 'x', 403), false],
    ['PreconditionFailed 412', awsError('PreconditionFailed', 'x', 412), false],
    ['NoSuchKey 404', awsError('NoSuchKey', 'x', 404), false],
    ['AbortError', Object.assign(new Error('aborted'), { name: 'AbortError' }), false],
    ['a bug', new TypeError('x is undefined'), false],
  ])('%s: %s', (_, err, transient) => {
    expect(isTransientAwsError(err)).toBe(transient);
  });
});

describe('retryTransient', () => {
  it('tries again after transient failures, waiting 200, 400, 800 ms; the last error is thrown', async () => {
    const waits: number[] = [];
    let calls = 0;
    const err = unavailable();
    await expect(retryTransient(() => (calls++, Promise.reject(err)), { sleep: async (ms) => void waits.push(ms) })).rejects.toBe(err);
    expect(calls).toBe(4);
    expect(waits).toEqual([200, 400, 800]);
    calls = 0;
    expect(await retryTransient(() => (++calls < 3 ? Promise.reject(throttled()) : Promise.resolve('ok')), { sleep: async () => {} })).toBe('ok');
    expect(calls).toBe(3);
  });

  it('any other error is thrown at once', async () => {
    let calls = 0;
    const denied = awsError('AccessDenied', 'no', 403);
    await expect(retryTransient(() => (calls++, Promise.reject(denied)), { sleep: async () => {} })).rejects.toBe(denied);
    expect(calls).toBe(1);
  });
});

/** An SsmApi whose calls fail as scripted (one entry per call, undefined = answer). */
function scriptedSsm(sendFaults: (Error | undefined)[], getFaults: (Error | undefined)[]) {
  const calls: string[] = [];
  const ssm: SsmApi = {
    sendCommand: async (input) => {
      calls.push(`send ${input.Comment}`);
      const f = sendFaults.shift();
      if (f) throw f;
      return { $metadata: {}, Command: { CommandId: `c-${calls.length}` } };
    },
    getCommandInvocation: async () => {
      calls.push('get');
      const f = getFaults.shift();
      if (f) throw f;
      return { $metadata: {}, Status: 'Success', ResponseCode: 0, StandardOutputContent: '' } as never;
    },
    describeInstanceInformation: () => Promise.reject(new Error('unexpected call')),
    listCommandInvocations: () => Promise.reject(new Error('unexpected call')),
  };
  return { ssm, calls };
}

const budget = { initialMs: 1, factor: 2, maxIntervalMs: 1, timeoutMs: 10_000, maxCalls: 20 };
const noWait = async () => {};

describe('runCommand under transient faults', () => {
  it('a throttled or failed poll is polled again, charged to the host budget', async () => {
    const { ssm, calls } = scriptedSsm([], [throttled(), unavailable()]);
    const meter = new PollMeter(budget);
    const r = await runCommand({ ssm, instanceId: 'i-0123456789abcdef0', commands: ['true'], comment: 'c', meter, sleep: noWait });
    expect(r.status).toBe('Success');
    expect(calls).toEqual(['send c', 'get', 'get', 'get']);
    expect(meter.calls).toBe(3);
  });

  it('a poll error that is not transient still fails it', async () => {
    const { ssm } = scriptedSsm([], [awsError('AccessDeniedException', 'no', 400)]);
    await expect(
      runCommand({ ssm, instanceId: 'i-0123456789abcdef0', commands: ['true'], comment: 'c', meter: new PollMeter(budget), sleep: noWait }),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('SendCommand is sent again only when the caller says the script only reads', async () => {
    const read = scriptedSsm([throttled()], []);
    await runCommand({
      ssm: read.ssm,
      instanceId: 'i-0123456789abcdef0',
      commands: ['true'],
      comment: 'c',
      meter: new PollMeter(budget),
      sleep: noWait,
      retrySend: true,
    });
    expect(read.calls).toEqual(['send c', 'send c', 'get']);
    const write = scriptedSsm([throttled()], []);
    await expect(
      runCommand({ ssm: write.ssm, instanceId: 'i-0123456789abcdef0', commands: ['true'], comment: 'c', meter: new PollMeter(budget), sleep: noWait }),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(write.calls).toEqual(['send c']);
  });
});

describe('a deploy host under transient faults', () => {
  const rev = 'a'.repeat(40) as FullSha;

  it('the switch is sent once (a failure fails the host, explained); the reading scripts are sent again', async () => {
    // The switch's SendCommand fails: the host fails with the AWS error explained, nothing resent.
    const { ssm, calls } = scriptedSsm([throttled()], []);
    const r = await driveRollout(
      planRollout({ hosts: ['h1', 'h2'] as HostId[], canaryOrder: ['h1'] }),
      (host, report, signal) =>
        switchHost({
          ssm: instrument({ ec2: {}, s3: {}, ssm, sts: {}, cloudformation: {} } as never, () => {}).ssm,
          host,
          instanceId: 'i-0123456789abcdef0',
          rev,
          flakeBase: asFlakeBase('github:o/r'),
          meter: new PollMeter(budget),
          report,
          signal,
          sleep: noWait,
        }),
      { describeError: (err) => explainAwsError(err, { region: 'eu-central-1' })?.message ?? String(err) },
    );
    expect(calls).toHaveLength(1);
    expect(r.hosts.map((h) => [h.status, h.reason])).toEqual([
      ['failed', 'AWS throttled ssm SendCommand (ThrottlingException; 1 try, no retries)'],
      ['skipped', 'not started: h1 failed'],
    ]);

    // The switch goes out; the poll's SendCommand is throttled once and sent again.
    const poll = scriptedSsm([undefined, throttled()], []);
    await switchHost({
      ssm: poll.ssm,
      host: 'h1' as HostId,
      instanceId: 'i-0123456789abcdef0',
      rev,
      flakeBase: asFlakeBase('github:o/r'),
      meter: new PollMeter(budget),
      report: () => {},
      sleep: noWait,
    });
    expect(poll.calls.slice(0, 5)).toEqual([`send claw switch ${rev} h1`, 'get', `send claw poll ${rev} h1`, `send claw poll ${rev} h1`, 'get']);
  });
});

describe('withDeployLock releases through transient faults', () => {
  const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
  const BUCKET = 'clawdinator-images-eu1-20260107165216';
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'claw-transient-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true, maxRetries: 5 });
  });

  it('a release whose reads and delete fail twice still frees the lock', async () => {
    const s3 = (await openSandbox({ home, seedDir: SEED_DIR, faults: false })).clients.s3;
    let armed = false;
    let failures = 2;
    const flaky = new Proxy(s3, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (armed && (prop === 'getObject' || prop === 'deleteObject') && failures-- > 0) return Promise.reject(unavailable());
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    }) as S3Api;
    const warnings: string[] = [];
    const opts = {
      bucket: BUCKET,
      holder: 'me@here',
      pid: process.pid,
      target: 'all',
      rev: 'a'.repeat(40),
      events: { emit: (e: { type: string; message?: string }) => void (e.message && warnings.push(e.message)) } as never,
    };
    await withDeployLock(flaky, opts, async () => {
      armed = true;
    });
    expect(failures).toBeLessThan(0);
    expect(warnings).toEqual([]);
    expect(await readLock(s3, { bucket: BUCKET })).toEqual({ kind: 'free' });
  });
});
