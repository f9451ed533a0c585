import { runScript, type RunOutcome } from './host.js';
import { liveState, type SandboxWorld } from './world.js';

// ssh to the hosts outside the account (the seed's ssh.json: a runbook's old host), for
// runbook steps on the sandbox. The remote command is one line, as ssh joins its words,
// run by the same line simulation as Run Command (host-lines.ts); a leading `sudo` is
// dropped (the simulated host has no users). Nothing here reaches a network.

export type SshOutcome = { known: false } | ({ known: true } & Omit<RunOutcome, 'lost'>);

/** ssh's options that take an argument (OpenSSH 9). */
const WITH_ARG = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));
const FLAGS = new Set('46AaCfGgKkMNnqsTtVvXxYy'.split(''));

export type SshArgs = { host: string; command: string } | { error: string };

/** `ssh [options] [user@]host command...` as ssh reads it. */
export function parseSshArgs(args: readonly string[]): SshArgs {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    // Bundled flags (-tt, -qT) and an option with its value attached (-oBatchMode=yes, -p22).
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (WITH_ARG.has(c)) {
        if (j === a.length - 1) i++;
        if (i >= args.length) return { error: `option requires an argument -- ${c}` };
        break;
      }
      if (!FLAGS.has(c)) return { error: `unknown option -- ${c}` };
    }
  }
  const dest = args[i];
  if (dest === undefined) return { error: 'usage: ssh [options] destination [command [argument ...]]' };
  const host = dest.includes('@') ? dest.slice(dest.lastIndexOf('@') + 1) : dest;
  return { host, command: args.slice(i + 1).join(' ') };
}

export function createSsh(world: SandboxWorld) {
  const state = liveState(world);
  return {
    /** Run `command` on the host named `name`; unknown: not a host ssh can reach. */
    async run(name: string, command: string): Promise<SshOutcome> {
      const entry = state.sshHosts.find((h) => h.name === name);
      if (!entry) return { known: false };
      const line = command.trim().replace(/^sudo (?:-n )?/, '');
      const out = runScript(entry.host, [line], { name, now: world.now(), buckets: state.buckets });
      await world.persist();
      return { known: true, stdout: out.stdout, stderr: out.stderr, code: out.code };
    },
  };
}
export type SshHosts = ReturnType<typeof createSsh>;
