import type { Command } from 'commander';
import type { Context, GlobalOptions, WithContext } from './context.js';

/**
 * A command's action: its module loaded when it runs (`load` must be a literal
 * `() => import('./verb.js')`, so tsup keeps a chunk per verb), then `run` with the
 * context and commander's arguments (the positional ones, then the options).
 */
export function action<M, A extends unknown[]>(
  withContext: WithContext,
  load: () => Promise<M>,
  run: (m: M, ctx: Context, ...args: A) => Promise<void> | void,
  force?: Partial<GlobalOptions>,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const cmd = args[args.length - 1] as Command;
    const m = await load();
    await withContext(cmd, (ctx) => run(m, ctx, ...(args.slice(0, -1) as A)), force);
  };
}
