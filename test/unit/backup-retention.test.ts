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

describe('retention tiers, as upstream s3_snapshot_lifecycle.py', () => {
  it('< 24 h: the earliest snapshot of each clock hour, with its reason', () => {
    const stamps = ['2026-11-23-10-00', '2026-11-23-10-20', '2026-11-23-09-00', '2026-11-23-09-20', '2026-11-23-09-40', '2026-11-23-10-30'];
    const v = Object.fromEntries(retentionVerdicts(stamps, now).map((x) => [x.stamp, [x.action, x.reason]]));
    expect(v).toEqual({
      '2026-11-23-10-30': ['keep', 'kept: newest snapshot, always kept (else: 3rd of hour 10:00 on 2026-11-23 (< 24 h))'],
      '2026-11-23-10-20': ['delete', 'delete: 2nd of hour 10:00 on 2026-11-23 (< 24 h)'],
      '2026-11-23-10-00': ['keep', 'kept: first of hour 10:00 on 2026-11-23 (< 24 h)'],
      '2026-11-23-09-40': ['delete', 'delete: 3rd of hour 09:00 on 2026-11-23 (< 24 h)'],
      '2026-11-23-09-20': ['delete', 'delete: 2nd of hour 09:00 on 2026-11-23 (< 24 h)'],
      '2026-11-23-09-00': ['keep', 'kept: first of hour 09:00 on 2026-11-23 (< 24 h)'],
    });
  });

  it("the clock hour that straddles now - 24 h: the older one falls to the day rule, the younger is its hour's first (kept)", () => {
    // now 10:37: 2026-11-22 10:20 is 24 h 17 min old, 10:40 is 23 h 57 min old.
    const stamps = ['2026-11-22-00-00', '2026-11-22-10-20', '2026-11-22-10-40', '2026-11-23-10-00'];
    expect(verdictOf(stamps, '2026-11-22-10-20')).toMatchObject({ tier: 'day', action: 'delete' });
    expect(verdictOf(stamps, '2026-11-22-10-40')).toMatchObject({ tier: 'hour', action: 'keep', reason: 'kept: first of hour 10:00 on 2026-11-22 (< 24 h)' });
  });

  it('24 h to 7 d: every snapshot of the 00 UTC hour (a 20-minute timer makes three), none of the others', () => {
    const stamps = ['2026-11-20-00-00', '2026-11-20-00-20', '2026-11-20-00-40', '2026-11-20-01-00', '2026-11-20-14-00', '2026-11-23-10-00'];
    for (const m of ['00', '20', '40'])
      expect(verdictOf(stamps, `2026-11-20-00-${m}`)).toMatchObject({
        tier: 'day',
        action: 'keep',
        keptBy: 'tier',
        reason: 'kept: taken in the 00 UTC hour of 2026-11-20 (24 h to 7 d)',
      });
    expect(verdictOf(stamps, '2026-11-20-01-00')).toMatchObject({ action: 'delete', reason: 'delete: not in the 00 UTC hour of 2026-11-20 (24 h to 7 d)' });
    expect(verdictOf(stamps, '2026-11-20-14-00').action).toBe('delete');
  });

  it('7 d to 30 d: every snapshot in the 00 UTC hour of a Friday; other days and hours go', () => {
    const stamps = ['2026-11-13-00-00', '2026-11-13-00-20', '2026-11-13-06-00', '2026-11-12-00-00', '2026-10-30-00-40', '2026-10-23-00-00', '2026-11-23-10-00'];
    const v = Object.fromEntries(retentionVerdicts(stamps, now).map((x) => [x.stamp, x.reason]));
    expect(v['2026-11-13-00-00']).toBe('kept: taken in the 00 UTC hour of Friday 2026-11-13 (7 d to 30 d)');
    expect(v['2026-11-13-00-20']).toBe('kept: taken in the 00 UTC hour of Friday 2026-11-13 (7 d to 30 d)');
    expect(v['2026-11-13-06-00']).toBe('delete: not in the 00 UTC hour of Friday 2026-11-13 (7 d to 30 d)');
    expect(v['2026-11-12-00-00']).toBe('delete: 2026-11-12 is not a Friday (7 d to 30 d)');
    expect(v['2026-10-30-00-40']).toBe('kept: taken in the 00 UTC hour of Friday 2026-10-30 (7 d to 30 d)');
    expect(v['2026-10-23-00-00']).toBe('delete: 30 d or older');
  });

  it('the bounds: exactly 24 h is past the hour rule, exactly 7 d falls to the Friday tier, exactly 30 d is deleted; a minute either side', () => {
    // 2026-11-22 00:xx (24 h .. 34 h old): day tier; 2026-11-16 is a Monday; 2026-10-24 a Saturday, 2026-11-13 / 10-23 Fridays.
    const tiers = (stamps: string[]) =>
      Object.fromEntries(retentionVerdicts([...stamps, '2026-11-22-00-00', '2026-11-23-10-36'], now).map((x) => [x.stamp, [x.tier, x.action]]));
    expect(tiers([stampAgo(DAY - MIN), stampAgo(DAY), stampAgo(DAY + MIN)])).toMatchObject({
      [stampAgo(DAY - MIN)]: ['hour', 'keep'], // 23:59 old: the first of its hour under 24 h
      [stampAgo(DAY)]: ['day', 'delete'], // exactly 24 h: not in the 00 hour
      [stampAgo(DAY + MIN)]: ['day', 'delete'],
    });
    // At 00:xx UTC seven days back, the same instant either side of 7 d: midnight now 00:30.
    const at = new Date('2026-11-20T00:30:00Z'); // a Friday 00:30
    const sevenD = (ms: number) => retentionVerdicts([formatStamp(new Date(at.getTime() - ms)), formatStamp(at)], at).find((x) => x.stamp !== formatStamp(at))!;
    expect(sevenD(7 * DAY - MIN)).toMatchObject({ tier: 'day', action: 'keep' }); // Friday 11-13 00:31: 6 d 23:59
    expect(sevenD(7 * DAY)).toMatchObject({ tier: 'friday', action: 'keep' }); // exactly 7 d: the Friday tier, a Friday 00:30
    expect(sevenD(7 * DAY + MIN)).toMatchObject({ tier: 'friday', action: 'keep' });
    const thirty = (ms: number) => retentionVerdicts([formatStamp(new Date(at.getTime() - ms)), formatStamp(at)], at).find((x) => x.stamp !== formatStamp(at))!;
    // 30 d before Friday 2026-11-20 00:30 is Wednesday 10-21; use a Friday midnight: 10-23 00:30 is 28 d.
    expect(thirty(28 * DAY)).toMatchObject({ tier: 'friday', action: 'keep' });
    const fri = new Date('2026-11-22T00:30:00Z'); // Sunday; 30 d before: Friday 2026-10-23 00:30
    const around30 = (ms: number) =>
      retentionVerdicts([formatStamp(new Date(fri.getTime() - ms)), formatStamp(fri)], fri).find((x) => x.stamp !== formatStamp(fri))!;
    expect(around30(30 * DAY - MIN)).toMatchObject({ tier: 'friday', action: 'keep' }); // Friday 10-23 00:31
    expect(around30(30 * DAY)).toMatchObject({ tier: 'expired', action: 'delete', reason: 'delete: 30 d or older' });
    expect(around30(30 * DAY + MIN)).toMatchObject({ tier: 'expired', action: 'delete' });
  });

  it("claw's extra: a day (or Friday) with no 00-hour snapshot keeps its first; with one, the rest go", () => {
    const stamps = ['2026-11-19-00-03', '2026-11-19-01-00', '2026-11-18-02-10', '2026-11-18-05-00', '2026-11-13-03-00', '2026-11-13-04-00', '2026-11-23-10-00'];
    expect(verdictOf(stamps, '2026-11-19-00-03')).toMatchObject({ action: 'keep', keptBy: 'tier' });
    expect(verdictOf(stamps, '2026-11-19-01-00').action).toBe('delete');
    expect(verdictOf(stamps, '2026-11-18-02-10')).toMatchObject({
      action: 'keep',
      keptBy: 'first-of-day',
      reason: 'kept: first of 2026-11-18, which has no 00 UTC snapshot (24 h to 7 d; claw keeps one)',
    });
    expect(verdictOf(stamps, '2026-11-18-05-00').action).toBe('delete');
    expect(verdictOf(stamps, '2026-11-13-03-00')).toMatchObject({ tier: 'friday', action: 'keep', keptBy: 'first-of-day' });
    expect(verdictOf(stamps, '2026-11-13-04-00').action).toBe('delete');
  });

  it("a stalled timer: the newest is kept even past 30 d; a snapshot in the future is left alone and never takes the newest's place", () => {
    const v = retentionVerdicts(['2026-09-01-00-00', '2026-09-02-00-00', '2026-11-23-12-00'], now);
    expect(v.map((x) => [x.stamp, x.action, x.keptBy])).toEqual([
      ['2026-11-23-12-00', 'keep', 'future'],
      ['2026-09-02-00-00', 'keep', 'newest'],
      ['2026-09-01-00-00', 'delete', null],
    ]);
    const skewed = retentionVerdicts(['2026-11-23-09-00', '2026-11-23-09-20', '2026-11-24-09-00'], now);
    expect(skewed.map((x) => [x.stamp, x.action, x.keptBy])).toEqual([
      ['2026-11-24-09-00', 'keep', 'future'],
      ['2026-11-23-09-20', 'keep', 'newest'],
      ['2026-11-23-09-00', 'keep', 'tier'],
    ]);
  });

  it('ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
      '111th',
    ]);
  });
});

