import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClawEvent } from '../../src/core/events.js';
import { SyncProgress } from '../../src/aws/sync-progress.js';
import { etaSeconds, formatEta } from '../../src/ui/eta.js';
import { describeProgress, emptyModel, reduceProgress } from '../../src/ui/progress-model.js';
import { textProgressSink } from '../../src/ui/progress-text.js';

// Progress without a terminal (CI logs, pipes): an ETA only once the rate is measured,
// long ones in hours and minutes, never "ETA 850164s".

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The plain progress lines a sync writes, driven by a clock the test moves. */
function plainSync(totalBytes: number) {
  let t = 1_000_000;
  const lines: string[] = [];
  const sink = textProgressSink(
    (l) => lines.push(l),
    () => t,
    2_000,
  );
  const progress = new SyncProgress(sink, 'upload', 10, totalBytes, () => t, 100);
  progress.start();
  return { lines, progress, at: (ms: number) => (t = 1_000_000 + ms), bytesLines: () => lines.filter((l) => /^upload bytes: \d/.test(l)) };
}

describe('plain sync progress', () => {
  it('the first chunk, right after the start, shows no ETA (it would be days); a measured rate does', () => {
    const s = plainSync(8 * GiB);
    s.at(400); // connections opening; the first 16 KiB chunk
    s.progress.bytes(16 * 1024);
    s.at(2_500);
    s.progress.bytes(40 * MiB - 16 * 1024);
    s.at(4_600);
    s.progress.bytes(60 * MiB);
    expect(s.bytesLines()).toEqual([
      'upload bytes: 0.0 MiB of 8192.0 MiB, 0.0 MiB/s',
      'upload bytes: 40.0 MiB of 8192.0 MiB, 16.0 MiB/s, ETA 8m30s',
      'upload bytes: 100.0 MiB of 8192.0 MiB, 21.7 MiB/s, ETA 6m13s',
    ]);
  });

  it('a slow, long transfer says hours and minutes', () => {
    const s = plainSync(100 * GiB);
    s.at(10_000);
    s.progress.bytes(10 * MiB); // 1 MiB/s: 102390 s left
    expect(s.bytesLines().at(-1)).toBe('upload bytes: 10.0 MiB of 102400.0 MiB, 1.0 MiB/s, ETA 28h27m');
  });

  it('a finished transfer has no ETA, and its last counts show once', () => {
    const s = plainSync(4 * MiB);
    s.at(3_000);
    s.progress.bytes(4 * MiB);
    s.at(3_500);
    s.progress.fileDone(true);
    s.progress.finish(false);
    expect(s.bytesLines()).toEqual(['upload bytes: 4.0 MiB of 4.0 MiB, 1.3 MiB/s']);
    expect(new Set(s.lines).size).toBe(s.lines.length);
  });
});

describe('the terminal view', () => {
  it('waits for a measured rate the same way', () => {
    const events: [ClawEvent, number][] = [
      [{ type: 'step-started', step: 'upload' }, 0],
      [{ type: 'progress', step: 'upload', done: 64 * 1024, total: 2 * GiB, unit: 'bytes' }, 300],
    ];
    const model = events.reduce((m, [e, t]) => reduceProgress(m, e, t), emptyModel());
    expect(describeProgress(model.active[0]!, 300)).toBe('0.1 of 2048.0 MiB, 0.2 MiB/s');
    expect(describeProgress({ ...model.active[0]!, done: 200 * MiB }, 10_000)).toBe('200.0 of 2048.0 MiB, 20.0 MiB/s, ETA 1m33s');
  });
});

describe('etaSeconds', () => {
  it('nothing before 2 s, nor before some bytes (1 MiB, or 1/20 of a small transfer), nor once done', () => {
    expect(etaSeconds(100 * MiB, 200 * MiB, 1_999)).toBeUndefined();
    expect(etaSeconds(100 * MiB, 200 * MiB, 2_000)).toBe(2);
    expect(etaSeconds(MiB - 1, GiB, 60_000)).toBeUndefined();
    expect(etaSeconds(MiB, GiB, 60_000)).toBe(61_380);
    expect(etaSeconds(50 * 1024, 1000 * 1024, 5_000)).toBe(95);
    expect(etaSeconds(49 * 1024, 1000 * 1024, 5_000)).toBeUndefined();
    expect(etaSeconds(GiB, GiB, 60_000)).toBeUndefined();
    expect(etaSeconds(0, GiB, 60_000)).toBeUndefined();
  });
});

describe('formatEta', () => {
  it.each([
    [0, '0s'],
    [0.2, '1s'],
    [59, '59s'],
    [60, '1m00s'],
    [754, '12m34s'],
    [3599, '59m59s'],
    [3600, '1h00m'],
    [3601, '1h01m'],
    [7500, '2h05m'],
    [850_164, '236h10m'],
  ])('%d s: %s', (s, text) => expect(formatEta(s)).toBe(text));

  it('never more than 59 of a smaller unit, never hundreds of thousands of seconds', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e8, noNaN: true }), (s) => {
        const text = formatEta(s);
        const m = /^(?:(\d+)s|(\d+)m(\d\d)s|(\d+)h(\d\d)m)$/.exec(text);
        expect(m).not.toBeNull();
        const [, secs, mins, minSecs, hours, hourMins] = m!;
        if (secs !== undefined) expect(Number(secs)).toBeLessThan(60);
        if (mins !== undefined) expect([Number(mins) < 60, Number(minSecs) < 60]).toEqual([true, true]);
        if (hourMins !== undefined) expect(Number(hourMins)).toBeLessThan(60);
        // Never shorter than the time left.
        const shown = Number(secs ?? 0) + Number(mins ?? 0) * 60 + Number(minSecs ?? 0) + Number(hours ?? 0) * 3600 + Number(hourMins ?? 0) * 60;
        expect(shown).toBeGreaterThanOrEqual(Math.ceil(s));
      }),
    );
  });
});
