import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runClaw } from '../helpers/claw.js';

// `claw doctor stacks` from the built binary against a real moto server: healthy stacks
// (moto never rolls a stack back) are the clean line and exit 0; no credentials is one
// clear line and exit 1. A prefix of this run's own keeps it apart from other files.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED doctor-stacks-moto e2e: ${inject('motoSkipReason')}`);

const run = `st${randomBytes(4).toString('hex')}`;
const env = { AWS_ENDPOINT_URL: endpoint ?? '', AWS_REGION: 'eu-central-1' };
const creds = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const template = (name: string, value: unknown, exportName?: string) =>
  JSON.stringify({
    Resources: { P: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Name: `/${run}/${name}`, Value: value } } },
    ...(exportName && { Outputs: { Out: { Value: 'vpc-0123456789abcdef0', Export: { Name: exportName } } } }),
  });

suite('claw doctor stacks against moto', () => {
  let cfn: CloudFormationClient;
  beforeAll(async () => {
    cfn = new CloudFormationClient({
      endpoint: endpoint!,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    await cfn.send(new CreateStackCommand({ StackName: `${run}-network`, TemplateBody: template('network', 'x', `${run}-network:VpcId`) }));
    await cfn.send(new CreateStackCommand({ StackName: `${run}-app`, TemplateBody: template('app', { 'Fn::ImportValue': `${run}-network:VpcId` }) }));
  });
  afterAll(() => cfn?.destroy());

  it('healthy stacks: the clean line and exit 0', async () => {
    const r = await runClaw(['doctor', 'stacks', '--stack-prefix', run], { env: { ...env, ...creds } });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'no stacks in a failed or rollback state (2 stacks checked in eu-central-1)\n', stderr: '' });
    // Without a prefix every stack on this moto is looked at: all healthy, whatever other files made.
    const all = await runClaw(['doctor', 'stacks', '--json'], { env: { ...env, ...creds } });
    expect(all.exitCode).toBe(0);
    const doc = JSON.parse(all.stdout) as { region: string; checked: number; ok: boolean; stacks: unknown[] };
    expect(doc).toMatchObject({ region: 'eu-central-1', ok: true, stacks: [] });
    expect(doc.checked).toBeGreaterThanOrEqual(2);
  });

  it('without credentials: one clear line, exit 1, nothing on stdout', async () => {
    const r = await runClaw(['doctor', 'stacks'], { env });
    expect(r).toMatchObject({ exitCode: 1, stdout: '' });
    expect(r.stderr).toMatch(/^error: no AWS credentials found\nhint: /);
  });
});
