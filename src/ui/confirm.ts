import { createInterface } from 'node:readline/promises';
import { RefusedError } from '../core/errors.js';

export interface ConfirmIo {
  stdin?: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
  stdinIsTTY: boolean;
  signal: AbortSignal;
}

/**
 * Ask before a destructive step. `--yes` answers for the operator; without a terminal
 * and without --yes claw refuses (exit 3) rather than waiting on a prompt nobody sees.
 */
export async function confirmOrRefuse(question: string, io: ConfirmIo, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!io.stdinIsTTY) throw new RefusedError(`refusing without a terminal: ${question}`, 'pass --yes to confirm');
  const rl = createInterface({ input: io.stdin ?? process.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: io.signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new RefusedError('not confirmed; nothing changed');
  } finally {
    rl.close();
  }
}
