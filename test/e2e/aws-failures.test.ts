import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';

// Remote failures from the built binary: one clear line and exit 1, never a stack trace.
// A tiny local HTTP server plays an EC2 endpoint that answers with a chosen AWS error.

const creds = { AWS_ACCESS_KEY_ID: 'AKIATESTKEY', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' };
let server: Server;
let endpoint: string;
let answer = { status: 400, code: 'RequestExpired', message: 'Request has expired.' };
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'text/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${answer.code}</Code><Message>${answer.message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const status = (env: Record<string, string>, extra: string[] = []) => runClaw(['status', '--repo', FIXTURE_REPO, ...extra], { env });

function oneClearLine(stderr: string, message: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(message);
  expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain(creds.AWS_SECRET_ACCESS_KEY);
}

describe('remote failures', () => {
  it('expired credentials', async () => {
    answer = { status: 400, code: 'RequestExpired', message: 'Request has expired.' };
    const r = await status({ ...creds, AWS_ENDPOINT_URL: endpoint });
    expect(r.exitCode).toBe(1);
    oneClearLine(r.stderr, /^error: AWS credentials expired \(ec2 Describe(Instances|Images)\)$/);
    expect(r.stderr).toMatch(/^hint: refresh them, e\.g\. aws sso login$/m);
  });

  it('credentials AWS rejects', async () => {
    answer = { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
    const r = await status({ ...creds, AWS_ENDPOINT_URL: endpoint });
    expect(r.exitCode).toBe(1);
    oneClearLine(r.stderr, /^error: AWS rejected the credentials \(AuthFailure on ec2 Describe(Instances|Images)\)$/);
  });

  it('a server error that outlasts the retries', async () => {
    answer = { status: 503, code: 'Unavailable', message: 'Service Unavailable' };
    const before = requests;
    const r = await status({ ...creds, AWS_ENDPOINT_URL: endpoint });
    expect(r.exitCode).toBe(1);
    oneClearLine(r.stderr, /^error: ec2 Describe(Instances|Images) failed: Unavailable \(HTTP 503\): Service Unavailable$/);
    expect(requests - before).toBeGreaterThan(2); // it did retry
  });

  it('missing credentials', async () => {
    const r = await status({ AWS_ENDPOINT_URL: endpoint });
    expect(r.exitCode).toBe(1);
    oneClearLine(r.stderr, /^error: no AWS credentials found$/);
  });

  it('an unreachable endpoint', async () => {
    const r = await status({ ...creds }, ['--endpoint-url', 'http://127.0.0.1:9']);
    expect(r.exitCode).toBe(1);
    oneClearLine(r.stderr, /^error: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED on ec2 Describe(Instances|Images)\)$/);
  });
});
