import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { amiHistory, amiState } from '../helpers/ami-history.js';
import { FIXTURE_REPO, runClaw, tempDir } from '../helpers/claw.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// Answers that are not answers, and endpoints that never answer, from the built binary:
// HTTP 200 without the call's result (an intercepting proxy, a captive portal, a wrong
// --endpoint-url) is an error, never "nothing there", and nothing is changed; an
// endpoint that accepts the connection and stays silent fails after the request
// timeout on every try, naming the call and the endpoint, with any password redacted.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED answers e2e: ${inject('motoSkipReason')}`);

let account: MotoAccount;
let proxy: FaultProxy;
let scripted: ((req: SeenRequest) => Fault) | undefined;

const claw = (args: string[], env: Record<string, string> = {}) =>
  runClaw([...args, '--repo', FIXTURE_REPO], { env: { ...account.env, AWS_ENDPOINT_URL: proxy.endpoint, ...env }, timeoutMs: 60_000 });

/** An answer with the call's result element removed: still HTTP 200, still a request id. */
const without = (element: string) => (body: string) => body.replace(new RegExp(`<${element}/>|<${element}>[\\s\\S]*</${element}>`), '');

suite('answers without their result, and silent endpoints (moto behind a proxy)', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    proxy = await startFaultProxy(endpoint!, (req) => scripted?.(req));
  });
  afterAll(async () => {
    account?.destroy();
    await proxy?.close();
  });

  it(
    'DescribeInstances without its reservation set: ami prune --apply deregisters nothing (exit 1) and status shows no host as missing',
    { timeout: 60_000 },
    async () => {
      const h = await amiHistory(account.ec2, 3);
      await account.ec2.send(
        new RunInstancesCommand({
          ImageId: h.images[0],
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'app', Value: 'clawdinator' },
                { Key: 'Name', Value: 'clawdinator-1' },
              ],
            },
          ],
        }),
      );
      const from = proxy.seen.length;
      scripted = (req) => (req.action === 'DescribeInstances' ? { rewrite: without('reservationSet') } : undefined);
      try {
        const prune = await claw(['ami', 'prune', '--keep', '1', '--apply', '--yes'], { CLAW_AMI_TAG: `${h.tag}=true`, CLAW_HOME: join(h.home, '.claw') });
        expect(prune.exitCode, prune.stderr).toBe(1);
        expect(prune.stderr).toMatch(
          new RegExp(
            `^error: lookup failed, nothing was changed: ec2 DescribeInstances at ${proxy.endpoint} answered without Reservations: that is not an AWS answer, and claw will not read it as "nothing there"$`,
            'm',
          ),
        );
        expect(prune.stderr).toMatch(/^hint: an intercepting proxy, a captive portal or a wrong endpoint answered/m);
        expect(proxy.seen.slice(from).map((r) => r.action)).not.toContain('DeregisterImage');
        expect((await amiState(account.ec2, h)).images).toHaveLength(3);

        const status = await claw(['status']);
        expect(status.exitCode).toBe(1);
        expect(status.stdout).toBe('');
        expect(status.stderr).toMatch(/^error: ec2 DescribeInstances at \S+ answered without Reservations/m);
      } finally {
        scripted = undefined;
      }
    },
  );

  it('DescribeImages without its image set: ami list exits 1, not "no AMIs"', async () => {
    scripted = (req) => (req.action === 'DescribeImages' ? { rewrite: without('imagesSet') } : undefined);
    try {
      const r = await claw(['ami', 'list']);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: .*ec2 DescribeImages at \S+ answered without Images/m);
    } finally {
      scripted = undefined;
    }
  });

  it('an S3 listing answered with an empty ListBucketResult: backup list exits 1, not "no snapshots"', async () => {
    const bucket = `claw-answers-${account.accountId}`;
    await account.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    await account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'snapshots/2026-11-01-00-00/a.json', Body: '{}' }));
    scripted = (req) =>
      req.method === 'GET' && req.path.includes('list-type=2')
        ? { rewrite: () => '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>' }
        : undefined;
    try {
      const r = await claw(['backup', 'list', '--bucket', bucket]);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: .*s3 ListObjectsV2 at \S+ answered without IsTruncated/m);
    } finally {
      scripted = undefined;
    }
  });

  describe('an endpoint that accepts the connection and never answers', () => {
    const silent = { CLAW_REQUEST_TIMEOUT: '1', AWS_MAX_ATTEMPTS: '2' };
    const expectTimedOut = (r: { exitCode: number | null; stderr: string }, call: string) => {
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`^error: (.*: )?${call} at ${proxy.endpoint.replace('http://', 'http://\\*\\*\\*@')} timed out \\(no answer within 1s, 2 tries\\)$`, 'm'),
      );
      expect(r.stderr).toMatch(/^hint: the endpoint accepted the connection but did not answer/m);
      expect(r.stderr).not.toContain('s3cret');
    };
    // Every request hangs; the endpoint carries a password, which no output may show.
    const hanging = (args: string[], env: Record<string, string> = {}) => {
      scripted = () => 'hang';
      const url = proxy.endpoint.replace('http://', 'http://operator:s3cret@');
      return claw(args, { ...silent, AWS_ENDPOINT_URL: url, ...env }).finally(() => (scripted = undefined));
    };

    it('status', { timeout: 30_000 }, async () => {
      const from = proxy.seen.length;
      expectTimedOut(await hanging(['status']), 'ec2 Describe(Instances|Images)');
      expect(proxy.seen.slice(from).filter((r) => r.action === 'DescribeInstances').length).toBeGreaterThanOrEqual(2);
    });

    it('ami prune --apply', { timeout: 30_000 }, async () => {
      expectTimedOut(await hanging(['ami', 'prune', '--keep', '1', '--apply', '--yes']), 'sts GetCallerIdentity');
    });

    it('backup push', { timeout: 30_000 }, async () => {
      const dir = tempDir('claw-answers-push-');
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 'a.txt'), 'a');
      expectTimedOut(await hanging(['backup', 'push', '--bucket', `claw-answers-${account.accountId}`, '--from', dir, '--yes']), 's3 \\w+');
    });
  });
});
