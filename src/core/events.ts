// Long operations (prune, build, deploy, sync) report through typed events; the Ink
// views and the plain/JSON printers are sinks. Nothing below src/commands prints.

export type ClawEvent =
  | { type: 'planned'; summary: string }
  | { type: 'step-started'; step: string; detail?: string }
  | { type: 'progress'; step: string; done: number; total?: number | undefined; unit: 'bytes' | 'items' | 'percent' }
  | { type: 'step-finished'; step: string; outcome: 'ok' | 'skipped' | 'failed'; detail?: string }
  | { type: 'warning'; message: string };

export interface EventSink {
  emit(event: ClawEvent): void;
}

/** A sink that keeps every event: handy for services that return what happened, and for tests. */
export function recordingSink(): EventSink & { events: ClawEvent[] } {
  const events: ClawEvent[] = [];
  return { events, emit: (e) => void events.push(e) };
}
