import { CONFIG_FILE, type ConfigKey } from '../../core/config.js';
import { renderTable } from '../../ui/table.js';
import type { Context } from '../../cli/context.js';

export function run(ctx: Context, opts: { json?: boolean }): void {
  const keys = Object.keys(ctx.config.values) as ConfigKey[];
  const entries = keys.map((key) => ({ key, ...ctx.config.sources[key] }));
  const repo = ctx.repo ? { root: ctx.repo.root, via: ctx.repo.via } : null;
  const doc = {
    repo,
    sandbox: ctx.sandbox,
    home: ctx.home,
    config: ctx.config.values,
    sources: Object.fromEntries(entries.map((e) => [e.key, { source: e.source, origin: e.origin }])),
  };
  const show = (v: unknown) => (v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  ctx.result(opts, doc, () =>
    [
      renderTable(
        ['KEY', 'VALUE', 'SOURCE'],
        entries.map((e) => [e.key, show(e.value), e.source === e.origin ? e.source : `${e.source} (${e.origin})`]),
      ),
      '',
      `repo:    ${repo ? `${repo.root} (${repo.via})` : `none (no nix/instances.json here or above; ${CONFIG_FILE} not read)`}`,
      `home:    ${ctx.home}`,
      `mode:    ${ctx.sandbox ? 'sandbox (simulated account)' : 'AWS'}`,
    ].join('\n'),
  );
}