/**
 * Upstream's decision (openclaw-lab ec2-spot/templates/s3_snapshot_lifecycle.py,
 * calculate_snapshots_to_keep), transcribed as the oracle: sorted ascending; under 24 h
 * the first per clock hour among those under 24 h; under 7 d hour 0; under 30 d Friday
 * and hour 0; else delete. (Future stamps have a negative age: the hour rule.)
 */
function upstreamKeeps(stamps: readonly string[], at: Date): Set<string> {
  const entries = [...new Set(stamps)]
    .map((s) => ({ s, t: Date.parse(`${s.slice(0, 10)}T${s.slice(11, 13)}:${s.slice(14, 16)}:00Z`) }))
    .sort((a, b) => a.t - b.t);
  const keep = new Set<string>();
  const seen = new Set<string>();
  for (const { s, t } of entries) {
    const age = at.getTime() - t;
    const d = new Date(t);
    if (age < DAY) {
      const k = s.slice(0, 13);
      if (!seen.has(k)) {
        seen.add(k);
        keep.add(s);
      }
    } else if (age < 7 * DAY) {
      if (d.getUTCHours() === 0) keep.add(s);
    } else if (age < 30 * DAY) {
      if (d.getUTCDay() === 5 && d.getUTCHours() === 0) keep.add(s);
    }
  }
  return keep;
}

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
/** Aligned series like a real timer: every 20 min for a while, plus random extras. */
const seriesArb = fc
  .tuple(fc.integer({ min: 0, max: 60 * 24 * 40 }), fc.integer({ min: 0, max: 400 }), fc.array(stampArb, { maxLength: 40 }))
  .map(([startMinutesAgo, count, extra]) => {
    const start = Math.floor((now.getTime() - startMinutesAgo * MIN) / (20 * MIN)) * 20 * MIN;
    return [...Array.from({ length: count }, (_, i) => formatStamp(new Date(start - i * 20 * MIN))), ...extra];
  });
