import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../../core/errors.js';
import { type StatusReport } from '../../core/fleet.js';
import { renderStatus } from '../../ui/status-text.js';
import { redactUrls } from '../../core/redact.js';
import { terminalSafe } from '../../core/terminal-text.js';
import { fleetStatus } from '../../services/fleet/status.js';
import { serviceDeps, terminalWidth, type Context } from '../../cli/context.js';

export interface StatusOptions {
  json?: boolean;
  wide?: boolean;
  watch?: boolean;
  /** Seconds, parsed by commander (intervalFlag). */
  interval?: number;
}

export async function run(ctx: Context, opts: StatusOptions): Promise<void> {
  const interval = opts.interval ?? 5;
  if (opts.interval !== undefined && !opts.watch) throw new UsageError('--interval only applies with --watch');
  const render = (report: StatusReport) =>
    opts.json
      ? JSON.stringify(report, null, opts.watch ? 0 : 2)
      : renderStatus(report, ctx.now(), ctx.paint, { width: terminalWidth(ctx), wide: Boolean(opts.wide) });
  if (!opts.watch) {
    ctx.print(render(await fleetStatus(serviceDeps(ctx))));
    return;
  }
  await watch(ctx, interval, render, Boolean(opts.json));
}

/**
 * Refresh in place until Ctrl-C (which ends the watch normally, exit 0). On a failed
 * refresh the last good table stays up, marked stale, and the error is shown.
 */
async function watch(ctx: Context, seconds: number, render: (r: StatusReport) => string, json: boolean): Promise<void> {
  const tty = Boolean(ctx.io.stdout.isTTY) && !json;
  let last: { text: string; at: Date } | undefined;
  while (!ctx.io.signal.aborted) {
    let error: string | undefined;
    try {
      const report = await fleetStatus(serviceDeps(ctx));
      last = { text: render(report), at: ctx.now() };
    } catch (err) {
      if (ctx.io.signal.aborted) break;
      if (err instanceof UsageError) throw err;
      error = (err as Error).message.split('\n')[0];
    }
    const stamp = ctx.now().toISOString().slice(11, 19);
    if (json) {
      if (error) ctx.log.warn(`refresh failed: ${error}`);
      else if (last) ctx.print(last.text);
    } else {
      const stale =
        error && last ? ctx.paint('red', ` STALE since ${last.at.toISOString().slice(11, 19)}: ${error}`) : error ? ctx.paint('red', ` ${error}`) : '';
      const header = ctx.paint('dim', `claw status --watch · every ${seconds}s · ${stamp} · Ctrl-C to quit`) + stale;
      // The screen clear is claw's own; the rest is made safe like every other output.
      ctx.io.stdout.write(`${tty ? '\x1b[H\x1b[2J' : '\n'}${terminalSafe(redactUrls(`${header}\n\n${last?.text ?? ''}`), ctx.paint.enabled)}\n`);
    }
    try {
      await sleep(seconds * 1000, undefined, { signal: ctx.io.signal });
    } catch {
      break;
    }
  }
}
