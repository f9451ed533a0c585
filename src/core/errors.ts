// The one error taxonomy. Each class carries its exit code; the top-level handler in
// src/cli.ts prints `error: <message>` plus an optional hint and sets the exit code.

export abstract class ClawError extends Error {
  abstract readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.hint = hint;
    this.name = new.target.name;
  }
}

/** Bad flag, unknown host, malformed file. Nothing was changed. */
export class UsageError extends ClawError {
  readonly exitCode = 2;
}

/** Refused by policy, a lock or a safety guard. */
export class RefusedError extends ClawError {
  readonly exitCode = 3;
}

/** AWS or a host failed. */
export class RemoteError extends ClawError {
  readonly exitCode = 1;
}

/**
 * The sandbox was asked for something it does not simulate (a parameter, a filter, a body
 * type): a limit of the simulated account, neither a bug of claw's nor an AWS failure.
 */
export class SandboxUnsupportedError extends ClawError {
  readonly exitCode = 1;
  constructor(message: string) {
    super(`sandbox: ${message}`, 'the sandbox does not simulate this; run it against AWS (or a moto server with --endpoint-url)');
  }
}

/** Ctrl-C or an abort signal. */
export class InterruptedError extends ClawError {
  readonly exitCode = 130;
  constructor(message = 'interrupted') {
    super(message);
  }
}

/** A tool claw stands in for (the sandbox's tofu, aws, ssh) ended with its own status; it already said why. */
export class ToolExit extends ClawError {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
  }
}
