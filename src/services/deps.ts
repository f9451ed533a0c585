import type { AwsClients, S3Api } from '../aws/clients.js';
import type { AwsTarget } from '../aws/errors.js';
import type { ResolvedConfig } from '../core/config.js';
import type { EventSink } from '../core/events.js';
import type { Registry } from '../core/registry.js';
import type { RepoInfo } from '../nix/repo.js';

// What a service may use: the clients, the registry, the configuration, the clock, an
// event sink, a log that never reaches stdout, and the run's AbortSignal. Never the
// terminal, never a prompt: a command (or the dashboard) builds these from its context
// and renders what the service returns.

export interface ServiceLog {
  warn(line: string): void;
  debug(line: string): void;
}

export interface ServiceDeps {
  /** The simulated account (some checks relax, some steps are simulated). */
  sandbox: boolean;
  config: ResolvedConfig;
  repo: RepoInfo | undefined;
  /** $CLAW_HOME: this machine's records (local runs, journals). */
  home: string;
  /** Where the AWS calls go, for wording their errors. */
  target: AwsTarget;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  now(): Date;
  /** The validated registry; a UsageError outside a repo. */
  registry(): Registry;
  clients(): Promise<AwsClients>;
  /** An S3 client not bound to `signal`: for releasing a lock after Ctrl-C. */
  cleanupS3(): Promise<S3Api>;
  log: ServiceLog;
  events: EventSink;
}
