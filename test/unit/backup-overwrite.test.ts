import { describe, expect, it } from 'vitest';
import { groupSnapshots, summarizeLatest } from '../../src/core/backup.js';
import {
  decideOverwrite,
  MARKER_LEASE_SECONDS,
  markerAfterKeep,
  markerForRun,
  markerLive,
  OVERWRITE_MARKER_KEY,
  parseMarker,
  unfinishedFix,
  unfinishedOverwrite,
  type OverwriteMarker,
} from '../../src/core/backup-overwrite.js';
import { planBackupPrune } from '../../src/core/backup-retention.js';
import { earlierRunLine } from '../../src/ui/backup-sync-text.js';

const T1 = '2026-11-23-14-02';
const FRESH = '2026-11-23-15-40';
const marker = (m: Partial<OverwriteMarker> = {}): OverwriteMarker => ({
  version: 1,
  run: 'run-1',
  command: 'push',
  source: '/home/op/state',
  by: 'op@laptop',
  startedAt: '2026-11-23T14:02:10.000Z',
  updatedAt: '2026-11-23T14:02:10.000Z',
  keptAs: T1,
  keepFinished: true,
  ...m,
});

describe('the unfinished-overwrite marker', () => {
  it('parses what claw writes; anything else is unreadable, with the reason', () => {
    const m = marker();
    expect(parseMarker(JSON.stringify(m), '"e1"')).toEqual({ kind: 'found', marker: m, etag: '"e1"' });
    expect(parseMarker('{not json', '"e"')).toEqual({ kind: 'unreadable', etag: '"e"', reason: 'not JSON' });
    expect(parseMarker(JSON.stringify({ ...m, keptAs: 'yesterday' }), '"e"')).toMatchObject({ kind: 'unreadable', reason: /^keptAs: is not a snapshot stamp/ });
    expect(parseMarker(JSON.stringify({ ...m, command: 'pull' }), '"e"')).toMatchObject({ kind: 'unreadable', reason: /^command: / });
    expect(parseMarker(JSON.stringify({ ...m, version: 2 }), '"e"')).toMatchObject({ kind: 'unreadable', reason: /^version: / });
    // Nothing kept and the keep not finished cannot both be: there would be no snapshot to finish.
    expect(parseMarker(JSON.stringify({ ...m, keptAs: null, keepFinished: false }), '"e"')).toMatchObject({
      kind: 'unreadable',
      reason: /keptAs: null needs keepFinished: true/,
    });
  });

  it('lives outside latest/ and snapshots/: no listing, snapshot or prune plan ever counts it', () => {
    expect(OVERWRITE_MARKER_KEY.startsWith('latest/') || OVERWRITE_MARKER_KEY.startsWith('snapshots/')).toBe(false);
    const objects = [
      { key: OVERWRITE_MARKER_KEY, size: 300, lastModified: '2026-11-23T14:02:10.000Z' },
      { key: `snapshots/${T1}/openclaw.sqlite`, size: 10, lastModified: '2026-11-23T14:02:11.000Z' },
    ];
    const grouped = groupSnapshots(objects);
    expect(grouped.snapshots.map((s) => s.stamp)).toEqual([T1]);
    expect(grouped.unparsable).toEqual([]);
    const plan = planBackupPrune({ ...grouped, now: new Date('2026-11-23T16:00:00Z') });
    expect(plan.snapshots.map((s) => s.prefix)).toEqual([`snapshots/${T1}/`]);
    expect(plan.untouched).toEqual([]);
    // latest/ is listed by its prefix, so the marker never reaches summarizeLatest; shown here for the record.
    expect(summarizeLatest(objects.filter((o) => o.key.startsWith('latest/')))).toEqual({ objects: 0, bytes: 0, newest: null });
  });
});

