import type { Command } from 'commander';
import type { AwsClients, S3Api } from '../aws/clients.js';
import type { AwsTarget } from '../aws/errors.js';
import { callOutcome, instrument } from '../aws/instrument.js';
import type { ConfigKey, ResolvedConfig } from '../core/config.js';
import type { EventSink } from '../core/events.js';
import type { Registry } from '../core/registry.js';
import type { TofuRunner } from '../nix/tofu.js';
import type { SimulatedNix } from '../sandbox/image-build.js';
import { loadConfig } from '../nix/config.js';
import { clawHome, fixturesDir } from '../nix/paths.js';
import { loadRegistry, locateRepo, requireRepo, type RepoInfo } from '../nix/repo.js';
import { ensureSandboxRepo, sandboxSeedRevs } from '../nix/sandbox-repo.js';
import { inkProgressSink, type ClosableSink } from '../ui/progress-ink.js';
import { textProgressSink } from '../ui/progress-text.js';
import { redactUrls } from '../core/redact.js';
import { terminalSafe } from '../core/terminal-text.js';
import { confirmOrRefuse } from '../ui/confirm.js';
import { styler, type Styler } from '../ui/style.js';
import { InterruptedError } from '../core/errors.js';
import type { ServiceDeps } from '../services/deps.js';

/** What src/cli.ts hands down: the process, read once, so nothing below reads globals. */
/**
 * How claw opens the sandbox account: its seed, and, asked only when it seeds, the
 * commits of the sandbox's own sample repo that the seeded hosts run.
 */
export function sandboxAccount(home: string): { home: string; seedDir: string; revs: () => Record<string, string> | undefined } {
  return { home, seedDir: fixturesDir('sandbox'), revs: () => sandboxSeedRevs(home, fixturesDir('clawdinators')) };
}

export interface ProcessIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdinIsTTY: boolean;
  signal: AbortSignal;
}

export interface GlobalOptions {
  repo?: string;
  sandbox?: boolean;
  profile?: string;
  region?: string;
  endpointUrl?: string;
  verbose?: boolean;
  color?: boolean;
}

export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  debug(line: string): void;
}

export interface Context {
  io: ProcessIo;
  sandbox: boolean;
  config: ResolvedConfig;
  repo: RepoInfo | undefined;
  home: string;
  target: AwsTarget;
  log: Logger;
  /** Styling for stdout: off for pipes, NO_COLOR and --no-color. */
  paint: Styler;
  now(): Date;
  /** The validated registry; a UsageError outside a repo. */
  registry(): Registry;
  /** AWS clients (or the sandbox account), created on first use. */
  clients(): Promise<AwsClients>;
  /** The sandbox only: OpenTofu simulated against the simulated account (replace without an infra directory). */
  simulatedTofu?: (() => Promise<TofuRunner>) | undefined;
  /** The sandbox only: the NixOS image build simulated (ami build needs no nix daemon there). */
  simulatedNix?: (() => Promise<SimulatedNix>) | undefined;
  /**
   * The sandbox only, for a long-lived process (each dashboard refresh): a new fault run,
   * so `claw sandbox faults` set meanwhile applies from the next call; the faults now on, or null.
   */
  sandboxRun?: (() => Promise<{ rate: number; attempts: number; seed: number } | null>) | undefined;
  /** AWS calls made so far through clients(), by "service.Operation" (a multipart upload counts once). */
  requests(): Record<string, number>;
  /** Progress of long operations: Ink on a terminal, plain lines on stderr otherwise. */
  events: EventSink;
  /** Finish drawing progress; called once when the command ends. */
  close(): Promise<void>;
  /** Write a result to stdout. */
  print(text: string): void;
  /** The command's result on stdout: `doc` as indented JSON with --json, else `renderText()`. */
  result(opts: { json?: boolean | undefined }, doc: unknown, renderText: () => string): void;
  /**
   * Ask before a destructive step: --yes answers for the operator; without a terminal claw
   * refuses (exit 3); Ctrl-C at the prompt is an interruption (exit 130), nothing changed.
   */
  confirm(question: string, o: { yes: boolean | undefined }): Promise<void>;
  /** Run `fn` with the log going to `log` instead (the dashboard owns the terminal meanwhile). */
  withLog<T>(log: Logger, fn: () => Promise<T>): Promise<T>;
}

