import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw, tempDir } from '../helpers/claw.js';

// `claw replace` with a real tofu-compatible CLI against moto: Terraform (CLI-compatible
// with OpenTofu for plan -out / show -json / apply <plan>) and the real AWS provider,
// found on this machine image (/usr/local/bin/terraform, provider mirror in
// /opt/tf-plugins); no network is needed. It is linked as `tofu` on PATH. Skips loudly
// without moto, terraform or the provider: neither can be installed from a registry here.

const MIRROR = '/opt/tf-plugins';
const endpoint = inject('motoEndpoint');
const terraform = ['/usr/local/bin/terraform', '/usr/bin/terraform'].find((p) => existsSync(p));
const hasProvider = existsSync(join(MIRROR, 'registry.terraform.io', 'hashicorp', 'aws'));
const why = !endpoint ? inject('motoSkipReason') : !terraform ? 'no terraform binary' : !hasProvider ? `no AWS provider in ${MIRROR}` : undefined;
const suite = why ? describe.skip : describe;
if (why) console.warn(`SKIPPED replace-terraform-moto e2e: ${why}`);

const run = randomBytes(4).toString('hex');
const REGION = 'eu-central-1';
const amiTag = `clawdinator-${run}`;
const bucket = `claw-replace-${run}`;
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

const mainTf = (ep: string) => `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
variable "aws_region" { type = string }
variable "ami_id" { type = string }
provider "aws" {
  region                      = var.aws_region
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    ec2 = "${ep}"
    sts = "${ep}"
  }
}
locals {
  instances = jsondecode(file("\${path.module}/../../../nix/instances.json"))
}
resource "aws_instance" "clawdinator" {
  for_each      = local.instances
  ami           = var.ami_id
  instance_type = each.value.instanceType
  tags          = { Name = each.value.host, app = "clawdinator-${run}" }
}
`;

suite('claw replace with terraform and the AWS provider against moto', () => {
  let ec2: EC2Client;
  let older: string;
  let newer: string;
  let repo: string;
  let env: Record<string, string>;
  const claw = (...args: string[]) => runClaw(['--repo', repo, 'replace', ...args], { env, timeoutMs: 170_000 });
  const instances = async (): Promise<Record<string, { id: string; ami: string }>> => {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:app', Values: [`clawdinator-${run}`] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    const rows = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    return Object.fromEntries(rows.map((i) => [i.Tags?.find((t) => t.Key === 'Name')?.Value, { id: i.InstanceId!, ami: i.ImageId! }]));
  };

  beforeAll(async () => {
    ec2 = new EC2Client({ region: REGION, endpoint: endpoint!, credentials: creds });
    const base = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images![0]!.ImageId!;
    const seed = (await ec2.send(new RunInstancesCommand({ ImageId: base, MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
    older = (await ec2.send(new CreateImageCommand({ InstanceId: seed, Name: `clawdinator-nixos-older-${run}` }))).ImageId!;
    await new Promise((r) => setTimeout(r, 1100)); // a later CreationDate: the newest is the latest
    newer = (await ec2.send(new CreateImageCommand({ InstanceId: seed, Name: `clawdinator-nixos-newer-${run}` }))).ImageId!;
    await ec2.send(new CreateTagsCommand({ Resources: [older, newer], Tags: [{ Key: amiTag, Value: 'true' }] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [seed] }));
    await new S3Client({ region: REGION, endpoint: endpoint!, credentials: creds, forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );

    const root = tempDir('claw-replace-tf-');
    repo = join(root, 'repo');
    cpSync(FIXTURE_REPO, repo, { recursive: true });
    const infra = join(repo, 'infra', 'opentofu', 'aws');
    mkdirSync(infra, { recursive: true });
    writeFileSync(join(infra, 'main.tf'), mainTf(endpoint!));
    writeFileSync(join(root, 'tf.rc'), `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`);
    mkdirSync(join(root, 'bin'));
    symlinkSync(terraform!, join(root, 'bin', 'tofu'));
    env = {
      PATH: `${join(root, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      TF_CLI_CONFIG_FILE: join(root, 'tf.rc'),
      CHECKPOINT_DISABLE: '1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: endpoint!,
      AWS_REGION: REGION,
      CLAW_AMI_TAG: `${amiTag}=true`,
      CLAW_BOOTSTRAP_BUCKET: bucket,
    };
    // `tofu init` is the operator's step (with the backend configuration), not claw's.
    execFileSync(terraform!, [`-chdir=${infra}`, 'init', '-input=false', '-no-color'], { env: { ...env, HOME: root }, stdio: 'pipe' });
  }, 60_000);

  afterAll(async () => {
    const ids = Object.values(await instances().catch(() => ({}) as Awaited<ReturnType<typeof instances>>)).map((i) => i.id);
    if (ids.length) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids })).catch(() => {});
    ec2?.destroy();
  });

  it('all with --ami: a plain apply creates every registered instance', async () => {
    const r = await claw('all', '--ami', older, '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("tofu's plan: 4 to create");
    expect(r.stderr).toContain('tofu: Apply complete! Resources: 4 added, 0 changed, 0 destroyed.');
    const now = await instances();
    expect(Object.keys(now).sort()).toEqual(['clawdinator-1', 'clawdinator-2', 'clawdinator-3', 'clawdinator-babelfish']);
    expect(Object.values(now).every((i) => i.ami === older)).toBe(true);
  }, 180_000);

  it('one host with the newest AMI: tofu would replace every host (one ami_id for all), so claw refuses and applies nothing', async () => {
    const before = await instances();
    const r = await claw('clawdinator-1', '--yes');
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stdout).toContain(`ami:     ${newer}, newest of 2 tagged AMIs`);
    expect(r.stderr).toContain('aws_instance.clawdinator["clawdinator-2"]');
    expect(r.stderr).toContain('nothing was applied');
    expect(await instances()).toEqual(before);
  }, 180_000);

  it('one host with the AMI the fleet runs: only that instance is replaced', async () => {
    const before = await instances();
    const r = await claw('clawdinator-1', '--ami', older, '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`tofu's plan: 1 to replace\n  aws_instance.clawdinator["clawdinator-1"]: replace (destroy, then create)`);
    expect(r.stderr).toContain('tofu: Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
    const after = await instances();
    expect(after['clawdinator-1']!.id).not.toBe(before['clawdinator-1']!.id);
    expect(after['clawdinator-2']).toEqual(before['clawdinator-2']);
    expect(after['clawdinator-babelfish']).toEqual(before['clawdinator-babelfish']);
  }, 180_000);
});
