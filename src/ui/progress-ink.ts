import { displayableEvent, type ClawEvent, type EventSink } from '../core/events.js';
import { emptyModel, reduceProgress, type ProgressModel } from './progress-model.js';

export interface ClosableSink extends EventSink {
  close(): Promise<void>;
}

/**
 * Progress drawn with Ink on a terminal (stderr). Ink and React are imported on the
 * first event only, so commands that report nothing never load them; events that
 * arrive meanwhile are kept in the model and drawn once Ink is up.
 */
export function inkProgressSink(stream: NodeJS.WriteStream, now: () => number = Date.now): ClosableSink {
  let model: ProgressModel = emptyModel();
  let redraw: (() => void) | undefined;
  let starting: Promise<{ unmount(): void; waitUntilExit(): Promise<unknown> }> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const start = async () => {
    const [{ render }, { createElement }, { ProgressView }] = await Promise.all([import('ink'), import('react'), import('./progress-view.js')]);
    const view = () => createElement(ProgressView, { model, now: now() });
    const instance = render(view(), { stdout: stream, interactive: true, patchConsole: false, exitOnCtrlC: false, maxFps: 10 });
    redraw = () => instance.rerender(view());
    // Rates and ETAs move even between events.
    timer = setInterval(() => redraw?.(), 500);
    timer.unref();
    return instance;
  };

  return {
    emit(e: ClawEvent) {
      model = reduceProgress(model, displayableEvent(e), now());
      starting ??= start();
      redraw?.();
    },
    async close() {
      if (!starting) return;
      const instance = await starting;
      clearInterval(timer);
      redraw?.();
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
