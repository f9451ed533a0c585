import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendHistory, newHistoryId } from '../../src/aws/history.js';
import type { HistoryRecord } from '../../src/core/history.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox history`: records appended to the sandbox's bootstrap bucket (as a
// deploy does) and read back by the built binary.

const BUCKET = 'clawdinator-images-eu1-20260107165216';
const now = Date.now();
const rec = (host: string, rev: string, minutesAgo: number, result: HistoryRecord['result']): HistoryRecord => ({
  id: newHistoryId(),
  host,
  instanceId: null,
  rev: rev.repeat(40),
  previousRev: null,
  startedAt: new Date(now - minutesAgo * 60_000 - 60_000).toISOString(),
  finishedAt: new Date(now - minutesAgo * 60_000).toISOString(),
  who: 'alice@laptop',
  result,
  detail: result === 'failed' ? 'nixos-rebuild switch failed' : '',
});

describe('claw --sandbox history', () => {
  it('newest first, per host, with --limit; unknown hosts are exit 2', async () => {
    const home = join(tempDir('claw-history-sbx-'), '.claw');
    const sbx = await openSandbox({ home, seedDir: join(ROOT, 'fixtures', 'sandbox') });
    const claw = (...args: string[]) => runClaw(['--sandbox', 'history', ...args], { env: { CLAW_HOME: home } });
    expect((await claw()).stdout).toBe(`no deploys recorded (s3://${BUCKET}/claw/history/)\n`);

    const records = [
      rec('clawdinator-1', 'a', 90, 'success'),
      rec('clawdinator-2', 'a', 80, 'success'),
      rec('clawdinator-1', 'b', 10, 'failed'),
      rec('clawdinator-2', 'b', 5, 'skipped'),
    ];
    for (const r of records) await appendHistory(sbx.clients.s3, BUCKET, r);
    const all = JSON.parse((await claw('--json')).stdout) as { records: HistoryRecord[] };
    expect(all.records.map((r) => `${r.host}:${r.rev[0]}:${r.result}`)).toEqual([
      'clawdinator-2:b:skipped',
      'clawdinator-1:b:failed',
      'clawdinator-2:a:success',
      'clawdinator-1:a:success',
    ]);
    const one = await claw('clawdinator-1', '--limit', '1');
    expect(one.exitCode).toBe(0);
    expect(one.stdout.split('\n')[1]).toMatch(/clawdinator-1\s+bbbbbbbbbbbb\s+failed\s+alice@laptop\s+nixos-rebuild switch failed$/);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    const unknown = await claw('nope');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown host "nope"/);
  });
});
