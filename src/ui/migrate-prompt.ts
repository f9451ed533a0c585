import { createInterface } from 'node:readline/promises';
import { InterruptedError } from '../core/errors.js';

export interface AskIo {
  stdin?: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
  signal: AbortSignal;
}

/** A yes/no question on the terminal (only ever asked when stdin is one); anything but y/yes is no. */
export async function askYesNo(question: string, io: AskIo): Promise<boolean> {
  const rl = createInterface({ input: io.stdin ?? process.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: io.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new InterruptedError('interrupted at the prompt');
    throw err;
  } finally {
    rl.close();
  }
}
