import type { EventSink } from '../core/events.js';
import type { TransferOp } from '../core/sync-plan.js';

// Progress of a sync as events: files done (items) and bytes done (bytes, from which
// the renderers derive rate and ETA), at most every `everyMs` so thousands of small
// files do not flood the sink, and always once at the end.

/** Step names the sync emits, e.g. "upload files" / "upload bytes" / "delete". */
export const syncSteps = (op: TransferOp) => ({ files: `${op} files`, bytes: `${op} bytes`, delete: 'delete' }) as const;

export class SyncProgress {
  private files = 0;
  private bytesDone = 0;
  private failed = 0;
  private lastEmit = Number.NEGATIVE_INFINITY;
  private readonly steps: ReturnType<typeof syncSteps>;

  constructor(
    private readonly events: EventSink | undefined,
    op: TransferOp,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
    private readonly now: () => number = () => performance.now(),
    private readonly everyMs = 100,
  ) {
    this.steps = syncSteps(op);
  }

  start(): void {
    if (!this.events || this.totalFiles === 0) return;
    this.events.emit({ type: 'step-started', step: this.steps.files, detail: `${this.totalFiles} to transfer` });
    this.events.emit({ type: 'step-started', step: this.steps.bytes });
  }

  bytes(n: number): void {
    this.bytesDone += n;
    this.maybeEmit();
  }

  fileDone(ok: boolean): void {
    if (ok) this.files++;
    else this.failed++;
    this.maybeEmit();
  }

  finish(interrupted: boolean): void {
    if (!this.events || this.totalFiles === 0) return;
    this.emitNow();
    const outcome = this.failed > 0 || interrupted ? 'failed' : 'ok';
    const detail = [`${this.files} of ${this.totalFiles} done`, this.failed > 0 ? `${this.failed} failed` : '', interrupted ? 'interrupted' : '']
      .filter(Boolean)
      .join(', ');
    this.events.emit({ type: 'step-finished', step: this.steps.files, outcome, detail });
    this.events.emit({ type: 'step-finished', step: this.steps.bytes, outcome });
  }

  private maybeEmit(): void {
    if (!this.events) return;
    const t = this.now();
    if (t - this.lastEmit < this.everyMs) return;
    this.lastEmit = t;
    this.emitNow();
  }

  private emitNow(): void {
    this.events?.emit({ type: 'progress', step: this.steps.files, done: this.files, total: this.totalFiles, unit: 'items' });
    this.events?.emit({ type: 'progress', step: this.steps.bytes, done: this.bytesDone, total: this.totalBytes, unit: 'bytes' });
  }
}
