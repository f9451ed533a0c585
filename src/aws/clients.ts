import type {
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  DeleteSnapshotCommandInput,
  DeleteSnapshotCommandOutput,
  DeleteTagsCommandInput,
  DeleteTagsCommandOutput,
  DeregisterImageCommandInput,
  DeregisterImageCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeImportSnapshotTasksCommandInput,
  DescribeImportSnapshotTasksCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeInstanceTypesCommandInput,
  DescribeInstanceTypesCommandOutput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  DescribeSpotPriceHistoryCommandInput,
  DescribeSpotPriceHistoryCommandOutput,
  ImportSnapshotCommandInput,
  ImportSnapshotCommandOutput,
  RegisterImageCommandInput,
  RegisterImageCommandOutput,
} from '@aws-sdk/client-ec2';
import type {
  AbortMultipartUploadCommandInput,
  AbortMultipartUploadCommandOutput,
  CompleteMultipartUploadCommandInput,
  CompleteMultipartUploadCommandOutput,
  CopyObjectCommandInput,
  CopyObjectCommandOutput,
  CreateMultipartUploadCommandInput,
  CreateMultipartUploadCommandOutput,
  UploadPartCopyCommandInput,
  UploadPartCopyCommandOutput,
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  DeleteObjectsCommandInput,
  DeleteObjectsCommandOutput,
  GetBucketLifecycleConfigurationCommandInput,
  GetBucketLifecycleConfigurationCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  HeadBucketCommandInput,
  HeadBucketCommandOutput,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutBucketLifecycleConfigurationCommandInput,
  PutBucketLifecycleConfigurationCommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type {
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommandInput,
  ListCommandInvocationsCommandOutput,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { GetCallerIdentityCommandInput, GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import type {
  DescribeStackEventsCommandInput,
  DescribeStackEventsCommandOutput,
  ListExportsCommandInput,
  ListExportsCommandOutput,
  ListImportsCommandInput,
  ListImportsCommandOutput,
  ListStacksCommandInput,
  ListStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import type { Readable } from 'node:stream';

// The narrow interfaces: only the calls claw makes, with the SDK's own types. The SDK
// implementation (sdk-clients.ts) and the sandbox (src/sandbox) both implement them,
// so everything built on top runs the same code in both modes.

export interface Ec2Api {
  describeInstances(input: DescribeInstancesCommandInput): Promise<DescribeInstancesCommandOutput>;
  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
  describeSnapshots(input: DescribeSnapshotsCommandInput): Promise<DescribeSnapshotsCommandOutput>;
  createTags(input: CreateTagsCommandInput): Promise<CreateTagsCommandOutput>;
  deleteTags(input: DeleteTagsCommandInput): Promise<DeleteTagsCommandOutput>;
  deregisterImage(input: DeregisterImageCommandInput): Promise<DeregisterImageCommandOutput>;
  deleteSnapshot(input: DeleteSnapshotCommandInput): Promise<DeleteSnapshotCommandOutput>;
  importSnapshot(input: ImportSnapshotCommandInput): Promise<ImportSnapshotCommandOutput>;
  describeImportSnapshotTasks(input: DescribeImportSnapshotTasksCommandInput): Promise<DescribeImportSnapshotTasksCommandOutput>;
  registerImage(input: RegisterImageCommandInput): Promise<RegisterImageCommandOutput>;
  describeInstanceTypes(input: DescribeInstanceTypesCommandInput): Promise<DescribeInstanceTypesCommandOutput>;
  describeSpotPriceHistory(input: DescribeSpotPriceHistoryCommandInput): Promise<DescribeSpotPriceHistoryCommandOutput>;
}

/** A (multipart when large) upload, as @aws-sdk/lib-storage's Upload does it. */
export interface UploadInput {
  Bucket: string;
  Key: string;
  Body: Readable | Uint8Array;
  ContentLength?: number;
  Metadata?: Record<string, string>;
  ContentType?: string;
  /** Parts in flight for this one upload (default 4). Parts are always UPLOAD_PART_SIZE. */
  queueSize?: number;
  /** Bytes sent so far and the total, as parts complete. */
  onProgress?: (loaded: number, total: number | undefined) => void;
}

export interface S3Api {
  headBucket(input: HeadBucketCommandInput): Promise<HeadBucketCommandOutput>;
  headObject(input: HeadObjectCommandInput): Promise<HeadObjectCommandOutput>;
  /** Body is the SDK's stream (transformToByteArray / transformToString). */
  getObject(input: GetObjectCommandInput): Promise<GetObjectCommandOutput>;
  /** putObject honours IfNoneMatch: '*' (create only) and IfMatch: <etag> (compare-and-swap). */
  deleteObject(input: DeleteObjectCommandInput): Promise<DeleteObjectCommandOutput>;
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
  putObject(input: PutObjectCommandInput): Promise<PutObjectCommandOutput>;
  deleteObjects(input: DeleteObjectsCommandInput): Promise<DeleteObjectsCommandOutput>;
  upload(input: UploadInput): Promise<{ ETag?: string | undefined }>;
  /** Server-side copy of one object up to 5 GiB (CopySource is "bucket/key", URI-encoded). */
  copyObject(input: CopyObjectCommandInput): Promise<CopyObjectCommandOutput>;
  /** Multipart copy, for objects over 5 GiB: create, UploadPartCopy ranges, complete (abort on failure). */
  createMultipartUpload(input: CreateMultipartUploadCommandInput): Promise<CreateMultipartUploadCommandOutput>;
  uploadPartCopy(input: UploadPartCopyCommandInput): Promise<UploadPartCopyCommandOutput>;
  completeMultipartUpload(input: CompleteMultipartUploadCommandInput): Promise<CompleteMultipartUploadCommandOutput>;
  abortMultipartUpload(input: AbortMultipartUploadCommandInput): Promise<AbortMultipartUploadCommandOutput>;
  getBucketLifecycleConfiguration(input: GetBucketLifecycleConfigurationCommandInput): Promise<GetBucketLifecycleConfigurationCommandOutput>;
  putBucketLifecycleConfiguration(input: PutBucketLifecycleConfigurationCommandInput): Promise<PutBucketLifecycleConfigurationCommandOutput>;
}

export interface SsmApi {
  describeInstanceInformation(input: DescribeInstanceInformationCommandInput): Promise<DescribeInstanceInformationCommandOutput>;
  sendCommand(input: SendCommandCommandInput): Promise<SendCommandCommandOutput>;
  getCommandInvocation(input: GetCommandInvocationCommandInput): Promise<GetCommandInvocationCommandOutput>;
  listCommandInvocations(input: ListCommandInvocationsCommandInput): Promise<ListCommandInvocationsCommandOutput>;
}

/** Who the credentials are: the account id fills bucket patterns such as the backup bucket's. */
export interface StsApi {
  getCallerIdentity(input: GetCallerIdentityCommandInput): Promise<GetCallerIdentityCommandOutput>;
}

/** CloudFormation, read only: stacks in a failed or rollback state and the exports that hold them (claw doctor stacks). */
export interface CloudFormationApi {
  listStacks(input: ListStacksCommandInput): Promise<ListStacksCommandOutput>;
  /** Newest first. */
  describeStackEvents(input: DescribeStackEventsCommandInput): Promise<DescribeStackEventsCommandOutput>;
  listExports(input: ListExportsCommandInput): Promise<ListExportsCommandOutput>;
  /** ValidationError "Export 'x' is not imported by any stack." when nothing imports it. */
  listImports(input: ListImportsCommandInput): Promise<ListImportsCommandOutput>;
}

export interface AwsClients {
  ec2: Ec2Api;
  s3: S3Api;
  ssm: SsmApi;
  sts: StsApi;
  cloudformation: CloudFormationApi;
}

export type ServiceName = keyof AwsClients;
