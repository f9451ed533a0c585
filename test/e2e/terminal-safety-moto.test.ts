import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw, tempDir, type ClawResult } from '../helpers/claw.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// What reaches an operator's terminal from outside (S3 keys, instance tags, a lock
// holder's name) has its control characters shown as escapes: a `\r` cannot overwrite a
// line, an escape sequence cannot clear the screen. A password inside the endpoint URL
// is never printed: not in errors, not by doctor, not by config.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED terminal safety e2e: ${inject('motoSkipReason')}`);

let account: MotoAccount;
const CLEAR = '\x1b[2J\x1b[H';
const claw = (args: string[], env: Record<string, string> = {}) => runClaw([...args, '--repo', FIXTURE_REPO], { env: { ...account.env, ...env } });

/** Nothing but newlines among the control characters of both streams. */
function expectNoRawControls(r: ClawResult): void {
  // eslint-disable-next-line no-control-regex
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
  expect(r.stdout, r.stdout).not.toMatch(raw);
  expect(r.stderr, r.stderr).not.toMatch(raw);
}

suite('control characters from outside, and passwords in URLs', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
  });
  afterAll(() => account?.destroy());

  it('a lock holder carrying a screen clear and a carriage return: lock status shows them escaped', async () => {
    const bucket = `claw-term-${account.accountId}`;
    await account.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    const now = Date.now();
    const record = {
      id: 'r1',
      holder: `mallory${CLEAR}@host\rOK`,
      pid: 1,
      target: 'all',
      rev: 'abc',
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 600_000).toISOString(),
    };
    await account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'claw/deploy.lock', Body: JSON.stringify(record) }));
    const r = await claw(['lock', 'status'], { CLAW_BOOTSTRAP_BUCKET: bucket });
    expect(r.exitCode, r.stderr).toBe(0);
    expectNoRawControls(r);
    expect(r.stdout).toContain('mallory\\e[2J\\e[H@host\\rOK');
  });

  it('an instance Name tag with an escape sequence: status shows it escaped', async () => {
    await account.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-03cf127a',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'app', Value: 'clawdinator' },
              { Key: 'Name', Value: `rogue${CLEAR}\rhost` },
            ],
          },
        ],
      }),
    );
    const r = await claw(['status']);
    expectNoRawControls(r);
    // (XML turns the \r into \n on the way back: either is one escaped field, one line.)
    expect(r.stdout).toMatch(/^ {2}rogue\\e\[2J\\e\[H\\[rn]host {2}i-\w+ {2}running/m);
  });

  it('an S3 key with control characters that cannot be a file: the pull warning shows it escaped', async () => {
    const bucket = `claw-term-keys-${account.accountId}`;
    await account.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    await account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `latest/../evil${CLEAR}\r.txt`, Body: 'x' }));
    await account.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'latest/good.txt', Body: 'y' }));
    const r = await claw(['backup', 'pull', '--bucket', bucket, '--to', tempDir('claw-term-pull-')]);
    expectNoRawControls(r);
    expect(r.stderr).toMatch(/^warning: skipped s3:\/\/\S+\/latest\/\.\.\/evil\\e\[2J\\e\[H\\[rn]\.txt: the key has a "\.\." path segment/m);
  });

  describe('a password inside --endpoint-url', () => {
    const secretUrl = 'http://operator:pa55w0rd@127.0.0.1:1';
    it.each([
      ['config', ['config']],
      ['config --json', ['config', '--json']],
      ['doctor', ['doctor']],
      ['status (cannot reach)', ['status']],
      ['a bad URL (config error)', ['status', '--endpoint-url', 'ftp://operator:pa55w0rd@127.0.0.1:1']],
    ])('%s never prints it', async (_, args) => {
      const r = await runClaw([...args, '--repo', FIXTURE_REPO], { env: { ...account.env, AWS_ENDPOINT_URL: secretUrl, AWS_MAX_ATTEMPTS: '1' } });
      expect(`${r.stdout}${r.stderr}`).not.toContain('pa55w0rd');
      expect(`${r.stdout}${r.stderr}`).toMatch(/(http|ftp):\/\/\*\*\*@127\.0\.0\.1:1/);
    });
  });
});