describe('what a push or restore keeps before it overwrites latest/', () => {
  it('no marker: a latest/ with objects is kept in a fresh snapshot; an empty one is not kept', () => {
    expect(decideOverwrite({ marker: null, latestHasObjects: true, freshStamp: FRESH })).toEqual({
      keep: { into: FRESH, delete: false },
      keptAs: FRESH,
      earlier: null,
    });
    expect(decideOverwrite({ marker: null, latestHasObjects: false, freshStamp: FRESH })).toEqual({ keep: null, keptAs: null, earlier: null });
  });

  it('a marker whose keep finished: latest/ is part-written and is not kept again; the state before is its snapshot, whatever the new source', () => {
    const m = marker({ keepFinished: true });
    for (const latestHasObjects of [true, false]) {
      expect(decideOverwrite({ marker: m, latestHasObjects, freshStamp: FRESH })).toEqual({
        keep: null,
        keptAs: T1,
        earlier: { marker: m, action: 'not-kept-again' },
      });
    }
    // latest/ was empty before the first run: nothing was kept, and nothing is now.
    const empty = marker({ keptAs: null, keepFinished: true });
    expect(decideOverwrite({ marker: empty, latestHasObjects: true, freshStamp: FRESH })).toEqual({
      keep: null,
      keptAs: null,
      earlier: { marker: empty, action: 'not-kept-again' },
    });
  });

  it('a marker whose keep had not finished: the copy into its snapshot is completed exactly (never a new stamp)', () => {
    const m = marker({ keepFinished: false });
    expect(decideOverwrite({ marker: m, latestHasObjects: true, freshStamp: FRESH })).toEqual({
      keep: { into: T1, delete: true },
      keptAs: T1,
      earlier: { marker: m, action: 'finish-keep' },
    });
    // latest/ emptied since: nothing to go back to, and the partial copy is emptied with it.
    expect(decideOverwrite({ marker: m, latestHasObjects: false, freshStamp: FRESH })).toEqual({
      keep: { into: T1, delete: true },
      keptAs: null,
      earlier: { marker: m, action: 'finish-keep' },
    });
  });

  it('the marker a run writes: a first run starts it; a re-run takes it over and keeps the first start and snapshot', () => {
    const now = new Date('2026-11-23T15:40:30Z');
    const first = decideOverwrite({ marker: null, latestHasObjects: true, freshStamp: FRESH });
    const written = markerForRun({
      previous: null,
      decision: first,
      run: 'r2',
      command: 'restore',
      source: 's3://b/snapshots/x/',
      by: 'a@b',
      now,
      keepPlanned: true,
    });
    expect(written).toEqual({
      version: 1,
      run: 'r2',
      command: 'restore',
      source: 's3://b/snapshots/x/',
      by: 'a@b',
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      keptAs: FRESH,
      keepFinished: false,
      heartbeatAt: now.toISOString(),
      leaseSeconds: MARKER_LEASE_SECONDS,
    });
    const later = new Date('2026-11-23T15:41:00Z');
    expect(markerAfterKeep(written, first, later)).toEqual({
      ...written,
      keepFinished: true,
      updatedAt: later.toISOString(),
      heartbeatAt: later.toISOString(),
    });

    const prev = marker({ keepFinished: true });
    const again = decideOverwrite({ marker: prev, latestHasObjects: true, freshStamp: FRESH });
    expect(markerForRun({ previous: prev, decision: again, run: 'r3', command: 'push', source: '/other', by: 'c@d', now, keepPlanned: false })).toEqual({
      ...prev,
      run: 'r3',
      source: '/other',
      by: 'c@d',
      updatedAt: now.toISOString(),
      heartbeatAt: now.toISOString(),
      leaseSeconds: MARKER_LEASE_SECONDS,
    });

    // Finishing a copy into a latest/ that has since been emptied: the marker names the copy while it runs, nothing after.
    const unfinished = marker({ keepFinished: false });
    const emptied = decideOverwrite({ marker: unfinished, latestHasObjects: false, freshStamp: FRESH });
    const during = markerForRun({ previous: unfinished, decision: emptied, run: 'r4', command: 'push', source: '/x', by: 'e@f', now, keepPlanned: true });
    expect(during).toMatchObject({ keptAs: T1, keepFinished: false });
    expect(markerAfterKeep(during, emptied, now)).toMatchObject({ keptAs: null, keepFinished: true });
    expect(parseMarker(JSON.stringify(markerAfterKeep(during, emptied, now)), '"e"').kind).toBe('found');
  });

  it('one line about the earlier run, as the plan shows it', () => {
    expect(earlierRunLine({ marker: marker(), action: 'not-kept-again' })).toBe(
      `an earlier run stopped after keeping latest/ as snapshots/${T1}/; latest/ is part-written and is not kept again (push from /home/op/state by op@laptop, started 2026-11-23 14:02 UTC)`,
    );
    expect(earlierRunLine({ marker: marker({ keepFinished: false }), action: 'finish-keep' })).toMatch(
      new RegExp(`^an earlier run stopped while keeping latest/ as snapshots/${T1}/; latest/ was not touched yet and that copy is finished first \\(`),
    );
    expect(earlierRunLine({ marker: marker({ keptAs: null }), action: 'not-kept-again' })).toMatch(
      /^an earlier run stopped while writing into latest\/, which was empty before it; latest\/ is part-written and is not kept \(/,
    );
  });
});

describe('what status says about an unfinished overwrite', () => {
  it('the fix: run again, or restore the state before; never a partial copy', () => {
    expect(unfinishedFix(marker(), '--stack lab')).toBe(
      `run the same push again, or put the state before it back: claw backup restore --stack lab --snapshot ${T1} --delete`,
    );
    expect(unfinishedFix(marker({ keepFinished: false, command: 'restore' }), '--stack lab')).toBe(
      `run the same restore again: latest/ was not touched yet; it finishes the copy into snapshots/${T1}/ first`,
    );
    expect(unfinishedFix(marker({ keptAs: null }), '--stack lab')).toBe('run the same push again (latest/ was empty before it)');
  });

  it('none, readable or unreadable', () => {
    expect(unfinishedOverwrite({ kind: 'none' }, '--stack lab')).toBeNull();
    expect(unfinishedOverwrite({ kind: 'found', marker: marker(), etag: '"e"' }, '--stack lab', new Date('2026-11-23T15:00:00Z'))).toEqual({
      readable: true,
      command: 'push',
      source: '/home/op/state',
      by: 'op@laptop',
      startedAt: '2026-11-23T14:02:10.000Z',
      updatedAt: '2026-11-23T14:02:10.000Z',
      keptAs: T1,
      keepFinished: true,
      live: false,
      fix: unfinishedFix(marker(), '--stack lab'),
    });
    expect(unfinishedOverwrite({ kind: 'unreadable', etag: '"e"', reason: 'not JSON' }, '')).toMatchObject({
      readable: false,
      reason: 'not JSON',
      fix: /remove it only when no push or restore/,
    });
  });

  it('a marker renewed within its lease is a live run: status says to wait, naming when it counts as stopped', () => {
    const m = { ...marker(), heartbeatAt: '2026-11-23T14:30:00.000Z', leaseSeconds: 120 };
    expect(markerLive(m, new Date('2026-11-23T14:31:59Z'))).toBe(true);
    expect(markerLive(m, new Date('2026-11-23T14:32:00Z'))).toBe(false);
    expect(markerLive({ ...m, stoppedAt: '2026-11-23T14:30:01.000Z' }, new Date('2026-11-23T14:30:02Z'))).toBe(false);
    // An older claw's marker (no heartbeat) counts from updatedAt.
    expect(markerLive(marker(), new Date('2026-11-23T14:03:00Z'))).toBe(true);
    expect(unfinishedOverwrite({ kind: 'found', marker: m, etag: '"e"' }, '--stack lab', new Date('2026-11-23T14:31:00Z'))).toMatchObject({
      live: true,
      fix: expect.stringMatching(/^wait for it to finish; if that claw was killed, it counts as stopped after 2026-11-23T14:32:00.000Z/),
    });
  });
});
