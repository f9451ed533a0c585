import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';

// The programs claw puts first on a runbook step's PATH: `claw` is the claw running the
// runbook (the same Node, the same $CLAW_HOME, --sandbox kept), so a step's `claw ...`
// works from a clone where no claw is installed; on the sandbox also tofu, aws and ssh,
// the sandbox's stand-ins (claw sandbox tool), so a rehearsal never reaches AWS, a real
// tofu state or a real host. Each is a two-line sh script of fixed text and quoted paths.

export interface ShimOptions {
  /** The Node running claw (process.execPath). */
  node: string;
  /** claw's launcher, bin/claw. */
  claw: string;
  home: string;
  sandbox: boolean;
}

export const SANDBOX_SHIMS = ['tofu', 'aws', 'ssh'] as const;

/** A path as one sh word: single-quoted, its own quotes escaped; nothing that could end a line. */
function shWord(path: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path))
    throw new UsageError(
      `cannot write a runbook shim for ${JSON.stringify(path)}: it holds a control character`,
      'use a CLAW_HOME and a claw location without control characters',
    );
  return `'${path.replaceAll("'", "'\\''")}'`;
}

/** Write the shims into `dir` (replacing older ones) and return it, to go first on PATH. */
export async function writeShims(dir: string, opts: ShimOptions): Promise<string> {
  await mkdir(dir, { recursive: true });
  const run = `CLAW_HOME=${shWord(opts.home)} exec ${shWord(opts.node)} ${shWord(opts.claw)}`;
  const scripts: Record<string, string> = {
    claw: `${run}${opts.sandbox ? ' --sandbox' : ''} "$@"`,
    ...(opts.sandbox ? Object.fromEntries(SANDBOX_SHIMS.map((t) => [t, `${run} sandbox tool ${t} -- "$@"`])) : {}),
  };
  for (const [name, line] of Object.entries(scripts)) {
    const file = join(dir, name);
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(
      tmp,
      `#!/bin/sh\n# written by claw migrate run: ${name} in a runbook step${opts.sandbox && name !== 'claw' ? ', simulated against the sandbox' : ''}\n${line}\n`,
    );
    await chmod(tmp, 0o755);
    await rename(tmp, file);
  }
  return dir;
}
