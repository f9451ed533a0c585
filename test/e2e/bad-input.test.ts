import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, ROOT, runClaw, tempDir, type ClawResult } from '../helpers/claw.js';
import { openMotoAccount, seedFleet, type MotoAccount } from '../helpers/moto-account.js';

// Every bad input: one clear line naming the problem (plus a hint), the right exit
// code, no stack trace, and the account left exactly as it was: the sandbox's state
// file, and (the same table without --sandbox) a moto account's every bucket, object,
// image, snapshot, instance and SSM command.

const home = tempDir('claw-bad-');
const clawHome = join(home, '.claw');
const stateFile = join(clawHome, 'sandbox', 'state.json');
const digest = () => createHash('sha256').update(readFileSync(stateFile)).digest('hex');

const registry = JSON.parse(readFileSync(join(FIXTURE_REPO, 'nix/instances.json'), 'utf8')) as Record<string, Record<string, string>>;

/** A copy of the fixture repo with its registry (and optionally config) replaced. */
function brokenRepo(instances: string | null, config?: string): string {
  const dir = join(tempDir('claw-broken-'), 'repo');
  cpSync(FIXTURE_REPO, dir, { recursive: true });
  if (instances !== null) writeFileSync(join(dir, 'nix/instances.json'), instances);
  if (config !== undefined) writeFileSync(join(dir, 'claw.config.json'), config);
  return dir;
}
/** A runbook file of its own: the fixture runbook with `edit` applied, or the text given. */
function runbookFile(name: string, edit: (fixture: string) => string): string {
  const file = join(tempDir('claw-runbook-'), name);
  writeFileSync(file, edit(readFileSync(join(ROOT, 'fixtures/runbooks/orchestrator-to-vm.yaml'), 'utf8')));
  return file;
}
const withEntry = (key: string, entry: Record<string, unknown>) => JSON.stringify({ ...registry, [key]: entry }, null, 2);
const one = registry['clawdinator-1']!;

/**
 * Each case also runs against moto (the same args without --sandbox, AWS_* pointing at
 * a moto account of this file's own, in the fixture repo unless the args name one),
 * unless `moto` is false (with the reason beside it), or says what differs there.
 */
type Case = {
  name: string;
  args: string[];
  exit: number;
  stderr: RegExp;
  env?: Record<string, string>;
  cwd?: string;
  moto?: false | { stderr?: (accountId: string) => RegExp; outsideRepo?: boolean };
};

