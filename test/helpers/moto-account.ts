import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ListCommandsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createHash, randomInt } from 'node:crypto';

// An AWS account of a test file's own inside the shared moto server: moto keys every
// resource by the account of the credentials, and STS AssumeRole into another account's
// role hands out credentials for that account. So a digest of the whole account (every
// bucket, object, image, snapshot, instance, SSM command) is not disturbed by the other
// test files using moto at the same time.

const REGION = 'eu-central-1';

export interface MotoAccount {
  accountId: string;
  /** AWS_* variables for the built binary: these credentials, moto's endpoint, the region. */
  env: Record<string, string>;
  s3: S3Client;
  ec2: EC2Client;
  ssm: SSMClient;
  /** sha256 of everything the account holds (see `state`). */
  digest(): Promise<string>;
  /** Everything the account holds, in a stable order. */
  state(): Promise<unknown>;
  destroy(): void;
}

export async function openMotoAccount(endpoint: string): Promise<MotoAccount> {
  const accountId = String(randomInt(100_000_000_000, 999_999_999_999));
  const sts = new STSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/claw-test`, RoleSessionName: 'claw-test', DurationSeconds: 43_200 }),
  );
  sts.destroy();
  const c = out.Credentials!;
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  const common = { endpoint, region: REGION, credentials, maxAttempts: 1 };
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const ec2 = new EC2Client(common);
  const ssm = new SSMClient(common);

  const state = async () => {
    const buckets = [];
    for (const b of ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((x) => x.Name!).sort()) {
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: b }));
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: b }));
      const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: b })).then(
        (l) => l.Rules,
        () => null,
      );
      buckets.push({
        bucket: b,
        objects: (versions.Versions ?? []).map((v) => [v.Key, v.VersionId, v.ETag, v.Size, v.IsLatest]),
        deleteMarkers: (versions.DeleteMarkers ?? []).map((d) => [d.Key, d.VersionId]),
        uploads: (uploads.Uploads ?? []).map((u) => [u.Key, u.UploadId]),
        lifecycle,
      });
    }
    const tags = (t: { Key?: string; Value?: string }[] | undefined) => (t ?? []).map((x) => `${x.Key}=${x.Value}`).sort();
    const images = ((await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? [])
      .map((i) => [i.ImageId, i.State, tags(i.Tags), (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId)])
      .sort();
    const snapshots = ((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [])
      .map((s) => [s.SnapshotId, s.State, tags(s.Tags)])
      .sort();
    const instances = ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => [i.InstanceId, i.State?.Name, i.ImageId, tags(i.Tags)])
      .sort();
    const commands = ((await ssm.send(new ListCommandsCommand({}))).Commands ?? []).map((x) => [x.CommandId, x.Comment, x.Status]).sort();
    return { buckets, images, snapshots, instances, commands };
  };

  return {
    accountId,
    env: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: REGION,
    },
    s3,
    ec2,
    ssm,
    state,
    digest: async () =>
      createHash('sha256')
        .update(JSON.stringify(await state()))
        .digest('hex'),
    destroy: () => {
      s3.destroy();
      ec2.destroy();
      ssm.destroy();
    },
  };
}

/**
 * Something in each place a command could change: a bucket with bootstrap bundles, a
 * stack's backup bucket (latest/ and a snapshot), the fleet's instance, two tagged AMIs
 * (with their snapshots) and an SSM command.
 */
export async function seedFleet(a: MotoAccount, opts: { bootstrapBucket: string; stack: string }): Promise<void> {
  const bucket = async (name: string, objects: Record<string, string>) => {
    await a.s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    for (const [Key, Body] of Object.entries(objects)) await a.s3.send(new PutObjectCommand({ Bucket: name, Key, Body }));
  };
  await bucket(opts.bootstrapBucket, {
    'bootstrap/clawdinator-1/secrets.tar.zst': 'not really a bundle',
    'age-secrets/clawdinator-discord-token-1.age': 'age',
  });
  await bucket(`openclaw-lab-backup-${opts.stack}-${a.accountId}`, {
    'latest/openclaw.json': '{"v":2}',
    'snapshots/2026-11-01-00-00/openclaw.json': '{"v":1}',
  });
  const run = await a.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-03cf127a',
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.large',
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'app', Value: 'clawdinator' },
            { Key: 'Name', Value: 'clawdinator-1' },
          ],
        },
      ],
    }),
  );
  const instanceId = run.Instances![0]!.InstanceId!;
  for (const name of ['clawdinator-nixos-20261101000000', 'clawdinator-nixos-20261102000000']) {
    const { ImageId } = await a.ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
    await a.ec2.send(
      new CreateTagsCommand({
        Resources: [ImageId!],
        Tags: [
          { Key: 'clawdinator', Value: 'true' },
          { Key: 'Name', Value: name },
        ],
      }),
    );
  }
  await a.ssm.send(
    new SendCommandCommand({ InstanceIds: [instanceId], DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Comment: 'seed' }),
  );
}
