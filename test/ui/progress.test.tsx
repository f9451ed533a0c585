import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ClawEvent } from '../../src/core/events.js';
import { describeProgress, emptyModel, reduceProgress } from '../../src/ui/progress-model.js';
import { ProgressView } from '../../src/ui/progress-view.js';

const MiB = 1024 * 1024;
const fold = (events: [ClawEvent, number][]) => events.reduce((m, [e, t]) => reduceProgress(m, e, t), emptyModel());

describe('progress view', () => {
  it('draws a running upload with a bar, bytes, rate and ETA', () => {
    const model = fold([
      [{ type: 'step-started', step: 'upload', detail: 's3://b/k' }, 0],
      [{ type: 'progress', step: 'upload', done: 32 * MiB, total: 128 * MiB, unit: 'bytes' }, 4_000],
    ]);
    const { lastFrame } = render(<ProgressView model={model} now={4_000} />);
    expect(lastFrame()).toBe('upload [######------------------]  25% 32.0 of 128.0 MiB, 8.0 MiB/s, ETA 12s');
  });

  it('moves finished steps (and warnings) above, keeping only running ones live', () => {
    const model = fold([
      [{ type: 'planned', summary: 'upload, import, register' }, 0],
      [{ type: 'step-started', step: 'upload' }, 0],
      [{ type: 'step-finished', step: 'upload', outcome: 'ok' }, 1_000],
      [{ type: 'warning', message: 'no git sha' }, 1_000],
      [{ type: 'step-started', step: 'import' }, 1_000],
      [{ type: 'progress', step: 'import', done: 55, total: 100, unit: 'percent' }, 2_000],
    ]);
    const frame = render(<ProgressView model={model} now={2_000} />).lastFrame()!;
    expect(frame.split('\n')).toEqual([
      'plan: upload, import, register',
      'upload: ok',
      'warning: no git sha',
      'import [#############-----------]  55% 55 of 100%',
    ]);
  });

  it('a host moving to its next phase keeps its elapsed time and shows the new phase', () => {
    const model = fold([
      [{ type: 'step-started', step: 'deploy h1', detail: 'sending' }, 0],
      [{ type: 'step-started', step: 'deploy h1', detail: 'polling: building the system configuration...' }, 7_000],
    ]);
    expect(render(<ProgressView model={model} now={9_000} />).lastFrame()).toBe('deploy h1 polling: building the system configuration... · 9s');
  });

  it('describes progress without a total, and a step with no progress by its detail', () => {
    const base = { step: 's', detail: 'waiting', startedAt: 0, done: 0, total: undefined, unit: undefined };
    expect(describeProgress(base, 12_400)).toBe('waiting · 12s');
    expect(describeProgress({ ...base, unit: 'items', done: 3 }, 1_000)).toBe('3');
  });
});
