import { explainAwsError, type AwsTarget } from '../aws/errors.js';
import { ClawError, InterruptedError, ToolExit } from '../core/errors.js';
import { redactUrls } from '../core/redact.js';
import { terminalSafe } from '../core/terminal-text.js';

/**
 * The one top-level handler: one clear line (plus a hint) on stderr, a stack trace only
 * with --verbose, and the exit code of the error's class. Returns the exit code.
 */
export function reportError(err: unknown, opts: { stderr: NodeJS.WritableStream; verbose: boolean; target: AwsTarget | undefined }): number {
  if (err instanceof ToolExit) return err.exitCode;
  const known = err instanceof ClawError ? err : explainAwsError(err, opts.target ?? { region: '?' });
  // A message can carry text from outside (a key, a holder, an endpoint): made safe to show.
  const write = (line: string) => opts.stderr.write(`${terminalSafe(redactUrls(line))}\n`);
  if (known) {
    write(known instanceof InterruptedError ? 'interrupted' : `error: ${known.message}`);
    if (known.hint) write(`hint: ${known.hint}`);
    if (opts.verbose && err instanceof Error && err.stack) write(err.stack);
    return known.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  write(`error: ${e.message.split('\n')[0]} (this is a bug in claw, please report it)`);
  if (opts.verbose && e.stack) write(e.stack);
  else write('hint: run again with --verbose for the stack trace');
  return 1;
}
