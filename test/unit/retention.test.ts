import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionImage, type RetentionInput } from '../../src/core/retention.js';

const DAY = 86_400_000;
const now = new Date('2026-11-23T00:00:00.000Z');
const img = (id: string, daysAgo: number, over: Partial<RetentionImage> = {}): RetentionImage => ({
  imageId: id,
  name: `clawdinator-nixos-${id}`,
  creationDate: new Date(now.getTime() - daysAgo * DAY).toISOString(),
  snapshots: [{ snapshotId: `snap-${id}`, sizeGiB: 8 }],
  preserved: false,
  ...over,
});
const base = (images: RetentionImage[], over: Partial<RetentionInput> = {}): RetentionInput => ({
  images,
  inUse: new Map(),
  keep: 2,
  minAgeMs: undefined,
  latestImageId: undefined,
  now,
  ...over,
});

describe('planRetention', () => {
  it('keeps the newest N and prunes the rest, newest first, with sizes and savings', () => {
    const plan = planRetention(base([img('a', 30), img('c', 1), img('b', 10), img('d', 60)]));
    expect(plan.images.map((i) => [i.imageId, i.action, i.reasons])).toEqual([
      ['c', 'keep', ['recent']],
      ['b', 'keep', ['recent']],
      ['a', 'prune', []],
      ['d', 'prune', []],
    ]);
    expect(plan.snapshotsToDelete).toEqual(['snap-a', 'snap-d']);
    expect(plan.freedGiB).toBe(16);
    expect(plan.monthlySavingsUsd).toBe(0.8);
  });

  it('gives every reason: in-use (each user), preserved, min-age, latest', () => {
    const plan = planRetention(
      base([img('new', 0.5), img('x', 5), img('y', 20, { preserved: true }), img('z', 40), img('old', 90)], {
        keep: 1,
        inUse: new Map([['z', ['clawdinator-1', 'i-0123']]]),
        minAgeMs: 7 * DAY,
        latestImageId: 'old',
      }),
    );
    const reasons = Object.fromEntries(plan.images.map((i) => [i.imageId, i.reasons]));
    expect(reasons).toEqual({
      new: ['recent', 'min-age'],
      x: ['min-age'],
      y: ['preserved'],
      z: ['in-use:clawdinator-1', 'in-use:i-0123'],
      old: ['latest'],
    });
    expect(plan.images.every((i) => i.action === 'keep')).toBe(true);
    expect(plan.snapshotsToDelete).toEqual([]);
  });

  it('never deletes a snapshot a kept image shares, and does not count it as freed', () => {
    const shared = { snapshotId: 'snap-shared', sizeGiB: 20 };
    const plan = planRetention(
      base([img('keep', 1, { snapshots: [shared] }), img('go', 50, { snapshots: [shared, { snapshotId: 'snap-own', sizeGiB: 4 }] })], { keep: 1 }),
    );
    expect(plan.images.find((i) => i.imageId === 'go')!.action).toBe('prune');
    expect(plan.snapshotsToDelete).toEqual(['snap-own']);
    expect(plan.freedGiB).toBe(4);
  });

  it('never prunes what is in use, preserved, latest, young or among the newest N (property)', () => {
    const images = fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^ami-[0-9a-f]{4}$/),
        age: fc.integer({ min: 0, max: 200 * DAY }),
        preserved: fc.boolean(),
        snaps: fc.array(fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6'), { minLength: 1, maxLength: 2 }),
      }),
      { selector: (i) => i.id, maxLength: 15 },
    );
    fc.assert(
      fc.property(
        images,
        fc.integer({ min: 1, max: 8 }),
        fc.option(fc.integer({ min: 0, max: 60 * DAY })),
        fc.array(fc.nat(20)),
        fc.nat(20),
        (list, keep, minAgeMs, usedIdx, latestIdx) => {
          const all = list.map((i) => ({
            imageId: i.id,
            name: undefined,
            creationDate: new Date(now.getTime() - i.age).toISOString(),
            preserved: i.preserved,
            snapshots: [...new Set<string>(i.snaps)].map((snapshotId) => ({ snapshotId, sizeGiB: 8 })),
          }));
          const used = new Set(usedIdx.filter((n) => n < all.length).map((n) => all[n]!.imageId));
          const latest = all[latestIdx]?.imageId;
          const plan = planRetention({
            images: all,
            inUse: new Map([...used].map((id) => [id, ['h']])),
            keep,
            minAgeMs: minAgeMs ?? undefined,
            latestImageId: latest,
            now,
          });
          const newest = [...all]
            .sort((a, b) => b.creationDate.localeCompare(a.creationDate) || a.imageId.localeCompare(b.imageId))
            .slice(0, keep)
            .map((i) => i.imageId);
          const kept = new Set(plan.images.filter((i) => i.action === 'keep').map((i) => i.imageId));
          for (const i of all) {
            const young = minAgeMs != null && now.getTime() - Date.parse(i.creationDate) < minAgeMs;
            if (used.has(i.imageId) || i.preserved || i.imageId === latest || young || newest.includes(i.imageId)) expect(kept.has(i.imageId)).toBe(true);
          }
          const keptSnaps = new Set(all.filter((i) => kept.has(i.imageId)).flatMap((i) => i.snapshots.map((s) => s.snapshotId)));
          for (const s of plan.snapshotsToDelete) expect(keptSnaps.has(s)).toBe(false);
          expect(plan.images).toHaveLength(all.length);
          for (const p of plan.images) expect(p.action === 'keep').toBe(p.reasons.length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