const anyStamps = fc.oneof(fc.array(stampArb, { maxLength: 120 }), seriesArb);

describe('retention properties (fixed clock)', () => {
  it('the newest snapshot not in the future is always kept', () => {
    fc.assert(
      fc.property(
        anyStamps.filter((s) => s.length > 0),
        (stamps) => {
          const v = retentionVerdicts(stamps, now);
          const newest = v.find((x) => x.ageMs >= 0);
          if (newest) expect(newest.action).toBe('keep');
          for (const x of v.filter((y) => y.ageMs < 0)) expect(x).toMatchObject({ action: 'keep', keptBy: 'future' });
        },
      ),
    );
  });

  it('equals upstream wherever claw adds nothing: every decision but the newest, the future and the first-of-day fallback', () => {
    fc.assert(
      fc.property(anyStamps, (stamps) => {
        const upstream = upstreamKeeps(stamps, now);
        for (const v of retentionVerdicts(stamps, now)) {
          if (v.keptBy === 'newest' || v.keptBy === 'future' || v.keptBy === 'first-of-day') continue;
          expect(v.action, `${v.stamp}: ${v.reason}`).toBe(upstream.has(v.stamp) ? 'keep' : 'delete');
        }
        // And claw never deletes what upstream keeps.
        for (const v of retentionVerdicts(stamps, now)) if (upstream.has(v.stamp)) expect(v.action).toBe('keep');
      }),
    );
  });

  it('every kept snapshot has a tier reason; every decision says why', () => {
    fc.assert(
      fc.property(anyStamps, (stamps) => {
        for (const v of retentionVerdicts(stamps, now)) {
          if (v.action === 'keep') {
            expect(v.reason).toMatch(
              /^kept: (first of hour \d\d:00 on \S+ \(< 24 h\)|taken in the 00 UTC hour of (Friday )?\S+ \((24 h to 7 d|7 d to 30 d)\)|first of (Friday )?\S+, which has no 00 UTC snapshot \(.+; claw keeps one\)|newest snapshot, always kept \(else: .+\)|stamped in the future \(clock skew\?\): left alone)$/,
            );
            expect(v.keptBy).not.toBeNull();
          } else {
            expect(v.reason).toMatch(/^delete: /);
            expect(v.keptBy).toBeNull();
          }
        }
      }),
    );
  });

  it('applying the plan and planning again at the same clock deletes nothing more', () => {
    fc.assert(
      fc.property(anyStamps, (stamps) => {
        const kept = retentionVerdicts(stamps, now)
          .filter((v) => v.action === 'keep')
          .map((v) => v.stamp);
        const again = retentionVerdicts(kept, now);
        expect(again.filter((v) => v.action === 'delete')).toEqual([]);
        expect(again.map((v) => v.stamp).sort()).toEqual([...kept].sort());
      }),
    );
  });

  it('a 20-minute timer keeps at most 24 + 3 a day for 7 days + 3 a Friday for 5 + the newest', () => {
    fc.assert(
      fc.property(seriesArb, (stamps) => {
        const aligned = stamps.filter((s) => Number(s.slice(14, 16)) % 20 === 0);
        const kept = retentionVerdicts(aligned, now).filter((v) => v.action === 'keep' && v.keptBy !== 'future');
        expect(kept.length).toBeLessThanOrEqual(24 + 3 * 7 + 3 * 5 + 1);
      }),
    );
  });

  it('a dense 20-minute series over 45 days keeps one per hour, the three 00-hour ones a day, and of a Friday', () => {
    const stamps = Array.from({ length: (45 * DAY) / (20 * MIN) }, (_, i) => formatStamp(new Date(Date.parse('2026-11-23T10:20:00Z') - i * 20 * MIN)));
    const v = retentionVerdicts(stamps, now);
    const kept = v.filter((x) => x.action === 'keep');
    const byTier = (t: string) => kept.filter((x) => x.tier === t && x.keptBy === 'tier').length;
    // Hours: 10:40 yesterday (its hour's first under 24 h), 11:00 .. 23:00, 00:00 .. 10:00 today = 25; days 11-17 ..
    // 11-22 at 00:00, 00:20, 00:40 = 18 (11-16 is past 7 d, a Monday); Fridays 11-13, 11-06,
    // 10-30 = 9; and the newest, 10:20 (2nd of its hour).
    expect([byTier('hour'), byTier('day'), byTier('friday')]).toEqual([25, 18, 9]);
    expect(new Set(kept.filter((x) => x.tier === 'day').map((x) => x.stamp.slice(11)))).toEqual(new Set(['00-00', '00-20', '00-40']));
    expect(kept.filter((x) => x.keptBy === 'newest').map((x) => x.stamp)).toEqual(['2026-11-23-10-20']);
    expect(kept).toHaveLength(53);
  });

  it('nothing outside snapshots/<stamp>/ is ever planned for deletion', () => {
    const keyArb = fc.oneof(
      stampArb.map((s) => `snapshots/${s}/file`),
      fc.constantFrom(
        'latest/openclaw.sqlite',
        'latest/snapshots/2026-01-01-00-00/x',
        'snapshots/manual/x',
        'snapshots/2026-02-30-00-00/x',
        'snapshots/2026-11-20-00-00',
        'other/2026-11-20-00-00/x',
      ),
    );
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 80 }), (keys) => {
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
      }),
    );
  });
});
