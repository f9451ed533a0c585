import { RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { ANY_AMI, expectAwsError, motoEndpoint, openSandboxBackend, type Backend } from './backends.js';
import { destroyRaw, narrowClients, rawMotoClients } from './moto-clients.js';
import { DOC, readToEnd, runToEnd } from './ssm-run.js';

// Run Command through claw's SDK clients against moto 5.2.1: what the sandbox and moto
// agree on runs against both; what moto does differently is pinned below as moto's
// quirks (documentation of moto, not of claw: if one fails, moto changed). The lifecycle
// AWS really has is in ssm-run-command.contract.test.ts (sandbox + recorded answers).

const ONE = 'i-0a3f5c9e2b7d41c08';
const TWO = 'i-0b6e8d1f4a2c73e59';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const moto = motoEndpoint();
if (!moto.endpoint) console.warn(`!! SKIPPED: SSM Run Command against moto: ${moto.reason}`);

const backends: Record<string, () => Promise<{ ssm: AwsClients['ssm']; close(): Promise<void> }>> = {
  sandbox: async () => {
    const b: Backend = await openSandboxBackend();
    return { ssm: b.clients.ssm, close: () => b.close() };
  },
  ...(moto.endpoint && { moto: async () => ({ ssm: narrowClients(moto.endpoint).ssm, close: async () => undefined }) }),
};

for (const [name, open] of Object.entries(backends)) {
  describe(`SSM Run Command, what moto also does [${name}]`, () => {
    let ssm: AwsClients['ssm'];
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ ssm, close } = await open());
    });
    afterAll(async () => close());

    it('SendCommand answers a command id and echoes the request', async () => {
      const out = await ssm.sendCommand({
        DocumentName: DOC,
        InstanceIds: [ONE],
        Parameters: { commands: ['echo hi'] },
        Comment: 'claw poll',
        TimeoutSeconds: 600,
      });
      expect(out.Command!.CommandId).toMatch(UUID);
      expect(out.Command).toMatchObject({
        DocumentName: DOC,
        Parameters: { commands: ['echo hi'] },
        Comment: 'claw poll',
        TimeoutSeconds: 600,
        MaxConcurrency: '50',
        MaxErrors: '0',
      });
      // Exactly [ONE] on AWS and the sandbox; moto adds more (pinned below).
      expect(out.Command!.InstanceIds).toContain(ONE);
    });

    it('polling GetCommandInvocation (retrying InvocationDoesNotExist) reaches Success with ResponseCode 0', async () => {
      const r = await runToEnd(ssm, ONE, ['echo hi']);
      expect(r.out).toMatchObject({
        CommandId: r.commandId,
        InstanceId: ONE,
        DocumentName: DOC,
        PluginName: 'aws:runShellScript',
        Status: 'Success',
        StatusDetails: 'Success',
        ResponseCode: 0,
      });
    });

    it('an instance the command was not sent to is InvocationDoesNotExist', async () => {
      const out = await ssm.sendCommand({ DocumentName: DOC, InstanceIds: [ONE], Parameters: { commands: ['echo hi'] } });
      await readToEnd(ssm, out.Command!.CommandId!, ONE);
      await expectAwsError(ssm.getCommandInvocation({ CommandId: out.Command!.CommandId!, InstanceId: TWO }), 'InvocationDoesNotExist', 400);
    });
  });
}

describe.skipIf(!moto.endpoint)('SSM Run Command: moto 5.2.1 quirks (documentation of moto, not of claw)', () => {
  let ssm: AwsClients['ssm'];
  beforeAll(() => {
    ssm = narrowClients(moto.endpoint!).ssm;
  });
  const send = (ids: string[], doc = DOC) => ssm.sendCommand({ DocumentName: doc, InstanceIds: ids, Parameters: { commands: ['echo hi'] } });

  it('a command is Success the moment it is sent, with placeholder details', async () => {
    const c = (await send([ONE])).Command!;
    // AWS and the sandbox: Pending, StatusDetails Pending, CompletedCount 0, DocumentVersion $DEFAULT.
    expect(c).toMatchObject({
      Status: 'Success',
      StatusDetails: 'Details placeholder',
      NotificationConfig: { NotificationArn: 'string', NotificationEvents: ['Success'], NotificationType: 'Command' },
    });
    expect(c.CompletedCount).toBe(c.TargetCount);
    expect(c.DocumentVersion).toBeUndefined();
  });

  it('without Targets, every EC2 instance moto has in the region joins the command', async () => {
    // AWS and the sandbox send to InstanceIds only. (moto reads the missing Targets as an
    // EC2 filter that matches everything.)
    const raw = rawMotoClients(moto.endpoint!);
    const run = await raw.ec2.send(new RunInstancesCommand({ ImageId: ANY_AMI, MinCount: 1, MaxCount: 1 }));
    const bystander = run.Instances![0]!.InstanceId!;
    const c = (await send([ONE])).Command!;
    expect(c.InstanceIds).toEqual(expect.arrayContaining([ONE, bystander]));
    expect(c.TargetCount).toBe(c.InstanceIds!.length);
    expect((await ssm.getCommandInvocation({ CommandId: c.CommandId!, InstanceId: bystander })).Status).toBe('Success');
    await raw.ec2.send(new TerminateInstancesCommand({ InstanceIds: [bystander] }));
    destroyRaw(raw);
  });

  it('the first GetCommandInvocation is already Success, nothing runs, and the times are fixed and zone-less', async () => {
    const id = (await send([ONE])).Command!.CommandId!;
    const out = await ssm.getCommandInvocation({ CommandId: id, InstanceId: ONE });
    // AWS and the sandbox: InvocationDoesNotExist first, then Pending, InProgress; stdout "hi\n".
    expect(out).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: '', StandardErrorContent: '', ExecutionElapsedTime: 'PT5M' });
    expect(out.ExecutionStartDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  });

  it('accepts any instance id and any document name', async () => {
    // AWS and the sandbox: InvalidInstanceId for an unmanaged instance; the sandbox refuses other documents.
    expect((await send(['i-0123456789abcdef0'])).Command!.Status).toBe('Success');
    expect((await send([ONE], 'AWS-NoSuchDocument')).Command!.DocumentName).toBe('AWS-NoSuchDocument');
  });

  it('an unknown command id is InvalidCommandId (the sandbox says InvocationDoesNotExist)', async () => {
    await expectAwsError(ssm.getCommandInvocation({ CommandId: '11111111-2222-3333-4444-555555555555', InstanceId: ONE }), 'InvalidCommandId', 400);
  });

  it('ListCommandInvocations is not implemented: HTTP 500 with an HTML page, a SyntaxError in the SDK', async () => {
    const err = (await ssm.listCommandInvocations({}).catch((e: unknown) => e)) as SyntaxError & { $metadata?: { httpStatusCode?: number } };
    expect(err).toBeInstanceOf(SyntaxError);
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(err.message).toMatch(/^Unexpected token '<', "<!doctype "\.\.\. is not valid JSON/);
  });
});
