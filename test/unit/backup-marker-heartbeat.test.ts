import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { S3Api } from '../../src/aws/clients.js';
import { MARKER_HEARTBEAT_MS, markerForRun, decideOverwrite, type OverwriteMarker } from '../../src/core/backup-overwrite.js';
import { markerWriter } from '../../src/commands/backup/overwrite.js';
import type { Context } from '../../src/cli/context.js';

// The unfinished-overwrite marker of a run is renewed every MARKER_HEARTBEAT_MS while
// the run is alive, each write conditional on the last one's ETag; when another run
// changed it (a 412 whose re-read shows another run), the writer says so and aborts the
// run's transfers.

const bucket = { name: 'b', origin: 'test' };
const now = new Date('2026-12-07T10:00:00Z');

function fakeS3(o: { takeOverAfter?: number } = {}) {
  const writes: { heartbeatAt?: string; condition: string }[] = [];
  let body = '';
  let etag = 0;
  const s3 = {
    putObject: async (i: { Body: string; IfMatch?: string; IfNoneMatch?: string }) => {
      if (o.takeOverAfter !== undefined && writes.length >= o.takeOverAfter) {
        body = JSON.stringify({ ...(JSON.parse(body) as OverwriteMarker), run: 'someone-else' });
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        });
      }
      writes.push({ heartbeatAt: (JSON.parse(i.Body) as OverwriteMarker).heartbeatAt, condition: i.IfMatch ?? `none-match ${i.IfNoneMatch}` });
      body = i.Body;
      return { ETag: `"e${++etag}"`, $metadata: {} };
    },
    getObject: async () => ({ Body: { transformToString: async () => body }, ETag: `"e${etag}x"`, $metadata: {} }),
  } as unknown as S3Api;
  return { s3, writes };
}

const ctxAt = (clock: { t: number }) =>
  ({
    io: { signal: new AbortController().signal },
    now: () => new Date(clock.t),
    log: { debug: () => {}, info: () => {}, warn: () => {} },
  }) as unknown as Context;

describe('the marker heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const first = markerForRun({
    previous: null,
    decision: decideOverwrite({ marker: null, latestHasObjects: false, freshStamp: '2026-12-07-10-00' }),
    run: 'r1',
    command: 'push',
    source: '/src',
    by: 'op@host',
    now,
    keepPlanned: false,
  });

  it('renews the marker every interval while the run is alive, each write conditional on the last ETag', async () => {
    const clock = { t: now.getTime() };
    const { s3, writes } = fakeS3();
    const w = markerWriter(ctxAt(clock), bucket, s3, { marker: first, etag: undefined });
    await w.write(first);
    w.startHeartbeat();
    for (let i = 1; i <= 3; i++) {
      clock.t += MARKER_HEARTBEAT_MS;
      await vi.advanceTimersByTimeAsync(MARKER_HEARTBEAT_MS);
    }
    await w.stopHeartbeat();
    expect(writes.map((x) => x.condition)).toEqual(['none-match *', '"e1"', '"e2"', '"e3"']);
    expect(writes.map((x) => x.heartbeatAt)).toEqual([0, 1, 2, 3].map((i) => new Date(now.getTime() + i * MARKER_HEARTBEAT_MS).toISOString()));
    expect(w.signal.aborted).toBe(false);
  });

  it('a heartbeat refused because another run took the marker over aborts this run', async () => {
    const clock = { t: now.getTime() };
    const { s3 } = fakeS3({ takeOverAfter: 1 });
    const w = markerWriter(ctxAt(clock), bucket, s3, { marker: first, etag: undefined });
    await w.write(first);
    w.startHeartbeat();
    clock.t += MARKER_HEARTBEAT_MS;
    await vi.advanceTimersByTimeAsync(MARKER_HEARTBEAT_MS);
    await w.stopHeartbeat();
    expect(w.signal.aborted).toBe(true);
    expect(String(w.lost())).toMatch(/another push or restore changed/);
  });
});
