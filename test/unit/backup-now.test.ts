import type { DescribeInstancesCommandInput, Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { BackupUnitFailed, findBackupHost, runBackupUnit } from '../../src/aws/backup-now.js';
import type { Ec2Api, SsmApi } from '../../src/aws/clients.js';
import { PollMeter } from '../../src/aws/run-command.js';
import { parseBackupTarget } from '../../src/core/backup.js';
import { asHostId } from '../../src/core/deploy-target.js';
import { RefusedError, UsageError } from '../../src/core/errors.js';
import { backupCommands } from '../../src/core/ssm-script.js';

// `claw backup now` below the command: the host lookup (by Name tag, without the fleet's
// app tag, or by id) and the backup unit through Run Command, over hand-written EC2 and
// SSM fakes that throw on any call the test did not expect. (moto's SSM always answers
// "Success" and the sandbox's simulation of this unit is another lane: the failures are here.)

const unexpected = (name: string) => async () => {
  throw new Error(`unexpected call: ${name}`);
};
const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function fakeEc2(instances: Instance[], o: { notFound?: boolean; openclaw?: Instance[] } = {}) {
  const calls: DescribeInstancesCommandInput[] = [];
  const ec2 = {
    async describeInstances(input: DescribeInstancesCommandInput) {
      calls.push(input);
      if (o.notFound) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceIds?.[0]}' does not exist`);
      // The listing of the OpenClaw hosts (a refusal names them).
      if (input.Filters?.some((f) => f.Name === 'tag:app')) return { $metadata: {}, Reservations: [{ Instances: o.openclaw ?? [] }] };
      return { $metadata: {}, Reservations: [{ Instances: instances }] };
    },
  } as Partial<Ec2Api>;
  for (const k of [
    'describeImages',
    'describeSnapshots',
    'createTags',
    'deleteTags',
    'deregisterImage',
    'deleteSnapshot',
    'importSnapshot',
    'describeImportSnapshotTasks',
    'registerImage',
    'describeInstanceTypes',
    'describeSpotPriceHistory',
  ] as const) {
    (ec2 as Record<string, unknown>)[k] = unexpected(k);
  }
  return { ec2: ec2 as Ec2Api, calls };
}

/** An OpenClaw host of stack lab unless `tags` says otherwise. */
const inst = (id: string, state: string, name?: string, tags: Record<string, string> = { app: 'openclaw', stack: 'lab' }): Instance => ({
  InstanceId: id,
  State: { Name: state as 'running' },
  Tags: [...(name ? [{ Key: 'Name', Value: name }] : []), ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))],
});

