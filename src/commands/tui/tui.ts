import { homedir } from 'node:os';
import { relative } from 'node:path';
import { parseStack } from '../../core/backup.js';
import type { Outcome } from '../../core/dashboard-refresh.js';
import { RemoteError } from '../../core/errors.js';
import { displayableEvent } from '../../core/events.js';
import { LOCK_KEY } from '../../core/lock.js';
import { redactUrl, redactUrls } from '../../core/redact.js';
import { displayable } from '../../core/terminal-text.js';
import type { DashboardDeps } from '../../ui/dashboard/deps.js';
import type { Where } from '../../ui/dashboard/header.js';
import { lockStatusDocument } from '../../ui/lock-text.js';
import { serviceDeps, terminalWidth, type Context } from '../../cli/context.js';
import { fleetStatus } from '../../services/fleet/status.js';
import { renderStatus } from '../../ui/status-text.js';
import { backupNow, planDeploy, runDeploy, spotLines } from './actions.js';
import { dashboardReader, describeError, type DashboardReader } from './data.js';

// `claw tui`: the live fleet dashboard. On a terminal it draws with Ink in the
// alternate screen until q; anywhere else it prints `claw status` once and says why.

export interface TuiOptions {
  /** Seconds, parsed by commander (intervalFlag). */
  interval?: number;
  stack?: string;
  readonly?: boolean;
  json?: boolean;
}

export const DEFAULT_INTERVAL_S = 10;

function where(ctx: Context): Where {
  const region = ctx.config.values.region;
  const target = ctx.sandbox
    ? `SANDBOX ${region}`
    : [
        ctx.config.values.profile ? `profile ${ctx.config.values.profile}` : undefined,
        region,
        ctx.config.values.endpointUrl ? `at ${redactUrl(ctx.config.values.endpointUrl)}` : undefined,
      ]
        .filter(Boolean)
        .join(' · ');
  const root = ctx.repo?.root;
  let repo = '-';
  if (root) {
    const rel = relative(ctx.io.cwd, root);
    const home = relative(homedir(), root);
    repo =
      ctx.repo?.via === 'sandbox-fixture'
        ? "the sandbox's sample repo"
        : rel === ''
          ? '.'
          : !rel.startsWith('..')
            ? rel
            : !home.startsWith('..')
              ? `~/${home}`
              : root;
  }
  return { target, sandbox: ctx.sandbox, repo };
}

/**
 * The dashboard's services. Everything they answer is drawn field by field, so it is made
 * safe first: control characters from outside (tags, keys, host output, a lock holder)
 * shown as escapes, passwords in URLs redacted.
 */
export function dashboardDeps(ctx: Context, read: DashboardReader, stack: string | undefined): DashboardDeps {
  const safe = <T>(v: T): T => displayable(v, redactUrls);
  return {
    refresh: async (o) => safe(await read(o)),
    planDeploy: async (host, rev) => {
      const p = await planDeploy(ctx, host, rev);
      return { text: safe(p.text.split('\n')).join('\n'), fingerprint: p.fingerprint, sha: p.sha };
    },
    runDeploy: async (o) => safe(await runDeploy(ctx, { ...o, emit: (e) => o.emit(displayableEvent(e)) })),
    spot: async () => safe(await spotLines(ctx)),
    backup: async (host) => safe(await backupNow(ctx, host, stack)),
    describe: (err) => safe(describeError(err, ctx)),
    now: () => ctx.now().getTime(),
  };
}

/**
 * `--json`: one refresh as one document, each section null when it could not be read,
 * with the reasons in `errors`; exit 1 when any section failed.
 */
async function printJson(ctx: Context, read: DashboardReader): Promise<void> {
  const r = await read({ account: true });
  const value = <T>(o: Outcome<T> | undefined): T | null => (o?.ok ? o.value : null);
  const place = { bucket: ctx.config.values.bootstrapBucket, key: LOCK_KEY };
  const lock = value(r.lock);
  const errors = (['fleet', 'retention', 'lock', 'history', 'head', 'account', 'backup'] as const).flatMap((section) => {
    const o = r[section];
    return o && !o.ok ? [{ section, message: o.error }] : [];
  });
  const fleet = value(r.fleet);
  ctx.print(
    JSON.stringify(
      {
        account: value(r.account),
        head: value(r.head),
        lock: lock ? lockStatusDocument(lock, place, ctx.now()) : null,
        fleet: fleet ? { ...fleet.report, warnings: fleet.warnings } : null,
        retention: value(r.retention),
        history: value(r.history),
        ...(r.backup ? { backup: value(r.backup) } : {}),
        errors,
      },
      null,
      2,
    ),
  );
  if (errors.length) throw new RemoteError(`could not read ${errors.map((e) => e.section).join(', ')}: ${errors[0]!.message}`);
}

export async function run(ctx: Context, opts: TuiOptions): Promise<void> {
  const intervalS = opts.interval ?? DEFAULT_INTERVAL_S;
  const stack = opts.stack === undefined ? undefined : parseStack(opts.stack);
  ctx.registry(); // outside a repo (or with a broken registry): exit 2 before anything is drawn
  const read = dashboardReader(ctx, { stack });
  if (opts.json) return printJson(ctx, read);
  if (!ctx.io.stdout.isTTY || !ctx.io.stdinIsTTY) {
    ctx.log.info('claw tui: the dashboard needs a terminal (stdin and stdout); here is `claw status` once instead');
    ctx.print(renderStatus(await fleetStatus(serviceDeps(ctx)), ctx.now(), ctx.paint, { width: terminalWidth(ctx), wide: false }));
    return;
  }
  const [{ render }, { createElement }, { DashboardApp }] = await Promise.all([import('ink'), import('react'), import('../../ui/dashboard/app.js')]);
  const app = createElement(DashboardApp, {
    deps: dashboardDeps(ctx, read, stack),
    where: where(ctx),
    intervalMs: intervalS * 1000,
    readonly: Boolean(opts.readonly),
    color: ctx.paint.enabled,
    signal: ctx.io.signal,
  });
  // While the dashboard owns the terminal nothing else may write to it: the context's
  // log (also behind --verbose's per-call AWS log) goes nowhere until it is done.
  await ctx.withLog({ info: () => {}, warn: () => {}, debug: () => {} }, async () => {
    // Fixed regions redrawn line by line, at most 15 frames a second, in the alternate
    // screen (the shell's scrollback is left as it was). Interactive because claw has seen a
    // terminal: Ink's own guess would draw nothing until exit wherever CI=true is set.
    const instance = render(app, {
      interactive: true,
      stdout: ctx.io.stdout,
      stderr: ctx.io.stderr,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 15,
      incrementalRendering: true,
      alternateScreen: true,
    });
    await instance.waitUntilExit();
  });
}
