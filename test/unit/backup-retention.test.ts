import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatStamp, groupSnapshots, type BackupObject } from '../../src/core/backup.js';
import { ordinal, planBackupPrune, prefixesToDelete, retentionVerdicts } from '../../src/core/backup-retention.js';

// The tiered snapshot retention, at a fixed clock: Monday 2026-11-23 10:37 UTC (so the
// Fridays are 11-20, 11-13, 11-06, 10-30 and 10-23).

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const now = new Date('2026-11-23T10:37:00.000Z');
const stampAgo = (ms: number) => formatStamp(new Date(now.getTime() - ms));
const verdictOf = (stamps: string[], stamp: string) => retentionVerdicts(stamps, now).find((v) => v.stamp === stamp)!;

describe('retention tiers (examples)', () => {
  it('< 24 h: the first of each UTC hour, with its reason', () => {
    const stamps = ['2026-11-23-10-00', '2026-11-23-10-20', '2026-11-23-09-00', '2026-11-23-09-20', '2026-11-23-09-40', '2026-11-23-10-30'];
    const v = Object.fromEntries(retentionVerdicts(stamps, now).map((x) => [x.stamp, [x.action, x.reason]]));
    expect(v).toEqual({
      '2026-11-23-10-30': ['keep', 'kept: newest snapshot, always kept (else: 3rd of hour 10:00 (< 24 h))'],
      '2026-11-23-10-20': ['delete', 'delete: 2nd of hour 10:00 (< 24 h)'],
      '2026-11-23-10-00': ['keep', 'kept: first of hour 10:00 (< 24 h)'],
      '2026-11-23-09-40': ['delete', 'delete: 3rd of hour 09:00 (< 24 h)'],
      '2026-11-23-09-20': ['delete', 'delete: 2nd of hour 09:00 (< 24 h)'],
      '2026-11-23-09-00': ['keep', 'kept: first of hour 09:00 (< 24 h)'],
    });
  });

  it('24 h to 7 d: the first of each UTC day; a drifting timer keeps its earliest of the day', () => {
    const stamps = ['2026-11-20-00-00', '2026-11-20-14-00', '2026-11-19-00-03', '2026-11-19-01-00', '2026-11-23-10-00'];
    expect(verdictOf(stamps, '2026-11-20-00-00').reason).toBe('kept: first of day 2026-11-20 (≤ 7 d)');
    expect(verdictOf(stamps, '2026-11-20-14-00').reason).toBe('delete: 2nd of day 2026-11-20 (≤ 7 d)');
    expect(verdictOf(stamps, '2026-11-19-00-03')).toMatchObject({ action: 'keep', tier: 'day', reason: 'kept: first of day 2026-11-19 (≤ 7 d)' });
    expect(verdictOf(stamps, '2026-11-19-01-00').action).toBe('delete');
  });

  it('the tier edges: exactly 24 h is the day tier, exactly 7 d still the day tier, exactly 30 d still the Friday tier', () => {
    const at24h = stampAgo(DAY); // 2026-11-22-10-37
    const at7d = stampAgo(7 * DAY); // 2026-11-16-10-37, a Monday
    const at30d = '2026-10-24-10-37'; // a Saturday, exactly 30 d
    expect(stampAgo(30 * DAY)).toBe(at30d);
    const stamps = [at24h, at7d, at30d, '2026-11-23-10-00'];
    expect(verdictOf(stamps, at24h)).toMatchObject({ tier: 'day', action: 'keep' });
    expect(verdictOf(stamps, at7d)).toMatchObject({ tier: 'day', action: 'keep' });
    expect(verdictOf(stamps, at30d)).toMatchObject({ tier: 'friday', action: 'delete', reason: 'delete: not a Friday, 2026-10-24 (≤ 30 d)' });
    expect(verdictOf(stamps, stampAgo(DAY - MIN))).toBeUndefined();
    expect(verdictOf([...stamps, stampAgo(DAY - MIN)], stampAgo(DAY - MIN)).tier).toBe('hour');
    expect(verdictOf([...stamps, stampAgo(7 * DAY + MIN)], stampAgo(7 * DAY + MIN)).tier).toBe('friday');
    expect(verdictOf([...stamps, stampAgo(30 * DAY + MIN)], stampAgo(30 * DAY + MIN))).toMatchObject({ tier: 'expired', reason: 'delete: older than 30 d' });
  });

  it('7 d to 30 d: the first of each UTC Friday; other days go', () => {
    const stamps = ['2026-11-13-00-00', '2026-11-13-06-00', '2026-11-12-00-00', '2026-10-30-00-00', '2026-10-23-00-00', '2026-11-23-10-00'];
    const v = Object.fromEntries(retentionVerdicts(stamps, now).map((x) => [x.stamp, x.reason]));
    expect(v['2026-11-13-00-00']).toBe('kept: first of Friday 2026-11-13 (≤ 30 d)');
    expect(v['2026-11-13-06-00']).toBe('delete: 2nd of Friday 2026-11-13 (≤ 30 d)');
    expect(v['2026-11-12-00-00']).toBe('delete: not a Friday, 2026-11-12 (≤ 30 d)');
    expect(v['2026-10-30-00-00']).toBe('kept: first of Friday 2026-10-30 (≤ 30 d)');
    expect(v['2026-10-23-00-00']).toBe('delete: older than 30 d');
  });

  it('a stalled timer: the newest is kept even past 30 d; a snapshot in the future is kept', () => {
    const v = retentionVerdicts(['2026-09-01-00-00', '2026-09-02-00-00', '2026-11-23-12-00'], now);
    expect(v.map((x) => [x.stamp, x.action, x.keptBy])).toEqual([
      ['2026-11-23-12-00', 'keep', 'future'],
      ['2026-09-02-00-00', 'delete', null],
      ['2026-09-01-00-00', 'delete', null],
    ]);
    const stalled = retentionVerdicts(['2026-09-01-00-00', '2026-09-02-00-00'], now);
    expect(stalled[0]).toMatchObject({ stamp: '2026-09-02-00-00', action: 'keep', keptBy: 'newest', reason: 'kept: newest snapshot, always kept (else: older than 30 d)' });
    expect(stalled[1]!.action).toBe('delete');
  });

  it('ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });
});

describe('planBackupPrune', () => {
  it('carries counts and bytes per snapshot and in total; unparsable prefixes are untouched', () => {
    const objects: BackupObject[] = [
      { key: 'snapshots/2026-11-23-10-00/a', size: 5, lastModified: now.toISOString() },
      { key: 'snapshots/2026-11-23-10-20/a', size: 7, lastModified: now.toISOString() },
      { key: 'snapshots/2026-11-23-10-20/b', size: 1, lastModified: now.toISOString() },
      { key: 'snapshots/2026-11-23-10-30/a', size: 2, lastModified: now.toISOString() },
      { key: 'snapshots/2026-09-01-00-00/a', size: 100, lastModified: now.toISOString() },
      { key: 'snapshots/keep-me/a', size: 3, lastModified: now.toISOString() },
    ];
    const plan = planBackupPrune({ ...groupSnapshots(objects), now });
    expect(plan.delete).toEqual({ count: 2, objects: 3, bytes: 108 });
    expect(plan.keep).toEqual({ count: 2, objects: 2, bytes: 7 });
    expect(prefixesToDelete(plan)).toEqual(['snapshots/2026-11-23-10-20/', 'snapshots/2026-09-01-00-00/']);
    expect(plan.untouched).toEqual([{ prefix: 'snapshots/keep-me/', objects: 1, bytes: 3 }]);
  });
});

// ---- properties ----

const WINDOW = 45 * DAY;
/** Snapshot instants from 45 days back to 2 hours ahead, at minute resolution; mostly in the past. */
const stampArb = fc.integer({ min: -2 * 60, max: WINDOW / MIN }).map((minutesAgo) => stampAgo(minutesAgo * MIN));
const pastStampArb = fc.integer({ min: 0, max: WINDOW / MIN }).map((minutesAgo) => stampAgo(minutesAgo * MIN));
/** Aligned series like a real timer: every 20 min for a while, plus random extras. */
const seriesArb = fc.tuple(fc.integer({ min: 0, max: 60 * 24 * 40 }), fc.integer({ min: 0, max: 400 }), fc.array(stampArb, { maxLength: 40 }))
  .map(([startMinutesAgo, count, extra]) => {
    const start = Math.floor((now.getTime() - startMinutesAgo * MIN) / (20 * MIN)) * 20 * MIN;
    return [...Array.from({ length: count }, (_, i) => formatStamp(new Date(start - i * 20 * MIN))), ...extra];
  });
const anyStamps = fc.oneof(fc.array(stampArb, { maxLength: 120 }), seriesArb);

describe('retention properties (fixed clock)', () => {
  it('the newest snapshot is always kept', () => {
    fc.assert(fc.property(anyStamps.filter((s) => s.length > 0), (stamps) => {
      const v = retentionVerdicts(stamps, now);
      expect(v[0]!.action).toBe('keep');
      expect(v[0]!.stamp).toBe([...stamps].sort().at(-1));
    }));
  });

  it('every kept snapshot has a tier reason; every decision says why', () => {
    fc.assert(fc.property(anyStamps, (stamps) => {
      for (const v of retentionVerdicts(stamps, now)) {
        if (v.action === 'keep') {
          expect(v.reason).toMatch(/^kept: (first of (hour \d\d:00 \(< 24 h\)|day \S+ \(≤ 7 d\)|Friday \S+ \(≤ 30 d\))|newest snapshot, always kept \(else: .+\)|in the future \(clock skew\?\))$/);
          expect(v.keptBy).not.toBeNull();
        } else {
          expect(v.reason).toMatch(/^delete: /);
          expect(v.keptBy).toBeNull();
        }
      }
    }));
  });

  it('applying the plan and planning again at the same clock deletes nothing more', () => {
    fc.assert(fc.property(anyStamps, (stamps) => {
      const kept = retentionVerdicts(stamps, now).filter((v) => v.action === 'keep').map((v) => v.stamp);
      const again = retentionVerdicts(kept, now);
      expect(again.filter((v) => v.action === 'delete')).toEqual([]);
      expect(again.map((v) => v.stamp).sort()).toEqual([...kept].sort());
    }));
  });

  it('at most 24 + 7 + 5 + 1 kept (snapshots in the future aside)', () => {
    fc.assert(fc.property(fc.oneof(fc.array(pastStampArb, { maxLength: 300 }), seriesArb), (stamps) => {
      const kept = retentionVerdicts(stamps, now).filter((v) => v.action === 'keep' && v.keptBy !== 'future');
      expect(kept.length).toBeLessThanOrEqual(24 + 7 + 5 + 1);
    }));
  });

  it('a dense 20-minute series over 45 days keeps one per hour, day and Friday', () => {
    const stamps = Array.from({ length: (45 * DAY) / (20 * MIN) }, (_, i) => formatStamp(new Date(Date.parse('2026-11-23T10:20:00Z') - i * 20 * MIN)));
    const v = retentionVerdicts(stamps, now);
    const kept = v.filter((x) => x.action === 'keep');
    const byTier = (t: string) => kept.filter((x) => x.tier === t && x.keptBy === 'tier').length;
    // Hours 11:00 yesterday .. 10:00 today; days 11-17 .. 11-22 (11-16's 00:00 is past 7 d
    // and not a Friday); Fridays 11-13, 11-06, 10-30; and the newest, 10:20 (2nd of its hour).
    expect([byTier('hour'), byTier('day'), byTier('friday')]).toEqual([24, 6, 3]);
    expect(kept.filter((x) => x.tier === 'day').map((x) => x.stamp.slice(11))).toEqual(Array(6).fill('00-00'));
    expect(kept.filter((x) => x.keptBy === 'newest').map((x) => x.stamp)).toEqual(['2026-11-23-10-20']);
    expect(kept).toHaveLength(34);
  });

  it('nothing outside snapshots/<stamp>/ is ever planned for deletion', () => {
    const keyArb = fc.oneof(
      stampArb.map((s) => `snapshots/${s}/file`),
      fc.constantFrom('latest/openclaw.sqlite', 'latest/snapshots/2026-01-01-00-00/x', 'snapshots/manual/x', 'snapshots/2026-02-30-00-00/x', 'snapshots/2026-11-20-00-00', 'other/2026-11-20-00-00/x'),
    );
    fc.assert(fc.property(fc.array(keyArb, { maxLength: 80 }), (keys) => {
      const objects = keys.map((key) => ({ key, size: 1, lastModified: now.toISOString() }));
      const plan = planBackupPrune({ ...groupSnapshots(objects), now });
      for (const p of prefixesToDelete(plan)) expect(p).toMatch(/^snapshots\/\d{4}-\d\d-\d\d-\d\d-\d\d\/$/);
      // Every key is either covered by a planned snapshot prefix or reported untouched; latest/ by neither.
      const planned = plan.snapshots.map((s) => s.prefix);
      for (const key of keys) {
        const inPlan = planned.some((p) => key.startsWith(p));
        const untouched = plan.untouched.some((u) => key === u.prefix || (u.prefix.endsWith('/') && key.startsWith(u.prefix)));
        if (!key.startsWith('snapshots/')) expect(inPlan || untouched).toBe(false);
        else expect(inPlan !== untouched).toBe(true);
      }
    }));
  });
});
