import type { ClawEvent, EventSink } from '../core/events.js';
import { etaSuffix } from './eta.js';

const MiB = 1024 * 1024;

function amount(done: number, unit: 'bytes' | 'items' | 'percent'): string {
  if (unit === 'bytes') return `${(done / MiB).toFixed(1)} MiB`;
  if (unit === 'percent') return `${done}%`;
  return String(done);
}

/**
 * Plain progress lines on stderr, for pipes and CI logs: every step start and end, and
 * progress at most every `everyMs` per step, with rate and (once measured, see eta.ts) ETA for byte counts.
 */
export function textProgressSink(write: (line: string) => void, now: () => number = Date.now, everyMs = 2_000): EventSink {
  const started = new Map<string, number>();
  const lastShown = new Map<string, number>();
  // A finished count is shown once: a sync repeats its last counts when it finishes.
  const completeShown = new Set<string>();
  return {
    emit(e: ClawEvent) {
      switch (e.type) {
        case 'planned':
          return write(`plan: ${e.summary}`);
        case 'step-started':
          started.set(e.step, now());
          completeShown.delete(e.step);
          return write(`${e.step}: started${e.detail ? ` (${e.detail})` : ''}`);
        case 'step-finished':
          return write(`${e.step}: ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`);
        case 'warning':
          return write(`warning: ${e.message}`);
        case 'progress': {
          const t = now();
          const complete = e.total !== undefined && e.done >= e.total;
          if (!complete && t - (lastShown.get(e.step) ?? 0) < everyMs) return;
          if (complete && completeShown.has(e.step)) return;
          if (complete) completeShown.add(e.step);
          lastShown.set(e.step, t);
          let line = `${e.step}: ${amount(e.done, e.unit)}${e.total !== undefined ? ` of ${amount(e.total, e.unit)}` : ''}`;
          const since = started.get(e.step);
          if (e.unit === 'bytes' && since !== undefined && t > since && e.done > 0) {
            const rate = e.done / ((t - since) / 1000);
            line += `, ${(rate / MiB).toFixed(1)} MiB/s`;
            line += etaSuffix(e.done, e.total, t - since);
          }
          return write(line);
        }
      }
    },
  };
}
