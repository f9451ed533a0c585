import type { ClawEvent } from '../core/events.js';
import { etaSuffix } from './eta.js';

// The progress view as data: events in, the lines to draw out. Pure, so the Ink view
// stays a thin renderer and the model is tested without a terminal.

export interface ActiveStep {
  step: string;
  detail: string | undefined;
  startedAt: number;
  done: number;
  total: number | undefined;
  unit: 'bytes' | 'items' | 'percent' | undefined;
}

export interface FinishedLine {
  key: number;
  text: string;
  tone: 'ok' | 'skipped' | 'failed' | 'warning' | 'plan';
}

export interface ProgressModel {
  active: ActiveStep[];
  finished: FinishedLine[];
}

export const emptyModel = (): ProgressModel => ({ active: [], finished: [] });

export function reduceProgress(model: ProgressModel, e: ClawEvent, now: number): ProgressModel {
  const line = (text: string, tone: FinishedLine['tone']) => [...model.finished, { key: model.finished.length, text, tone }];
  switch (e.type) {
    case 'planned':
      return { ...model, finished: line(`plan: ${e.summary}`, 'plan') };
    case 'warning':
      return { ...model, finished: line(`warning: ${e.message}`, 'warning') };
    case 'step-started': {
      // A step that starts again (a host entering its next phase) keeps its start time.
      const running = model.active.find((s) => s.step === e.step);
      if (running) return { ...model, active: model.active.map((s) => (s === running ? { ...s, detail: e.detail } : s)) };
      return { ...model, active: [...model.active, { step: e.step, detail: e.detail, startedAt: now, done: 0, total: undefined, unit: undefined }] };
    }
    case 'progress':
      return { ...model, active: model.active.map((s) => (s.step === e.step ? { ...s, done: e.done, total: e.total, unit: e.unit } : s)) };
    case 'step-finished': {
      const tone = e.outcome;
      return { active: model.active.filter((s) => s.step !== e.step), finished: line(`${e.step}: ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`, tone) };
    }
  }
}

const MiB = 1024 * 1024;

/** "12.0 of 40.0 MiB, 8.1 MiB/s, ETA 4s" for a step, as far as it is known. */
export function describeProgress(s: ActiveStep, now: number): string {
  // A step without counts (a host switching, a task running) shows what it does and for how long.
  if (!s.unit) return [s.detail, `${Math.max(0, Math.floor((now - s.startedAt) / 1000))}s`].filter(Boolean).join(' · ');
  const fmt = (n: number) => (s.unit === 'bytes' ? (n / MiB).toFixed(1) : String(n));
  const suffix = s.unit === 'bytes' ? ' MiB' : s.unit === 'percent' ? '%' : '';
  let text = s.total !== undefined ? `${fmt(s.done)} of ${fmt(s.total)}${suffix}` : `${fmt(s.done)}${suffix}`;
  const secs = (now - s.startedAt) / 1000;
  if (s.unit === 'bytes' && secs > 0 && s.done > 0) {
    const rate = s.done / secs;
    text += `, ${(rate / MiB).toFixed(1)} MiB/s`;
    text += etaSuffix(s.done, s.total, now - s.startedAt);
  }
  return text;
}

export function fraction(s: ActiveStep): number | undefined {
  if (s.total === undefined || s.total <= 0) return undefined;
  return Math.min(1, s.done / s.total);
}
