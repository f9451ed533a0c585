// OpenTofu, through the one exec wrapper: argv arrays only, every output line handed
// to the caller as it arrives, failures as one clear error carrying tofu's last lines.
import { basename } from 'node:path';
import { RemoteError } from '../core/errors.js';
import { ExecError, ToolMissingError, run, stripAnsi, type RunOptions, type RunResult } from './exec.js';

export const TOFU_INSTALL_HINT = 'install OpenTofu (https://opentofu.org/docs/intro/install/) and make sure `tofu` is on PATH, or set tofuBin';

/** `tofu` is not on PATH: the tool, and how to get it (OpenTofu has no Debian package). */
export class TofuMissingError extends ToolMissingError {
  override readonly hint: string = TOFU_INSTALL_HINT;
}

/** tofu ran and failed: exit 1, with tofu's own key line and its last lines. */
export class TofuError extends RemoteError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly tail: string[],
    readonly childExitCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

export interface TofuOptions {
  /** The binary (config tofuBin; default `tofu`). */
  bin: string;
  /** tofu's whole environment (see tofuEnv): nothing else is inherited. */
  env: Record<string, string | undefined>;
  /** Stops tofu (SIGTERM, then SIGKILL): only for calls that change nothing. */
  signal?: AbortSignal | undefined;
  log?: ((line: string) => void) | undefined;
  /** Each line tofu prints, as it arrives. */
  onLine?: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
}

const TAIL = 15;

/**
 * The environment tofu runs with: the operator's, without TF_CLI_ARGS* (they would
 * add arguments claw did not show), with TF_IN_AUTOMATION (no "run tofu apply next"
 * advice). In the sandbox, without any AWS credentials or profile, so a real tofu can
 * never reach a real account with a simulated AMI id.
 */
export function tofuEnv(env: Readonly<Record<string, string | undefined>>, opts: { sandbox: boolean }): { env: Record<string, string>; dropped: string[] } {
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (/^TF_CLI_ARGS(_|$)/.test(k) || (opts.sandbox && k.startsWith('AWS_'))) {
      dropped.push(k);
      continue;
    }
    out[k] = v;
  }
  out.TF_IN_AUTOMATION = '1';
  if (opts.sandbox) {
    Object.assign(out, { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' });
  }
  return { env: out, dropped: dropped.sort() };
}

/** tofu's error box (`╷ │ Error: ... ╵`) unwrapped: the first `Error:` line, else the last line. */
export function tofuKeyLine(lines: readonly string[]): string | undefined {
  const clean = lines
    .map((l) =>
      stripAnsi(l)
        .replace(/^[│╷╵]\s?/, '')
        .trim(),
    )
    .filter(Boolean);
  const line = clean.find((l) => /^Error:/.test(l)) ?? clean.at(-1);
  return line && line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

/** What runs tofu: the binary (runTofu), or the sandbox's simulated infrastructure. */
export type TofuRunner = (args: readonly string[], opts: TofuOptions) => Promise<RunResult>;

/** Run `tofu <args>`; a non-zero exit is a TofuError with tofu's last lines. */
export async function runTofu(args: readonly string[], opts: TofuOptions): Promise<RunResult> {
  const recent: string[] = [];
  const seen = (line: string, stream: 'stdout' | 'stderr') => {
    recent.push(line);
    if (recent.length > TAIL * 4) recent.splice(0, recent.length - TAIL * 2);
    opts.onLine?.(line, stream);
  };
  // tofu writes plan and apply progress to stdout: stream both, live.
  const runOptions: RunOptions = {
    env: opts.env,
    extendEnv: false,
    signal: opts.signal,
    log: opts.log,
    onStderrLine: (line) => seen(line, 'stderr'),
    onStdoutLine: (line) => seen(line, 'stdout'),
  };
  const sub = args.find((a) => !a.startsWith('-')) ?? '';
  try {
    return await run(opts.bin, args, runOptions);
  } catch (err) {
    if (err instanceof ToolMissingError) throw new TofuMissingError(opts.bin);
    if (!(err instanceof ExecError)) throw err;
    const tail = recent.filter((l) => l.trim() !== '').slice(-TAIL);
    const key = tofuKeyLine(tail);
    const how = err.childExitCode !== undefined ? `exit code ${err.childExitCode}` : (err.signal ?? 'failed');
    const hint = /\b(tofu|terraform) init\b|init(ialization)? required/i.test(tail.join('\n'))
      ? `run \`${opts.bin} ${args.filter((a) => a.startsWith('-chdir=')).join(' ')} init\` (with the backend configuration) first`
      : undefined;
    throw new TofuError(`\`${basename(opts.bin)} ${sub}\` failed (${how})${key ? `: ${key}` : ''}`, hint, tail, err.childExitCode, { cause: err });
  }
}