const cases: Case[] = [
  { name: 'unknown command', args: ['bogus'], exit: 2, stderr: /unknown command 'bogus'/ },
  { name: 'unknown option', args: ['status', '--bogus'], exit: 2, stderr: /unknown option '--bogus'/ },
  { name: 'malformed region', args: ['--sandbox', 'status', '--region', 'Europe'], exit: 2, stderr: /^error: flag --region: region is not an AWS region/m },
  // Sandbox only: with an endpoint (moto) any well-formed region is accepted, for emulators and regions newer than claw.
  {
    name: 'unknown region',
    args: ['--sandbox', 'status', '--region', 'xx-nowhere-1'],
    exit: 2,
    stderr: /^error: flag --region: unknown AWS region "xx-nowhere-1"$/m,
    moto: false,
  },
  { name: 'endpoint that is not http', args: ['--sandbox', 'status', '--endpoint-url', 'ftp://x'], exit: 2, stderr: /endpointUrl is not an http\(s\) URL/ },
  {
    name: 'registry with invalid JSON',
    args: ['--sandbox', 'status', '--repo', brokenRepo('{\n  "clawdinator-1": {\n}')],
    exit: 2,
    stderr: /^error: .*nix\/instances\.json:3:2: invalid JSON: /m,
  },
  {
    name: 'registry entry missing a field',
    args: ['--sandbox', 'status', '--repo', brokenRepo(withEntry('clawdinator-1', { ...one, instanceType: undefined }))],
    exit: 2,
    stderr: /entry "clawdinator-1": field "instanceType" is missing/,
  },
  {
    name: 'host with shell metacharacters',
    args: ['--sandbox', 'status', '--repo', brokenRepo(withEntry('x;rm -rf ~', { ...one, host: 'x;rm -rf ~' }))],
    exit: 2,
    stderr: /entry "x;rm -rf ~": field "host" is not a valid hostname/,
  },
  {
    name: 'host with $(...)',
    args: ['--sandbox', 'status', '--repo', brokenRepo(withEntry('$(id)', { ...one, host: '$(id)' }))],
    exit: 2,
    stderr: /entry "\$\(id\)": field "host" is not a valid hostname/,
  },
  {
    name: 'key differs from host',
    args: ['--sandbox', 'status', '--repo', brokenRepo(withEntry('clawdinator-9', { ...one }))],
    exit: 2,
    stderr: /entry "clawdinator-9": key differs from its host "clawdinator-1"/,
  },
  {
    name: 'duplicate host',
    args: ['--sandbox', 'status', '--repo', brokenRepo(`{"clawdinator-1": ${JSON.stringify(one)},\n"clawdinator-1": ${JSON.stringify(one)}}`)],
    exit: 2,
    stderr: /instances\.json:2:1: duplicate key "clawdinator-1"/,
  },
  {
    name: 'registry nested thousands deep',
    args: ['--sandbox', 'status', '--repo', brokenRepo(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`)],
    exit: 2,
    stderr: /^error: \S*instances\.json:1:\d+: nested more than 64 levels deep$/m,
  },
  {
    name: 'registry larger than claw reads',
    args: ['--sandbox', 'status', '--repo', brokenRepo(`${' '.repeat(17 * 1024 * 1024)}{}`)],
    exit: 2,
    stderr: /^error: the registry \S+instances\.json is \d+ bytes, more than claw reads \(16777216\)$/m,
  },
  {
    name: 'CLAW_HOME=/dev/null',
    args: ['--sandbox', 'status'],
    env: { CLAW_HOME: '/dev/null' },
    exit: 2,
    stderr: /^error: CLAW_HOME=\/dev\/null is not a folder \(\/dev\/null is a file or device\)\nhint: set CLAW_HOME to a folder claw may write/m,
  },
  {
    name: 'CLAW_HOME under a file',
    args: ['--sandbox', 'ami', 'prune', '--resume'],
    env: { CLAW_HOME: '/etc/hostname/claw' },
    exit: 2,
    stderr: /^error: CLAW_HOME=\/etc\/hostname\/claw is not a folder \(\/etc\/hostname is not a folder\)/m,
  },
  {
    name: 'registry that is a list',
    args: ['--sandbox', 'status', '--repo', brokenRepo('[]')],
    exit: 2,
    stderr: /instances\.json: expected an object of hosts/,
  },
  {
    name: 'unreadable registry',
    args: [
      '--sandbox',
      'status',
      '--repo',
      (() => {
        const d = brokenRepo(null);
        rmSync(join(d, 'nix/instances.json'));
        mkdirSync(join(d, 'nix/instances.json'));
        return d;
      })(),
    ],
    exit: 2,
    stderr: /^error: the registry \S+instances\.json is a directory, not a regular file$/m,
  },
  {
    name: 'config with an unknown key',
    args: ['--sandbox', 'status', '--repo', brokenRepo(null, '{"regoin": "eu-west-1"}')],
    exit: 2,
    stderr: /claw\.config\.json: unknown key "regoin"/,
  },
  {
    name: 'config keep of zero',
    args: ['--sandbox', 'status', '--repo', brokenRepo(null, '{"amiKeep": 0}')],
    exit: 2,
    stderr: /claw\.config\.json: amiKeep must be at least 1/,
  },
  {
    name: 'config that is not JSON',
    args: ['--sandbox', 'config', '--repo', brokenRepo(null, 'region=eu')],
    exit: 2,
    stderr: /claw\.config\.json:1:1: invalid JSON/,
  },
  {
    name: 'environment keep that is not a number',
    args: ['--sandbox', 'status'],
    env: { CLAW_AMI_KEEP: 'abc' },
    exit: 2,
    stderr: /environment CLAW_AMI_KEEP: amiKeep/,
  },
  // Named with its source and the form it takes, never zod's raw "expected number, received string".
  {
    name: 'CLAW_AMI_KEEP=three',
    args: ['--sandbox', 'ami', 'prune'],
    env: { CLAW_AMI_KEEP: 'three' },
    exit: 2,
    stderr: /^error: environment CLAW_AMI_KEEP: amiKeep must be a number \(got "three"\)\nhint: fix CLAW_AMI_KEEP, e\.g\. 6 \(the default\)/m,
  },
  { name: 'environment tag without =', args: ['--sandbox', 'status'], env: { CLAW_INSTANCE_TAG: 'app' }, exit: 2, stderr: /instanceTag must be key=value/ },
  {
    name: '--repo without a registry',
    args: ['--sandbox', 'status', '--repo', '/nonexistent'],
    exit: 2,
    stderr: /--repo \/nonexistent: no nix\/instances\.json there/,
  },
  { name: 'outside a repo', args: ['status'], exit: 2, stderr: /not in a clawdinators repo/, moto: { outsideRepo: true } },
  {
    name: 'watch interval of zero',
    args: ['--sandbox', 'status', '--watch', '--interval', '0'],
    exit: 2,
    stderr: /--interval 0: expected seconds between 1 and 3600/,
  },
  { name: 'interval without watch', args: ['--sandbox', 'status', '--interval', '5'], exit: 2, stderr: /--interval only applies with --watch/ },
  { name: 'unknown AWS profile', args: ['status', '--repo', FIXTURE_REPO, '--profile', 'nope'], exit: 2, stderr: /AWS profile "nope" not found/ },
  // Sandbox only: `claw sandbox reset` concerns the simulated account alone.
  {
    name: 'sandbox reset without a terminal or --yes',
    args: ['--sandbox', 'sandbox', 'reset'],
    exit: 3,
    stderr: /refusing without a terminal.*\nhint: pass --yes/,
    moto: false,
  },
  // Every command group: unknown hosts, invalid ids, durations and names, shell metacharacters, conflicting flags.
  {
    name: 'deploy an unknown host',
    args: ['--sandbox', 'deploy', 'nosuchhost', '--dry-run'],
    exit: 2,
    stderr: /^error: unknown host "nosuchhost" \(not in \S*nix\/instances\.json\)\nhint: known hosts: clawdinator-1/,
  },
  {
    name: 'deploy target with ;',
    args: ['--sandbox', 'deploy', 'clawdinator-1;reboot', '--dry-run'],
    exit: 2,
    stderr: /^error: deploy target: "clawdinator-1;reboot" is not a valid host name/,
  },
  {
    name: 'deploy rev with $(...)',
    args: ['--sandbox', 'deploy', 'clawdinator-1', '--rev', 'abc$(id)', '--dry-run'],
    exit: 2,
    stderr: /^error: rev "abc\$\(id\)" is not a commit SHA or ref name/,
  },
  {
    name: 'deploy --parallel 0',
    args: ['--sandbox', 'deploy', 'clawdinator-1', '--parallel', '0', '--dry-run'],
    exit: 2,
    stderr: /^error: --parallel 0: expected a whole number from 1 to 1000\nhint: give a whole number from 1 to 1000, e.g. --parallel 2$/m,
  },
  {
    name: 'deploy --parallel 1000000000',
    args: ['--sandbox', 'deploy', 'clawdinator-1', '--parallel', '1000000000', '--dry-run'],
    exit: 2,
    stderr:
      /^error: --parallel 1000000000: expected a whole number from 1 to 1000 \(1000000000 is more\)\nhint: give a whole number from 1 to 1000, e.g. --parallel 2$/m,
  },
  {
    name: 'a bot deploying itself',
    args: ['--sandbox', 'deploy', 'all', '--caller', 'clawdinator-1', '--dry-run'],
    exit: 3,
    stderr: /^error: a bot may not deploy itself: target includes caller clawdinator-1/,
  },
  { name: 'replace an unknown host', args: ['--sandbox', 'replace', 'nosuchhost', '--dry-run'], exit: 2, stderr: /^error: unknown host "nosuchhost"/ },
  {
    name: 'bootstrap target with ;',
    args: ['--sandbox', 'bootstrap', 'upload', 'all;ls', '--dry-run'],
    exit: 2,
    stderr: /^error: "all;ls" is not a host name/,
  },
  { name: 'history of an unknown host', args: ['--sandbox', 'history', 'nosuchhost'], exit: 2, stderr: /^error: unknown host "nosuchhost"/ },
  {
    name: 'rollback to a rev with shell characters',
    args: ['--sandbox', 'rollback', 'clawdinator-1', '--to', 'nope;x'],
    exit: 2,
    stderr: /^error: rev "nope;x" is not a commit SHA or ref name$/m,
  },
  { name: 'lock release with an argument', args: ['--sandbox', 'lock', 'release', 'extra'], exit: 2, stderr: /^error: too many arguments for 'release'/m },
  { name: 'an invalid AMI id', args: ['--sandbox', 'ami', 'preserve', 'ami-xyz'], exit: 2, stderr: /^error: "ami-xyz" is not an AMI id/ },
  {
    name: 'ami prune --keep 0',
    args: ['--sandbox', 'ami', 'prune', '--keep', '0'],
    exit: 2,
    stderr: /^error: --keep 0: expected a whole number from 1 to 1000000\nhint: give a whole number from 1 to 1000000, e.g. --keep 3$/m,
  },
  {
    name: 'ami prune --min-age that is no duration',
    args: ['--sandbox', 'ami', 'prune', '--min-age', '3x'],
    exit: 2,
    stderr: /^error: --min-age 3x: not a duration/,
  },
  {
    name: 'ami lifecycle --days 0',
    args: ['--sandbox', 'ami', 'lifecycle', '--days', '0'],
    exit: 2,
    stderr: /^error: --days 0: expected a whole number from 1 to 3650\nhint: give a whole number from 1 to 3650, e.g. --days 30$/m,
  },
  {
    name: 'spot instance type with ;',
    args: ['--sandbox', 'spot', 'prices', '--instance-types', 'm5.large;ls'],
    exit: 2,
    stderr: /^error: --instance-types "m5\.large;ls": not an instance type name/,
  },
  {
    name: 'spot --history that is no duration',
    args: ['--sandbox', 'spot', 'prices', '--history', '5q'],
    exit: 2,
    stderr: /^error: --history 5q: not a duration/,
  },
  {
    name: 'spot --sort by an unknown column',
    args: ['--sandbox', 'spot', 'prices', '--sort', 'cost'],
    exit: 2,
    stderr: /^error: --sort cost: expected one of price, az, type/,
  },
  { name: 'backup without --stack', args: ['--sandbox', 'backup', 'status'], exit: 2, stderr: /^error: --stack is required/ },
  {
    name: 'backup --stack in capitals',
    args: ['--sandbox', 'backup', 'status', '--stack', 'LAB'],
    exit: 2,
    stderr: /^error: --stack "LAB" is not a stack name/,
  },
  {
    name: 'backup --bucket that is no bucket name',
    args: ['--sandbox', 'backup', 'list', '--bucket', 'Bad_Bucket'],
    exit: 2,
    stderr: /^error: --bucket "Bad_Bucket" is not an S3 bucket name/,
  },
  {
    name: 'backup in a stack whose bucket is missing',
    args: ['--sandbox', 'backup', 'prune', '--stack', 'nope', '--apply', '--yes'],
    exit: 2,
    stderr: /^error: backup bucket s3:\/\/openclaw-lab-backup-nope-123456789012 does not exist/,
    moto: { stderr: (account) => new RegExp(`^error: backup bucket s3://openclaw-lab-backup-nope-${account} does not exist`, 'm') },
  },
  {
    name: 'restore a snapshot time that does not exist',
    args: ['--sandbox', 'backup', 'restore', '--stack', 'lab', '--snapshot', '2026-13-01-00-00', '--yes'],
    exit: 2,
    stderr: /^error: --snapshot "2026-13-01-00-00" is not a snapshot time/,
  },
  {
    name: 'restore --from the parent of every snapshot',
    args: ['--sandbox', 'backup', 'restore', '--bucket', 'b-lab', '--from', 's3://b-lab/snapshots/', '--yes'],
    exit: 2,
    stderr:
      /^error: --from s3:\/\/b-lab\/snapshots\/ holds every snapshot, not one: restoring it would nest them all under latest\/\nhint: restore one snapshot: --snapshot STAMP/m,
  },
  {
    name: 'restore with two sources',
    args: ['--sandbox', 'backup', 'restore', '--stack', 'lab', '--snapshot', '2026-11-01-00-00', '--from', 's3://b-1/x/', '--yes'],
    exit: 2,
    stderr: /^error: name exactly one source/,
  },
  {
    name: 'pull into a file',
    args: ['--sandbox', 'backup', 'pull', '--stack', 'lab', '--to', '/etc/hostname'],
    exit: 2,
    stderr: /^error: --to \/etc\/hostname is not a directory/,
  },
  {
    name: 'push from nowhere',
    args: ['--sandbox', 'backup', 'push', '--stack', 'lab', '--from', '/nonexistent', '--yes'],
    exit: 2,
    stderr: /^error: --from \/nonexistent does not exist/,
  },
  {
    name: 'backup now on a host with ;',
    args: ['--sandbox', 'backup', 'now', 'host;id', '--stack', 'lab'],
    exit: 2,
    stderr: /^error: host "host;id" is neither a host name nor an instance id/,
  },
  { name: 'tui --interval 0', args: ['--sandbox', 'tui', '--interval', '0'], exit: 2, stderr: /^error: --interval 0: expected seconds between 1 and 3600/ },
  {
    name: 'doctor --ami-max-age that is no duration',
    args: ['--sandbox', 'doctor', '--ami-max-age', 'forever'],
    exit: 2,
    stderr: /^error: --ami-max-age forever: not a duration/,
  },
  {
    name: 'a runbook that does not exist',
    args: ['--sandbox', 'migrate', 'plan', '/nonexistent.yaml'],
    exit: 2,
    stderr: /^error: runbook \/nonexistent\.yaml: no such file/,
  },
  {
    name: 'a runbook that is not YAML',
    args: ['--sandbox', 'migrate', 'plan', runbookFile('broken.yaml', () => 'name: x\nphases:\n  - id: A\n    steps: [\n')],
    exit: 2,
    stderr: /^error: \S+\/broken\.yaml:5:1: invalid YAML: .*\nhint: fix the runbook/m,
  },
  {
    name: 'a runbook step given as a shell string',
    args: ['--sandbox', 'migrate', 'run', runbookFile('shell.yaml', (f) => f.replace('argv: [tofu, version]', 'argv: "tofu version; rm -rf /"')), '--yes'],
    exit: 2,
    stderr: /^error: \S+\/shell\.yaml:\d+:\d+: preflight check pre-tofu › argv: must be a list of arguments, like \[systemctl, status, sshd\] \(no shell\)$/m,
  },
  {
    name: 'a runbook timeout longer than claw can wait',
    args: ['--sandbox', 'migrate', 'plan', runbookFile('long.yaml', (f) => f.replace('timeout: 45m', 'timeout: 25d'))],
    exit: 2,
    stderr: /^error: \S+\/long\.yaml:\d+:\d+: .*timeout: must be at most 24d \(claw waits with one timer\)$/m,
  },
  {
    name: 'doctor stacks --stack-prefix with shell metacharacters',
    args: ['--sandbox', 'doctor', 'stacks', '--stack-prefix', 'a;rm -rf /'],
    exit: 2,
    stderr: /^error: --stack-prefix "a;rm -rf \/": not the start of a stack name\nhint: /,
  },
  {
    name: 'doctor stacks --stalled-after that is no duration',
    args: ['--sandbox', 'doctor', 'stacks', '--stalled-after', '5x'],
    exit: 2,
    stderr: /^error: --stalled-after 5x: not a duration$/m,
  },
  {
    name: 'doctor stacks --stack (an option of claw doctor)',
    args: ['--sandbox', 'doctor', 'stacks', '--stack', 'lab'],
    exit: 2,
    stderr: /^error: --stack is an option of claw doctor \(backup freshness\), not of claw doctor stacks\nhint: .*--stack-prefix/,
  },
  // Sandbox only: `claw sandbox faults` concerns the simulated account alone.
  {
    name: 'sandbox faults --rate above 1',
    args: ['--sandbox', 'sandbox', 'faults', '--rate', '2'],
    exit: 2,
    stderr: /^error: --rate "2": expected a fraction above 0 and at most 1/,
    moto: false,
  },
];

/** One clear line naming the problem (plus a hint), the exit code, nothing on stdout, no stack trace. */
function expectRefused(r: ClawResult, exit: number, stderr: RegExp, expect_: typeof expect = expect): void {
  expect_(r.stderr).toMatch(stderr);
  expect_(r.exitCode).toBe(exit);
  expect_(r.stdout).toBe('');
  expect_(r.stderr).not.toMatch(/^\s+at /m);
  // One error line and one hint (commander adds a "did you mean" line to typos).
  if (exit === 2) expect_(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(/unknown (command|option)/.test(r.stderr) ? 3 : 2);
}

describe('bad input', () => {
  beforeAll(async () => {
    const r = await runClaw(['--sandbox', 'status'], { env: { HOME: home, CLAW_HOME: clawHome } });
    expect(r.exitCode).toBe(0);
  });

  it('every command group of `claw --help` has cases', async () => {
    const help = (await runClaw(['--help'])).stdout;
    const groups = [...help.slice(help.indexOf('Commands:'), help.indexOf('Examples:')).matchAll(/^ {2}([a-z]+)/gm)]
      .map((m) => m[1]!)
      .filter((g) => g !== 'help');
    expect(groups.length).toBeGreaterThan(10);
    const covered = new Set(cases.map((c) => c.args.find((a) => !a.startsWith('-'))));
    expect(groups.filter((g) => !covered.has(g))).toEqual([]);
  });

  it.each(cases)('$name', async ({ args, exit, stderr, env, cwd }) => {
    const before = digest();
    const r = await runClaw(args, { env: { HOME: home, CLAW_HOME: clawHome, ...env }, cwd: cwd ?? tempDir() });
    expectRefused(r, exit, stderr);
    expect(digest()).toBe(before);
  });
});

const endpoint = inject('motoEndpoint');
if (!endpoint) console.warn(`SKIPPED the bad-input table against moto: ${inject('motoSkipReason')}`);
const motoCases = cases.flatMap((c) => (c.moto === false ? [] : [{ ...c, moto: c.moto ?? {} }]));

(endpoint ? describe : describe.skip)('bad input against moto', () => {
  let account: MotoAccount;
  let seeded: string;
  const bootstrapBucket = `claw-bad-input-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    await seedFleet(account, { bootstrapBucket, stack: 'lab' });
    seeded = await account.digest();
  }, 60_000);
  afterAll(async () => {
    // Nothing any case did changed the account.
    if (account) expect(await account.digest()).toBe(seeded);
    account?.destroy();
  });

  // A few at a time: each case is a process of its own, and the machine is small.
  it.concurrent.for(motoCases)('$name', async ({ args, exit, stderr, env, cwd, moto }, { expect: expect_ }) => {
    const motoArgs = args.filter((a) => a !== '--sandbox');
    const where = cwd ?? (motoArgs.includes('--repo') || moto.outsideRepo ? tempDir() : FIXTURE_REPO);
    const r = await runClaw(motoArgs, {
      env: { ...account.env, CLAW_BOOTSTRAP_BUCKET: bootstrapBucket, CLAW_IMAGES_BUCKET: bootstrapBucket, ...env },
      cwd: where,
    });
    expectRefused(r, exit, moto.stderr?.(account.accountId) ?? stderr, expect_);
    expect_(await account.digest()).toBe(seeded);
  });
});