function wantsColor(stream: NodeJS.WriteStream, opts: GlobalOptions, env: ProcessIo['env']): boolean {
  if (opts.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  return Boolean(stream.isTTY) && (typeof stream.hasColors !== 'function' || stream.hasColors());
}

/** The terminal's width when stdout is one (tables fit it), else undefined (full width). */
export const terminalWidth = (ctx: Pick<Context, 'io'>): number | undefined =>
  ctx.io.stdout.isTTY && ctx.io.stdout.columns ? ctx.io.stdout.columns : undefined;

/** What every SDK client of this invocation is made with: where, how many tries, which timeouts. */
export function sdkSettings(ctx: Pick<Context, 'config' | 'target'>) {
  const v = ctx.config.values;
  return { ...ctx.target, maxAttempts: v.maxAttempts, connectTimeout: v.connectTimeout, requestTimeout: v.requestTimeout };
}

export function createContext(opts: GlobalOptions, io: ProcessIo): Context {
  const sandbox = Boolean(opts.sandbox);
  const home = clawHome(io.env);
  const repo = locateRepo({
    cwd: io.cwd,
    ...(opts.repo !== undefined ? { repoFlag: opts.repo } : {}),
    // Outside a repo the sandbox has its own: a git checkout of the sample under $CLAW_HOME.
    ...(sandbox ? { sandboxFixture: () => ensureSandboxRepo(home, fixturesDir('clawdinators')).root } : {}),
  });
  const flags: Partial<Record<ConfigKey, string>> = {};
  if (opts.region !== undefined) flags.region = opts.region;
  if (opts.profile !== undefined) flags.profile = opts.profile;
  if (opts.endpointUrl !== undefined) flags.endpointUrl = opts.endpointUrl;
  const config = loadConfig({ repo, flags, env: io.env });
  const errPaint = styler(wantsColor(io.stderr, opts, io.env));
  const outPaint = styler(wantsColor(io.stdout, opts, io.env));
  // Every human-readable line leaves through these two: control characters from outside
  // made visible, a password inside a URL redacted.
  const toStderr = (text: string) => io.stderr.write(terminalSafe(redactUrls(text), errPaint.enabled));
  const toStdout = (text: string) => io.stdout.write(terminalSafe(redactUrls(text), outPaint.enabled));
  const terminalLog: Logger = {
    info: (line) => toStderr(`${line}\n`),
    warn: (line) => toStderr(`${errPaint('yellow', 'warning:')} ${line}\n`),
    debug: (line) => {
      if (opts.verbose) toStderr(`${errPaint('gray', line)}\n`);
    },
  };
  // Every log line of this invocation (the per-call AWS log too) goes where `sink` says.
  let sink = terminalLog;
  const log: Logger = { info: (l) => sink.info(l), warn: (l) => sink.warn(l), debug: (l) => sink.debug(l) };
  const target: AwsTarget = { region: config.values.region, profile: config.values.profile, endpointUrl: config.values.endpointUrl };

  let registry: Registry | undefined;
  let clients: Promise<AwsClients> | undefined;
  let account: { newRun(): void } | undefined;
  const requests = new Map<string, number>();
  const makeClients = async (): Promise<AwsClients> => {
    let raw: AwsClients;
    if (sandbox) {
      const { openSandbox } = await import('../sandbox/index.js');
      const sbx = await openSandbox({ ...sandboxAccount(home), onFaults: (m) => log.warn(m) });
      account = sbx;
      raw = sbx.clients;
    } else {
      const { createSdkClients } = await import('../aws/sdk-clients.js');
      // Sockets to match the sync engine's concurrency (each large file has parts in flight too).
      raw = createSdkClients({ ...sdkSettings({ config, target }), signal: io.signal, maxSockets: Math.max(50, config.values.syncConcurrency * 4) });
    }
    return instrument(raw, (c) => {
      const kind = `${c.service}.${c.operation}`;
      requests.set(kind, (requests.get(kind) ?? 0) + 1);
      log.debug(`aws ${kind} ${c.durationMs.toFixed(0)}ms ${callOutcome(c)}`);
    });
  };

  const progress: ClosableSink = io.stderr.isTTY ? inkProgressSink(io.stderr) : { ...textProgressSink((line) => toStderr(`${line}\n`)), close: async () => {} };

  return {
    io,
    sandbox,
    config,
    repo,
    home,
    target,
    log,
    paint: outPaint,
    now: () => new Date(),
    registry: () => (registry ??= loadRegistry(requireRepo(repo), io.cwd)),
    clients: () => (clients ??= makeClients()),
    ...(sandbox
      ? {
          simulatedTofu: async () => {
            const [{ openSandbox }, { simulatedTofu }] = await Promise.all([import('../sandbox/index.js'), import('../sandbox/tofu.js')]);
            const sbx = await openSandbox({ ...sandboxAccount(home), faults: false });
            return simulatedTofu(sbx, loadRegistry(requireRepo(repo), io.cwd));
          },
          simulatedNix: async () => (await import('../sandbox/image-build.js')).simulatedNix(home),
          sandboxRun: async () => {
            account?.newRun();
            const { readFaults, sandboxFaultsPath } = await import('../sandbox/faults-store.js');
            const f = await readFaults(sandboxFaultsPath(home));
            return f ? { rate: f.rate, attempts: f.attempts, seed: f.seed } : null;
          },
        }
      : {}),
    requests: () => Object.fromEntries([...requests].sort(([a], [b]) => a.localeCompare(b))),
    events: progress,
    close: () => progress.close(),
    print: (text) => toStdout(text.endsWith('\n') ? text : `${text}\n`),
    // `this`: a context made from this one with its own print or io (the dashboard's) uses them.
    result(this: Context, o, doc, renderText) {
      this.print(o.json ? JSON.stringify(doc, null, 2) : renderText());
    },
    async confirm(this: Context, question, o) {
      try {
        await confirmOrRefuse(question, { stderr: this.io.stderr, stdinIsTTY: this.io.stdinIsTTY, signal: this.io.signal }, o.yes);
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw new InterruptedError('interrupted at the prompt; nothing was changed');
        throw err;
      }
    },
    withLog: async (next, fn) => {
      const saved = sink;
      sink = next;
      try {
        return await fn();
      } finally {
        sink = saved;
      }
    },
  };
}

/** An S3 client not bound to the Ctrl-C signal: for releasing the lock after an abort. */
async function cleanupS3(ctx: Context): Promise<S3Api> {
  if (ctx.sandbox) return (await ctx.clients()).s3;
  const { createSdkClients } = await import('../aws/sdk-clients.js');
  const raw = createSdkClients(sdkSettings(ctx));
  return instrument(raw, (c) => ctx.log.debug(`aws ${c.service}.${c.operation} ${c.durationMs.toFixed(0)}ms ${c.ok ? 'ok' : 'failed'} (cleanup)`)).s3;
}

/** What a service may use of this invocation; the dashboard swaps the log, the events and the signal per action. */
export function serviceDeps(ctx: Context, over: Partial<Pick<ServiceDeps, 'log' | 'events' | 'signal'>> = {}): ServiceDeps {
  // One cleanup client per run: the lock's release and the history records share it.
  let cleanup: Promise<S3Api> | undefined;
  return {
    sandbox: ctx.sandbox,
    config: ctx.config,
    repo: ctx.repo,
    home: ctx.home,
    target: ctx.target,
    env: ctx.io.env,
    signal: over.signal ?? ctx.io.signal,
    now: () => ctx.now(),
    registry: () => ctx.registry(),
    clients: () => ctx.clients(),
    cleanupS3: () => (cleanup ??= cleanupS3(ctx)),
    log: over.log ?? ctx.log,
    events: over.events ?? ctx.events,
  };
}

/** How a command's action gets its context (src/cli.ts makes it once per run); `force` overrides global flags. */
export type WithContext = (cmd: Command, body: (ctx: Context) => Promise<void> | void, force?: Partial<GlobalOptions>) => Promise<void>;