describe('findBackupHost', () => {
  it('finds the one pending|running instance by its Name tag, with no app-tag filter', async () => {
    const { ec2, calls } = fakeEc2([inst('i-0aaaaaaaaaaaaaaa1', 'terminated', 'openclaw-lab'), inst('i-0aaaaaaaaaaaaaaa2', 'running', 'openclaw-lab')]);
    expect(await findBackupHost(ec2, parseBackupTarget('openclaw-lab'))).toEqual({ host: 'openclaw-lab', instanceId: 'i-0aaaaaaaaaaaaaaa2', state: 'running' });
    expect(calls).toEqual([{ Filters: [{ Name: 'tag:Name', Values: ['openclaw-lab'] }] }]);
  });

  it('takes an instance id; its Name tag names it in the comment, else the id does', async () => {
    const { ec2, calls } = fakeEc2([inst('i-0aaaaaaaaaaaaaaa2', 'pending')]);
    // (the fake's instance has no Name, only the OpenClaw tags)
    expect(await findBackupHost(ec2, parseBackupTarget('i-0aaaaaaaaaaaaaaa2'))).toEqual({
      host: 'i-0aaaaaaaaaaaaaaa2',
      instanceId: 'i-0aaaaaaaaaaaaaaa2',
      state: 'pending',
    });
    expect(calls).toEqual([{ InstanceIds: ['i-0aaaaaaaaaaaaaaa2'] }]);
  });

  it('no instance at all: a usage error (exit 2)', async () => {
    const none = await findBackupHost(fakeEc2([]).ec2, parseBackupTarget('openclaw-nope')).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(UsageError);
    expect((none as Error).message).toBe('no instance named openclaw-nope in this account and region');
    const err = await findBackupHost(fakeEc2([], { notFound: true }).ec2, parseBackupTarget('i-0bbbbbbbbbbbbbbb1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('no instance i-0bbbbbbbbbbbbbbb1 in this account and region');
  });

  it('none pending|running, or several: refused, naming what was found', async () => {
    const stopped = await findBackupHost(fakeEc2([inst('i-0aaaaaaaaaaaaaaa1', 'stopped', 'openclaw-lab')]).ec2, parseBackupTarget('openclaw-lab')).catch(
      (e: unknown) => e,
    );
    expect(stopped).toBeInstanceOf(RefusedError);
    expect((stopped as Error).message).toBe('an instance named openclaw-lab: none is pending or running (found i-0aaaaaaaaaaaaaaa1 stopped)');
    const two = await findBackupHost(
      fakeEc2([inst('i-0aaaaaaaaaaaaaaa1', 'running', 'openclaw-lab'), inst('i-0aaaaaaaaaaaaaaa2', 'pending', 'openclaw-lab')]).ec2,
      parseBackupTarget('openclaw-lab'),
    ).catch((e: unknown) => e);
    expect(two).toBeInstanceOf(RefusedError);
    expect((two as Error).message).toBe(
      'an instance named openclaw-lab: 2 are pending or running (found i-0aaaaaaaaaaaaaaa1 running, i-0aaaaaaaaaaaaaaa2 pending)',
    );
  });

  it("a host that is not an OpenClaw host of the stack has no backup unit: refused before anything is sent, naming the stack's hosts", async () => {
    const lab = inst('i-0aaaaaaaaaaaaaaa3', 'running', 'openclaw-lab');
    const clawdinator = inst('i-0aaaaaaaaaaaaaaa1', 'running', 'clawdinator-1', { app: 'clawdinator' });
    const err = await findBackupHost(fakeEc2([clawdinator], { openclaw: [lab] }).ec2, parseBackupTarget('clawdinator-1'), 'lab').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).message).toBe(
      'clawdinator-1 (i-0aaaaaaaaaaaaaaa1) has no openclaw-s3-backup.service: it is not an OpenClaw host (no tag app=openclaw); nothing was sent',
    );
    expect((err as RefusedError).hint).toBe('the OpenClaw hosts of stack lab: openclaw-lab');
    const other = await findBackupHost(fakeEc2([lab]).ec2, parseBackupTarget('openclaw-lab'), 'prod').catch((e: unknown) => e);
    expect((other as RefusedError).message).toContain('it is an OpenClaw host of stack lab, not prod');
    expect((other as RefusedError).hint).toBe('no pending or running instance is tagged app=openclaw and stack=prod');
    // Without a stack (--bucket), any OpenClaw host will do.
    expect(await findBackupHost(fakeEc2([lab]).ec2, parseBackupTarget('openclaw-lab'))).toMatchObject({ host: 'openclaw-lab' });
  });

  it('a target is an instance id or a host name; anything else is a usage error', () => {
    expect(parseBackupTarget('i-0aaaaaaaaaaaaaaa2')).toEqual({ kind: 'instance-id', value: 'i-0aaaaaaaaaaaaaaa2' });
    expect(parseBackupTarget('openclaw-lab')).toEqual({ kind: 'name', value: 'openclaw-lab' });
    for (const bad of ['x;reboot', 'Openclaw', '$(id)', '', '-lab']) expect(() => parseBackupTarget(bad), bad).toThrow(UsageError);
  });
});

type Answer = 'missing' | { Status: string; ResponseCode?: number; StatusDetails?: string; StandardOutputContent?: string; StandardErrorContent?: string };

