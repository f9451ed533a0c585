import type {
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import type {
  DeleteObjectsCommandInput,
  DeleteObjectsCommandOutput,
  HeadBucketCommandInput,
  HeadBucketCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type {
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
} from '@aws-sdk/client-ssm';

// The narrow interfaces: only the calls claw makes, with the SDK's own types. The SDK
// implementation (sdk-clients.ts) and the sandbox (src/sandbox) both implement them,
// so everything built on top runs the same code in both modes.

export interface Ec2Api {
  describeInstances(input: DescribeInstancesCommandInput): Promise<DescribeInstancesCommandOutput>;
  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
}

export interface S3Api {
  headBucket(input: HeadBucketCommandInput): Promise<HeadBucketCommandOutput>;
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
  putObject(input: PutObjectCommandInput): Promise<PutObjectCommandOutput>;
  deleteObjects(input: DeleteObjectsCommandInput): Promise<DeleteObjectsCommandOutput>;
}

export interface SsmApi {
  describeInstanceInformation(
    input: DescribeInstanceInformationCommandInput,
  ): Promise<DescribeInstanceInformationCommandOutput>;
}

export interface AwsClients {
  ec2: Ec2Api;
  s3: S3Api;
  ssm: SsmApi;
}

export type ServiceName = keyof AwsClients;
