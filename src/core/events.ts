import { redactUrls } from './redact.js';
import { escapeField } from './terminal-text.js';

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

/** The event with its text fields safe for a terminal (see terminal-text.ts) and any password in a URL redacted. */
export function displayableEvent(e: ClawEvent): ClawEvent {
  const t = (s: string) => escapeField(redactUrls(s));
  switch (e.type) {
    case 'planned':
      return { ...e, summary: t(e.summary) };
    case 'warning':
      return { ...e, message: t(e.message) };
    case 'progress':
      return { ...e, step: t(e.step) };
    case 'step-started':
    case 'step-finished':
      return { ...e, step: t(e.step), ...(e.detail !== undefined ? { detail: t(e.detail) } : {}) };
  }
}
