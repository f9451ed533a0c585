import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw, type ClawResult } from '../helpers/claw.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';

// What the built binary says when AWS's answer is lost or has no body, with moto behind
// the fault proxy: a connection cut part-way is "dropped", not "cannot reach"; an S3
// HEAD's error (no body, so no code) is worded by its status, never "Unknown".

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED AWS failure wording e2e: ${inject('motoSkipReason')}`);

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-central-1', CLAW_MAX_ATTEMPTS: '2' };
let decide: (method: string) => Fault = () => undefined;
let proxy: FaultProxy;

const claw = (args: string[], extra: Record<string, string> = {}) =>
  runClaw([...args, '--repo', FIXTURE_REPO, '--endpoint-url', proxy.endpoint], { env: { ...env, ...extra } });

/** One error line, one hint, exit 1, nothing on stdout, no stack trace. */
function oneClearLine(r: ClawResult, error: string | RegExp, hint: RegExp): void {
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  if (typeof error === 'string') expect(lines[0]).toBe(`error: ${error}`);
  else expect(lines[0]).toMatch(error);
  expect(lines.slice(1)).toHaveLength(1);
  expect(lines[1]).toMatch(hint);
}

suite('AWS failure wording from the built binary', () => {
  beforeAll(async () => {
    proxy = await startFaultProxy(endpoint!, (req) => (req.path.startsWith('/moto-api') ? undefined : decide(req.method)));
  });
  afterAll(() => proxy?.close());

  it('a connection cut part-way through every try: dropped during the call, run again', async () => {
    decide = () => 'drop';
    const from = proxy.seen.length;
    const r = await claw(['status']);
    // status reads instances and images at once: whichever failed first is named.
    const dropped = new RegExp(
      `^error: the connection to ${proxy.endpoint.replace(/\./g, '\\.')} was dropped during ec2 Describe(Instances|Images) \\(ECONNRESET\\)$`,
    );
    oneClearLine(r, dropped, /^hint: usually transient .*run the command again/);
    expect(r.stderr).not.toMatch(/cannot reach|endpoint running/);
    expect(proxy.seen.length - from).toBeGreaterThanOrEqual(2); // the SDK tried again first
  });

  it.each([
    [503, 'SlowDown', 's3 HeadBucket failed: S3 is slowing down requests (HTTP 503 SlowDown)', /^hint: S3 limits requests per second .*run again$/],
    [500, 'InternalError', 's3 HeadBucket failed: S3 had an internal error (HTTP 500)', /^hint: usually transient on AWS's side/],
    [403, 'AccessDenied', 'not allowed: s3 HeadBucket (HTTP 403 access denied)', /^hint: the role or user needs that permission/],
  ])('S3 answers HEAD with %i (no body): claw words the status', async (status, code, error, hint) => {
    decide = (method) => (method === 'HEAD' ? { status, code } : undefined);
    const r = await claw(['bootstrap', 'verify', 'clawdinator-1'], { CLAW_BOOTSTRAP_BUCKET: 'claw-wording-any' });
    oneClearLine(r, error, hint);
    expect(r.stderr).not.toMatch(/Unknown/);
  });
});
