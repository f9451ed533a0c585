import { describe, expect, it } from 'vitest';
import {
  assessStatus,
  backupBucketName,
  formatStamp,
  groupSnapshots,
  parseAccountId,
  parseBucketName,
  parseStack,
  parseStamp,
  patternNeeds,
  requireStack,
  summarizeLatest,
  type BackupObject,
} from '../../src/core/backup.js';
import { BACKUP_POLL_BUDGET, isNewSnapshot, parseBackupUnitOutput, SANDBOX_POLL_BUDGET } from '../../src/core/backup-unit.js';
import { RemoteError, UsageError } from '../../src/core/errors.js';
import { pollSchedule } from '../../src/core/rollout-poll.js';

const PATTERN = 'openclaw-lab-backup-{stack}-{account}';
const now = new Date('2026-11-23T10:37:00.000Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
const obj = (key: string, size: number, lastModified = minutesAgo(5)): BackupObject => ({ key, size, lastModified });

describe('stack and bucket names', () => {
  it('accepts lower-case a-z0-9- stacks of 1..40 characters, refuses the rest with exit 2', () => {
    expect(parseStack('lab')).toBe('lab');
    expect(parseStack('a'.repeat(40))).toBe('a'.repeat(40));
    for (const bad of ['', 'Lab', 'lab_1', 'a'.repeat(41), 'lab;rm', 'la b', '../x']) {
      const err = (() => {
        try {
          parseStack(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(/^--stack .* is not a stack name$/);
    }
  });

  it('fills the pattern: {stack} and {account}', () => {
    expect(backupBucketName(PATTERN, { stack: 'lab', account: '123456789012' })).toBe('openclaw-lab-backup-lab-123456789012');
    expect(backupBucketName('backups-{stack}', { stack: 'prod' })).toBe('backups-prod');
    expect(backupBucketName('fixed-bucket', {})).toBe('fixed-bucket');
    expect(patternNeeds(PATTERN)).toEqual({ stack: true, account: true });
    expect(patternNeeds('backups-{stack}')).toEqual({ stack: true, account: false });
  });

  it('requires --stack when the pattern has {stack}, naming the fix', () => {
    expect(() => requireStack(PATTERN, undefined)).toThrow(/--stack is required/);
    expect(() => requireStack('fixed', undefined)).not.toThrow();
    expect(() => backupBucketName(PATTERN, { account: '123456789012' })).toThrow(UsageError);
  });

  it('refuses unknown placeholders and results that are not bucket names', () => {
    expect(() => patternNeeds('x-{region}')).toThrow(/unknown placeholder \{region\}/);
    expect(() => backupBucketName('{stack}', { stack: 'a' })).toThrow('backupBucketPattern {stack} gives "a", which is not an S3 bucket name');
    expect(() => parseBucketName('Not_A_Bucket')).toThrow(UsageError);
    expect(() => parseBucketName('a..b')).toThrow(UsageError);
    expect(parseBucketName('my.backups-1')).toBe('my.backups-1');
  });

  it('takes only a 12-digit account id from STS', () => {
    expect(parseAccountId('123456789012')).toBe('123456789012');
    expect(() => parseAccountId(undefined)).toThrow(RemoteError);
    expect(() => parseAccountId('12345')).toThrow(RemoteError);
  });
});

describe('snapshot stamps', () => {
  it('round-trips real UTC minutes', () => {
    expect(parseStamp('2026-11-20-14-00')?.toISOString()).toBe('2026-11-20T14:00:00.000Z');
    expect(formatStamp(new Date('2026-02-03T04:05:59.999Z'))).toBe('2026-02-03-04-05');
  });

  it('refuses what is not a real minute', () => {
    for (const bad of [
      '2026-02-30-00-00',
      '2026-11-20-24-00',
      '2026-11-20-14-60',
      '2026-11-20-14',
      '2026-11-20T14-00',
      'latest',
      '2026-1-20-14-00',
      ' 2026-11-20-14-00',
    ]) {
      expect(parseStamp(bad), bad).toBeUndefined();
    }
  });
});

describe('grouping a listing', () => {
  it('groups snapshots/ keys by snapshot, newest first, and reports what does not parse', () => {
    const { snapshots, unparsable } = groupSnapshots([
      obj('snapshots/2026-11-23-09-00/a', 10, minutesAgo(97)),
      obj('snapshots/2026-11-23-09-00/b/c', 5, minutesAgo(95)),
      obj('snapshots/2026-11-23-10-00/a', 7, minutesAgo(37)),
      obj('snapshots/manual-copy/a', 3),
      obj('snapshots/2026-02-30-00-00/a', 4),
      obj('snapshots/stray-file', 2),
      obj('latest/a', 100),
    ]);
    expect(snapshots).toEqual([
      {
        stamp: '2026-11-23-10-00',
        prefix: 'snapshots/2026-11-23-10-00/',
        time: '2026-11-23T10:00:00.000Z',
        objects: 1,
        bytes: 7,
        lastModified: minutesAgo(37),
      },
      {
        stamp: '2026-11-23-09-00',
        prefix: 'snapshots/2026-11-23-09-00/',
        time: '2026-11-23T09:00:00.000Z',
        objects: 2,
        bytes: 15,
        lastModified: minutesAgo(95),
      },
    ]);
    expect(unparsable).toEqual([
      { prefix: 'snapshots/2026-02-30-00-00/', objects: 1, bytes: 4 },
      { prefix: 'snapshots/manual-copy/', objects: 1, bytes: 3 },
      { prefix: 'snapshots/stray-file', objects: 1, bytes: 2 },
    ]);
  });

  it('summarizes latest/: count, bytes, newest LastModified', () => {
    expect(summarizeLatest([obj('latest/a', 3, minutesAgo(30)), obj('latest/b', 4, minutesAgo(10))])).toEqual({ objects: 2, bytes: 7, newest: minutesAgo(10) });
    expect(summarizeLatest([])).toEqual({ objects: 0, bytes: 0, newest: null });
  });
});

describe('status', () => {
  const listing = (newest: string | null) => ({
    bucket: 'b',
    latest: { objects: newest ? 2 : 0, bytes: newest ? 9 : 0, newest },
    ...groupSnapshots([obj('snapshots/2026-11-23-10-00/a', 7), obj('snapshots/2026-11-23-09-00/a', 5)]),
  });

  it('fresh up to two timer intervals (40 min), stale beyond, empty without objects', () => {
    expect(assessStatus(listing(minutesAgo(10)), now).latest).toMatchObject({ state: 'fresh', ageSeconds: 600, intervalMinutes: 20, staleAfterMinutes: 40 });
    expect(assessStatus(listing(minutesAgo(40)), now).latest.state).toBe('fresh');
    expect(assessStatus(listing(minutesAgo(41)), now).latest).toMatchObject({ state: 'stale', ageSeconds: 2460 });
    expect(assessStatus(listing(null), now).latest).toMatchObject({ state: 'empty', ageSeconds: null, newestObjectTime: null });
  });

  it('counts the snapshots and names the newest', () => {
    const s = assessStatus(listing(minutesAgo(10)), now);
    expect(s.snapshots).toMatchObject({ count: 2, objects: 2, bytes: 12 });
    expect(s.snapshots.newest?.stamp).toBe('2026-11-23-10-00');
    expect(s.checkedAt).toBe(now.toISOString());
  });
});

describe("the backup unit's outcome", () => {
  it('succeeds only on Result=success and ExecMainStatus=0, in any order', () => {
    expect(parseBackupUnitOutput('Result=success\nExecMainStatus=0\n')).toEqual({ ok: true, result: 'success', exitStatus: 0 });
    expect(parseBackupUnitOutput('ExecMainStatus=0\nResult=success')).toMatchObject({ ok: true });
    expect(parseBackupUnitOutput('Result=exit-code\nExecMainStatus=1\n')).toEqual({ ok: false, result: 'exit-code', exitStatus: 1 });
    expect(parseBackupUnitOutput('')).toEqual({ ok: false, result: null, exitStatus: null });
  });
});

describe('poll budgets of backup now', () => {
  it('look soon (1 s, 2 s, 4 s ...) and cover 30 minutes within the call cap', () => {
    const s = pollSchedule(BACKUP_POLL_BUDGET);
    expect(s.delaysMs.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(s.delaysMs.reduce((a, b) => a + b, 0)).toBe(30 * 60_000);
    expect(s.delaysMs.length).toBeLessThanOrEqual(BACKUP_POLL_BUDGET.maxCalls);
    expect(
      pollSchedule(SANDBOX_POLL_BUDGET)
        .delaysMs.slice(0, 4)
        .reduce((a, b) => a + b, 0),
    ).toBeLessThan(1_000);
  });
});

describe('isNewSnapshot', () => {
  const snap = (stamp: string, lastModified: string) => ({
    stamp,
    prefix: `snapshots/${stamp}/`,
    time: `${stamp.slice(0, 10)}T${stamp.slice(11, 13)}:${stamp.slice(14, 16)}:00.000Z`,
    objects: 1,
    bytes: 1,
    lastModified,
  });
  const before = snap('2026-12-07-15-00', '2026-12-07T15:00:05.000Z');
  it('a later stamp is new; none after the run is not; the first snapshot ever is', () => {
    expect(isNewSnapshot(before, snap('2026-12-07-15-01', '2026-12-07T15:01:02.000Z'))).toBe(true);
    expect(isNewSnapshot(before, null)).toBe(false);
    expect(isNewSnapshot(null, before)).toBe(true);
  });
  it('the same minute written again is new; the same objects untouched are not', () => {
    expect(isNewSnapshot(before, snap('2026-12-07-15-00', '2026-12-07T15:00:41.000Z'))).toBe(true);
    expect(isNewSnapshot(before, before)).toBe(false);
  });
  it('an older stamp (a future-dated snapshot stays the newest) is not new', () => {
    const ahead = snap('2026-12-07-17-00', '2026-12-07T15:00:05.000Z');
    expect(isNewSnapshot(ahead, ahead)).toBe(false);
  });
});
