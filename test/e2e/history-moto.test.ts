import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appendHistory, newHistoryId } from '../../src/aws/history.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';
import { historyKey, previousSuccessfulRev, type HistoryRecord, type HistoryResult } from '../../src/core/history.js';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';

// `claw history` from the built binary against moto: records written with
// appendHistory (what a deploy does), read back by any operator from S3.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED history moto e2e: ${inject('motoSkipReason')}`);

const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
let s3: S3Client;
const api = () => createSdkClients({ region: 'eu-central-1', endpointUrl: endpoint!, credentials: creds }).s3;

const sha = (c: string) => c.repeat(40);
const now = Date.now();
const rec = (host: string, rev: string, hoursAgo: number, result: HistoryResult = 'success', detail = ''): HistoryRecord => ({
  id: newHistoryId(),
  host,
  instanceId: 'i-0123456789abcdef0',
  rev,
  previousRev: null,
  startedAt: new Date(now - hoursAgo * 3_600_000 - 90_000).toISOString(),
  finishedAt: new Date(now - hoursAgo * 3_600_000).toISOString(),
  who: 'alice@laptop',
  result,
  detail,
});

async function seeded(records: HistoryRecord[]): Promise<string> {
  const b = `claw-history-${randomBytes(6).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
  const client = api();
  await Promise.all(records.map((r) => appendHistory(client, b, r)));
  return b;
}
const claw = (b: string, args: string[]) =>
  runClaw([...args, '--repo', FIXTURE_REPO], {
    env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL: endpoint!, CLAW_BOOTSTRAP_BUCKET: b },
  });

suite('claw history against moto', () => {
  beforeAll(() => {
    s3 = new S3Client({ endpoint: endpoint!, region: 'eu-central-1', forcePathStyle: true, credentials: creds });
  });
  afterAll(() => s3?.destroy());

  const records = [
    rec('clawdinator-1', sha('a'), 500),
    rec('clawdinator-2', sha('a'), 499),
    rec('clawdinator-1', sha('b'), 30),
    rec('clawdinator-2', sha('b'), 29.9, 'skipped', 'canary clawdinator-1 failed first'),
    rec('clawdinator-1', sha('c'), 2, 'failed', 'revision mismatch: running bbbbbbbbbbbb'),
    rec('clawdinator-1', sha('b'), 1, 'success', 'rollback; token=hunter2'),
  ];

  it('lists every host newest first, as JSON, with nothing secret stored', async () => {
    const b = await seeded(records);
    const r = await claw(b, ['history', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ bucket: b, prefix: 'claw/history/', host: null });
    expect(doc.records.map((x: HistoryRecord) => [x.host, x.rev[0], x.result])).toEqual([
      ['clawdinator-1', 'b', 'success'],
      ['clawdinator-1', 'c', 'failed'],
      ['clawdinator-2', 'b', 'skipped'],
      ['clawdinator-1', 'b', 'success'],
      ['clawdinator-2', 'a', 'success'],
      ['clawdinator-1', 'a', 'success'],
    ]);
    expect(doc.records[0].detail).toBe('rollback; [redacted]');
    expect(r.stdout).not.toContain('hunter2');
    // What a rollback of clawdinator-1 (now on b) would pick from the same records.
    expect(previousSuccessfulRev(doc.records, 'clawdinator-1', sha('b'))).toBe(sha('a'));
  });

  it('one host, --limit, as a table', async () => {
    const b = await seeded(records);
    const r = await claw(b, ['history', 'clawdinator-1', '--limit', '2']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FINISHED\s+HOST\s+REV\s+RESULT\s+WHO\s+PREVIOUS\s+DETAIL$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 5))).toEqual([
      ['clawdinator-1', 'bbbbbbbbbbbb', 'success', 'alice@laptop'],
      ['clawdinator-1', 'cccccccccccc', 'failed', 'alice@laptop'],
    ]);
    expect(lines[2]).toMatch(/revision mismatch: running bbbbbbbbbbbb$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\dZ \(1h ago\)/);
  });

  it('a registered host with no deploys is an empty history; a foreign object is skipped with a warning', async () => {
    const b = await seeded(records.slice(0, 1));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'claw/history/notes.txt', Body: 'hello' }));
    const r = await claw(b, ['history', 'clawdinator-babelfish']);
    expect(r).toMatchObject({ exitCode: 0, stdout: `no deploys recorded for clawdinator-babelfish (s3://${b}/claw/history/)\n` });
    expect(r.stderr).toBe(`warning: skipped s3://${b}/claw/history/notes.txt: not a history record key\n`);
    expect(historyKey(records[0]!)).toMatch(/^claw\/history\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-clawdinator-1-[0-9a-f]{16}\.json$/);
  });

  it('bad input is exit 2 and calls nothing: an unknown host, a bad --limit, a missing bucket', async () => {
    const b = await seeded([]);
    const unknown = await claw(b, ['history', 'clawdinator-9', '--verbose']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(
      /^error: unknown host "clawdinator-9" \(not in \S*nix\/instances.json\)\nhint: known hosts: clawdinator-1, clawdinator-2, clawdinator-babelfish/,
    );
    expect(unknown.stderr).not.toMatch(/^aws /m); // --verbose logs every AWS call: there was none
    const injected = await claw(b, ['history', 'x;reboot']);
    expect(injected.exitCode).toBe(2);
    for (const limit of ['0', '-3', 'ten', '1e3']) {
      const r = await claw(b, ['history', '--limit', limit]);
      expect({ limit, exit: r.exitCode }).toEqual({ limit, exit: 2 });
    }
    const missing = await claw(`claw-missing-${randomBytes(4).toString('hex')}`, ['history']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/does not exist \(config key bootstrapBucket\)/);
  });
});
