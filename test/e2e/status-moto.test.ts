import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';

// `claw status` from the built binary against a real moto server seeded with SDK calls.
// Unique tag values keep this file apart from others sharing the same moto.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED status-moto e2e: ${inject('motoSkipReason')}`);

const run = randomBytes(4).toString('hex');
const instanceTag = { key: `app-${run}`, value: 'clawdinator' };
const amiTag = { key: `clawdinator-${run}`, value: 'true' };
const env = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_ENDPOINT_URL: endpoint ?? '',
  AWS_REGION: 'eu-central-1',
  CLAW_INSTANCE_TAG: `${instanceTag.key}=${instanceTag.value}`,
  CLAW_AMI_TAG: `${amiTag.key}=${amiTag.value}`,
};
const ids: Record<string, string> = {};

suite('claw status against moto', () => {
  let ec2: EC2Client;
  const launch = async (name: string | undefined, type: string, imageId: string, tags = true) => {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: type as never,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              ...(tags ? [{ Key: instanceTag.key, Value: instanceTag.value }] : []),
              ...(name ? [{ Key: 'Name', Value: name }] : []),
              { Key: 'clawdinator:rev', Value: 'ab'.repeat(20) },
            ],
          },
        ],
      }),
    );
    return out.Instances![0]!.InstanceId!;
  };
  const image = async (from: string, name: string) => {
    const out = await ec2.send(new CreateImageCommand({ InstanceId: from, Name: name }));
    await ec2.send(
      new CreateTagsCommand({
        Resources: [out.ImageId!],
        Tags: [
          { Key: amiTag.key, Value: amiTag.value },
          { Key: 'Name', Value: name },
        ],
      }),
    );
    return out.ImageId!;
  };

  beforeAll(async () => {
    ec2 = new EC2Client({ endpoint: endpoint!, region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const base = await launch(undefined, 't3.micro', 'ami-03cf127a', false); // a moto stock AMI
    ids.old = await image(base, `clawdinator-nixos-old-${run}`);
    await new Promise((r) => setTimeout(r, 1100)); // CreationDate has second resolution
    ids.new = await image(base, `clawdinator-nixos-new-${run}`);
    ids.one = await launch('clawdinator-1', 't3.large', ids.new);
    ids.two = await launch('clawdinator-2', 't3.xlarge', ids.old);
    ids.twoB = await launch('clawdinator-2', 't3.large', ids.new);
    ids.stray = await launch('clawdinator-scratch', 't3.medium', ids.new);
    ids.gone = await launch('clawdinator-babelfish', 't3.medium', ids.new);
    ids.untagged = await launch('clawdinator-babelfish', 't3.medium', ids.new, false);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [ids.stray] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids.gone] }));
  });
  afterAll(() => ec2?.destroy());

  it('joins the seeded fleet with the registry and calls out drift', async () => {
    // Only this test's instances: other suites share the moto server (terraform's come and go).
    const mine = () => ec2.send(new DescribeInstancesCommand({ InstanceIds: Object.values(ids).filter((id) => id.startsWith('i-')) }));
    const before = await mine();
    const r = await runClaw(['status', '--json', '--repo', FIXTURE_REPO], { env });
    expect(r.stderr).toMatch(/warning: ssm ping unknown: SSM DescribeInstanceInformation failed/);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.latestImageId).toBe(ids.new);
    const [one, two, babel] = out.hosts;
    expect(one).toMatchObject({
      host: 'clawdinator-1',
      instanceId: ids.one,
      state: 'running',
      instanceType: 't3.large',
      desiredInstanceType: 't3.large',
      imageId: ids.new,
      imageIsLatest: true,
      rev: 'ab'.repeat(20),
      ssmPing: 'unknown',
      drift: [],
    });
    expect(one.availabilityZone).toMatch(/^eu-central-1[a-c]$/);
    expect(two.host).toBe('clawdinator-2');
    expect(two.instanceIds.sort()).toEqual([ids.two, ids.twoB].sort());
    expect(two.drift.map((d: { kind: string }) => d.kind)).toContain('multiple-instances');
    // The terminated one does not count; the untagged one is filtered out server-side.
    expect(babel).toMatchObject({ host: 'clawdinator-babelfish', state: 'missing', instanceId: null, drift: [{ kind: 'missing-instance' }] });
    expect(out.unregistered).toEqual([expect.objectContaining({ instanceId: ids.stray, name: 'clawdinator-scratch', state: 'stopped' })]);
    // status is read-only: moto holds exactly what it held before.
    expect(await mine()).toMatchObject({ Reservations: before.Reservations });
  });

  it('prints the table with drift and unregistered sections', async () => {
    const r = await runClaw(['status', '--repo', FIXTURE_REPO], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^clawdinator-1\\s+${ids.one}\\s+running\\s+t3\\.large\\s+eu-central-1[a-c]\\s+${ids.new} latest\\s+abababababab`, 'm'),
    );
    expect(r.stdout).toMatch(/^ {2}clawdinator-babelfish: no instance tagged Name=clawdinator-babelfish$/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}clawdinator-scratch\\s+${ids.stray}\\s+stopped`, 'm'));
    expect(r.stdout).toMatch(/^4 hosts, 3 with drift, 1 unregistered; latest AMI ami-/m);
  });

  it('logs each AWS call with --verbose: one call of each kind for the whole fleet', async () => {
    const r = await runClaw(['status', '--json', '--verbose', '--repo', FIXTURE_REPO], { env });
    const calls = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('aws '))
      .map((l) => l.split(' ')[1]);
    expect(calls.sort()).toEqual(['ec2.DescribeImages', 'ec2.DescribeInstances', 'ssm.DescribeInstanceInformation']);
    expect(r.stderr).toMatch(/^aws ec2\.DescribeInstances \d+ms ok$/m);
    expect(r.stderr).not.toMatch(/test/); // no credential ever printed
  });
});
