import type { AwsClients } from '../aws/clients.js';

// The aws CLI as runbook steps on the sandbox meet it: what a preflight asks
// (`aws sts get-caller-identity`), answered by the simulated account in the CLI's own
// output shape. Anything else says it is not simulated (exit 252, the CLI's usage
// status) rather than pretend; the real CLI is never run, so no real account is touched.

export interface CliOutcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** Global options that take a value, which the simulation accepts and ignores. */
const VALUED = new Set(['--region', '--profile', '--output', '--endpoint-url', '--query', '--cli-read-timeout', '--cli-connect-timeout']);
const BARE = new Set(['--no-cli-pager', '--no-paginate', '--debug', '--no-verify-ssl']);

export async function simulateAws(clients: AwsClients, args: readonly string[]): Promise<CliOutcome> {
  const words: string[] = [];
  let output = 'json';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [name, attached] = a.split('=', 2) as [string, string | undefined];
    if (VALUED.has(name)) {
      const value = attached ?? args[++i];
      if (name === '--output' && value) output = value;
      continue;
    }
    if (BARE.has(a)) continue;
    words.push(a);
  }
  if (words.join(' ') === 'sts get-caller-identity') {
    const id = await clients.sts.getCallerIdentity({});
    if (output === 'text') return { stdout: `${id.Account}\t${id.Arn}\t${id.UserId}\n`, stderr: '', code: 0 };
    return { stdout: `${JSON.stringify({ UserId: id.UserId, Account: id.Account, Arn: id.Arn }, null, 4)}\n`, stderr: '', code: 0 };
  }
  return {
    stdout: '',
    stderr: `claw sandbox: aws ${words.join(' ') || '(no command)'} is not simulated (the sandbox's aws answers sts get-caller-identity); claw's own commands cover the rest\n`,
    code: 252,
  };
}