function fakeSsm(answers: Answer[], o: { sendError?: Error } = {}) {
  const sent: { commands: string[] | undefined; comment: string | undefined; ids: string[] | undefined }[] = [];
  const ssm: SsmApi = {
    async sendCommand(input) {
      if (o.sendError) throw o.sendError;
      sent.push({ commands: input.Parameters?.commands, comment: input.Comment, ids: input.InstanceIds });
      return { $metadata: {}, Command: { CommandId: 'cmd-1' } };
    },
    async getCommandInvocation() {
      const a = answers.shift();
      if (a === undefined) throw new Error('unexpected GetCommandInvocation');
      if (a === 'missing') throw awsError('InvocationDoesNotExist');
      return { $metadata: {}, ...a } as never;
    },
    describeInstanceInformation: unexpected('describeInstanceInformation'),
    listCommandInvocations: unexpected('listCommandInvocations'),
  };
  return { ssm, sent };
}

const target = { host: asHostId('openclaw-lab'), instanceId: 'i-0aaaaaaaaaaaaaaa2', state: 'running' };
const opts = () => ({ meter: new PollMeter({ initialMs: 1, factor: 2, maxIntervalMs: 4, timeoutMs: 1_000, maxCalls: 20 }), sleep: async () => {} });

describe('runBackupUnit', () => {
  it('sends the backup template with the backup comment and waits through InvocationDoesNotExist', async () => {
    const { ssm, sent } = fakeSsm([
      'missing',
      { Status: 'InProgress' },
      { Status: 'Success', ResponseCode: 0, StandardOutputContent: 'Result=success\nExecMainStatus=0\n' },
    ]);
    const run = await runBackupUnit(ssm, target, opts());
    expect(sent).toEqual([{ commands: backupCommands(), comment: 'claw backup openclaw-lab', ids: ['i-0aaaaaaaaaaaaaaa2'] }]);
    expect(run).toMatchObject({ ok: true, result: 'success', exitStatus: 0, commandId: 'cmd-1', status: 'Success' });
  });

  it('a failed unit: RemoteError (exit 1) with the tail of its output', async () => {
    const stderr =
      'Job for openclaw-s3-backup.service failed because the control process exited with error code.\nSee "systemctl status openclaw-s3-backup.service" for details.\nfailed to run commands: exit status 1';
    const { ssm } = fakeSsm([{ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 1, StandardErrorContent: stderr }]);
    const err = await runBackupUnit(ssm, target, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupUnitFailed);
    expect((err as BackupUnitFailed).exitCode).toBe(1);
    expect((err as Error).message).toBe(
      [
        'openclaw-s3-backup.service on openclaw-lab (i-0aaaaaaaaaaaaaaa2) failed: the command ended Failed, exit 1',
        '  Job for openclaw-s3-backup.service failed because the control process exited with error code.',
        '  See "systemctl status openclaw-s3-backup.service" for details.',
        '  failed to run commands: exit status 1',
      ].join('\n'),
    );
  });

  it('a command that succeeded but whose unit result is not success still fails', async () => {
    const { ssm } = fakeSsm([{ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'Result=exit-code\nExecMainStatus=2\n' }]);
    await expect(runBackupUnit(ssm, target, opts())).rejects.toThrow(/failed: the unit ended with result exit-code, exit status 2/);
  });

  it('an undeliverable or timed-out command fails with its status', async () => {
    const { ssm } = fakeSsm([{ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 }]);
    await expect(runBackupUnit(ssm, target, opts())).rejects.toThrow(/failed: the command ended TimedOut \(ExecutionTimedOut\)$/);
  });

  it('SSM does not manage the instance: refused, nothing ran', async () => {
    const { ssm } = fakeSsm([], {
      sendError: awsError('InvalidInstanceId', 'Instances [[i-0aaaaaaaaaaaaaaa2]] not in a valid state for account 123456789012'),
    });
    const err = await runBackupUnit(ssm, target, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as Error).message).toMatch(/^SSM cannot run commands on openclaw-lab \(i-0aaaaaaaaaaaaaaa2\): Instances/);
  });
});
