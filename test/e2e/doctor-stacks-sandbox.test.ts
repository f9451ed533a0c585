import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSandbox, sandboxStatePath } from '../../src/sandbox/index.js';
import { ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw --sandbox doctor stacks` from the built binary. The seed (fixtures/sandbox/
// cloudformation.json) has openclaw-lab-infra rolled back on an export in use (a
// task-definition revision ARN imported by openclaw-lab-service) and openclaw-lab-canary
// whose creation rolled back (its AMI does not exist); three healthy stacks and a deleted one.

const home = () => join(tempDir('claw-stacks-sbx-'), '.claw');
const stacks = (args: string[], claw = home()) => runClaw(['--sandbox', 'doctor', 'stacks', ...args], { env: { CLAW_HOME: claw } });

const TASK_DEF = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/openclaw:42';

interface Doc {
  region: string;
  checked: number;
  ok: boolean;
  stacks: {
    stackName: string;
    status: string;
    phase: string;
    since: string;
    meaning: string;
    nestedIn: string | null;
    reason: string | null;
    reasons: { logicalId: string; reason: string }[];
    exportsInUse: Record<string, unknown>[];
    remedy: string[];
  }[];
}

describe('claw --sandbox doctor stacks', () => {
  it('one block per stuck stack: status, when, meaning, reason, the export in use and the numbered fix; exit 1', async () => {
    const r = await stacks([]);
    expect(r.exitCode).toBe(1);
    const [canary, infra, verdict] = r.stdout.trimEnd().split('\n\n');
    expect(canary!.split('\n')).toEqual([
      expect.stringMatching(/^openclaw-lab-canary {2}ROLLBACK_COMPLETE {2}1d ago \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)$/),
      '  the stack failed to create and was rolled back; it can only be deleted',
      expect.stringMatching(
        /^ {2}reason: Resource handler returned message: "The image id '\[ami-0f3e5d7c9b1a24680\]' does not exist .*\(CanaryInstance, AWS::EC2::Instance, CREATE_FAILED\)$/,
      ),
      "          and 1 more in the last operation's events (--json lists them)",
      '  fix:',
      '    1. delete it: aws cloudformation delete-stack --stack-name openclaw-lab-canary',
      '    2. fix the cause and deploy it again',
    ]);
    expect(infra!.split('\n')).toEqual([
      expect.stringMatching(/^openclaw-lab-infra {2}UPDATE_ROLLBACK_COMPLETE {2}2h ago \(/),
      '  the last update failed and was rolled back; the stack runs its previous template',
      '  reason: Export openclaw-lab-infra:TaskDefinitionArn cannot be updated as it is in use by openclaw-lab-service',
      '  export: openclaw-lab-infra:TaskDefinitionArn (cannot be updated while imported)',
      `    value: ${TASK_DEF}`,
      '           a task-definition revision ARN (family openclaw, revision 42: a new revision every deploy)',
      '    imported by: openclaw-lab-service',
      '  fix:',
      expect.stringMatching(
        /^ {4}1\. stop passing a task-definition revision ARN through the export openclaw-lab-infra:TaskDefinitionArn: pass the family name "openclaw" \(ECS runs its latest ACTIVE revision\), or an SSM parameter/,
      ),
      '    2. update the consumer first: deploy openclaw-lab-service with that change, on its own (cdk deploy openclaw-lab-service --exclusively)',
      '    3. then deploy the producer openclaw-lab-infra: with nothing importing the export, it can change or go',
    ]);
    expect(verdict).toBe('2 of 5 stacks in a failed or rollback state (eu-central-1)');
    expect(r.stderr).toBe(
      'error: 2 of 5 stacks in a failed or rollback state: openclaw-lab-canary, openclaw-lab-infra\nhint: each block above says how to fix it\n',
    );
  });

  it('--json: one stable document, camelCase, the whole story; exit 1', async () => {
    const r = await stacks(['--json']);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(Object.keys(doc)).toEqual(['region', 'checked', 'ok', 'stacks']);
    expect(doc).toMatchObject({ region: 'eu-central-1', checked: 5, ok: false });
    expect(doc.stacks.map((s) => [s.stackName, s.status, s.phase])).toEqual([
      ['openclaw-lab-canary', 'ROLLBACK_COMPLETE', 'rolled-back'],
      ['openclaw-lab-infra', 'UPDATE_ROLLBACK_COMPLETE', 'rolled-back'],
    ]);
    for (const s of doc.stacks)
      expect(Object.keys(s)).toEqual([
        'stackName',
        'stackId',
        'status',
        'phase',
        'since',
        'meaning',
        'nestedIn',
        'reason',
        'reasons',
        'exportsInUse',
        'remedy',
      ]);
    const infra = doc.stacks[1]!;
    expect(infra.exportsInUse).toEqual([
      {
        exportName: 'openclaw-lab-infra:TaskDefinitionArn',
        operation: 'update',
        value: TASK_DEF,
        valueKind: 'task-definition-revision',
        valueNote: 'a task-definition revision ARN (family openclaw, revision 42: a new revision every deploy)',
        importers: ['openclaw-lab-service'],
      },
    ]);
    expect(infra.remedy).toHaveLength(3);
    expect(doc.stacks[0]!.reasons.map((x) => x.logicalId)).toEqual(['CanaryInstance', 'openclaw-lab-canary']);
    expect(r.stderr).toMatch(
      /^error: 2 of 5 stacks in a failed or rollback state: openclaw-lab-canary, openclaw-lab-infra\nhint: each stack's remedy says how to fix it\n$/,
    );
  });

  it('--stack-prefix to healthy stacks: the clean line, exit 0 (text and --json, before or after stacks)', async () => {
    const claw = home();
    const r = await stacks(['--stack-prefix', 'openclaw-lab-network', '--stack-prefix', 'CDK'], claw);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'no stacks in a failed or rollback state (2 stacks checked in eu-central-1)\n', stderr: '' });
    const json = await runClaw(['--sandbox', 'doctor', '--json', 'stacks', '--stack-prefix', 'openclaw-lab-service'], { env: { CLAW_HOME: claw } });
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ region: 'eu-central-1', checked: 1, ok: true, stacks: [] });
  });

  it('a deploy in progress longer than --stalled-after is listed (default 1h); a longer threshold lets it be', async () => {
    const claw = home();
    await openSandbox({ home: claw, seedDir: join(ROOT, 'fixtures', 'sandbox') });
    const file = sandboxStatePath(claw);
    const state = JSON.parse(readFileSync(file, 'utf8')) as { stacks: { stackName: string; status: string; lastUpdatedTime?: string; events: unknown[] }[] };
    const service = state.stacks.find((s) => s.stackName === 'openclaw-lab-service')!;
    const started = new Date(Date.now() - (3 * 60 + 5) * 60_000).toISOString();
    service.status = 'UPDATE_IN_PROGRESS';
    service.lastUpdatedTime = started;
    service.events.push({
      eventId: 'stalled-1',
      timestamp: started,
      logicalResourceId: 'openclaw-lab-service',
      resourceType: 'AWS::CloudFormation::Stack',
      resourceStatus: 'UPDATE_IN_PROGRESS',
      resourceStatusReason: 'User Initiated',
    });
    writeFileSync(file, JSON.stringify(state));

    const r = await stacks(['--stack-prefix', 'openclaw-lab-service'], claw);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('openclaw-lab-service  UPDATE_IN_PROGRESS  3h ago');
    expect(r.stdout).toContain('  the operation has been running for 3h5m');
    expect(r.stdout).toContain('    2. to give up and roll back: aws cloudformation cancel-update-stack --stack-name openclaw-lab-service');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 of 1 stack in a failed or rollback state, or stalled (eu-central-1)');
    expect(await stacks(['--stack-prefix', 'openclaw-lab-service', '--stalled-after', '4h'], claw)).toMatchObject({
      exitCode: 0,
      stdout: 'no stacks in a failed or rollback state (1 stack checked in eu-central-1)\n',
    });
  });

  it('--verbose logs each CloudFormation call: ListStacks, the events of the stuck stacks, ListImports, ListExports', async () => {
    const r = await stacks(['--verbose']);
    const calls = r.stderr
      .split('\n')
      .flatMap((l) => /^aws (cloudformation\.\w+) \d+ms ok$/.exec(l)?.[1] ?? [])
      .sort();
    expect(calls).toEqual([
      'cloudformation.DescribeStackEvents',
      'cloudformation.DescribeStackEvents',
      'cloudformation.ListExports',
      'cloudformation.ListImports',
      'cloudformation.ListStacks',
    ]);
  });

  it('bad flags are exit 2 with one line, before any call', async () => {
    for (const [args, line] of [
      [['--stack-prefix', 'bad_prefix'], 'error: --stack-prefix "bad_prefix": not the start of a stack name'],
      [['--stalled-after', 'soon'], 'error: --stalled-after soon: not a duration'],
      [['--stack', 'lab'], 'error: --stack is an option of claw doctor (backup freshness), not of claw doctor stacks'],
      [['--ami-max-age', '1d'], 'error: --ami-max-age is an option of claw doctor, not of claw doctor stacks'],
    ] as const) {
      const r = await stacks([...args]);
      expect(r, args.join(' ')).toMatchObject({ exitCode: 2, stdout: '' });
      expect(r.stderr.split('\n')[0]).toBe(line);
    }
  });

  it('--help has examples and says what the exit code means; doctor --help lists it on one line', async () => {
    const r = await runClaw(['doctor', 'stacks', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ claw doctor stacks\n/);
    expect(r.stdout).toContain('Exit 1 when any stack is listed, 0 when none is.');
    const doctor = await runClaw(['doctor', '--help']);
    expect(doctor.stdout).toMatch(/\n {2}stacks \[options\] +stuck CloudFormation stacks, each with its fix\n/);
    for (const line of doctor.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
