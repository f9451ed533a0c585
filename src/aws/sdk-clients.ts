import { UPLOAD_PART_SIZE } from '../core/upload.js';
import { redactUrl } from '../core/redact.js';
import { checkAnswers } from './answers.js';
import type { AwsClients, CloudFormationApi, Ec2Api, S3Api, ServiceName, SsmApi, StsApi } from './clients.js';

export interface AwsSettings {
  region: string;
  profile?: string | undefined;
  endpointUrl?: string | undefined;
  /** Cancels every in-flight request (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Fixed credentials instead of the provider chain (tests against an emulator). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  maxAttempts?: number | undefined;
  /** Sockets per client; raised to match a concurrent transfer (the SDK's default is 50). */
  maxSockets?: number | undefined;
  /** Seconds to wait for a connection (default 10). */
  connectTimeout?: number | undefined;
  /** Seconds a request may go without a byte of answer before it fails, and is retried (default 60). */
  requestTimeout?: number | undefined;
}

/** The endpoint a service's requests go to, as it may be shown (a password in the URL redacted). */
export function endpointLabel(s: Pick<AwsSettings, 'endpointUrl' | 'region'>, service: ServiceName): string {
  return s.endpointUrl ? redactUrl(s.endpointUrl) : `https://${service}.${s.region}.amazonaws.com`;
}

// Adaptive retry backs off under throttling; 5 attempts (config maxAttempts) keeps a
// dead endpoint from hanging an operator for minutes.
const MAX_ATTEMPTS = 5;

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

/**
 * The SDK v3 implementation of the narrow interfaces. Each service's SDK package is
 * imported on its first call, so commands load only what they use.
 */
export function createSdkClients(s: AwsSettings): AwsClients {
  // A named profile means that profile (static keys, SSO, role, process), as with the
  // aws CLI's --profile; otherwise the SDK's default chain (env, profile, IMDS...).
  const credentials = once(async () => {
    if (s.credentials) return s.credentials;
    const { fromIni, fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
    return s.profile ? fromIni({ profile: s.profile }) : fromNodeProviderChain();
  });
  const base = async () => ({
    region: s.region,
    maxAttempts: s.maxAttempts ?? MAX_ATTEMPTS,
    retryMode: 'adaptive',
    credentials: await credentials(),
    ...(s.endpointUrl ? { endpoint: s.endpointUrl } : {}),
    // Every request has a connection and an idle timeout: an endpoint that accepts the
    // connection and never answers fails (TimeoutError, retried like other transient errors).
    requestHandler: {
      connectionTimeout: (s.connectTimeout ?? 10) * 1000,
      socketTimeout: (s.requestTimeout ?? 60) * 1000,
      ...(s.maxSockets ? { httpAgent: { keepAlive: true, maxSockets: s.maxSockets }, httpsAgent: { keepAlive: true, maxSockets: s.maxSockets } } : {}),
    },
  });
  const opts = { abortSignal: s.signal };

  const ec2 = once(async () => {
    const m = await import('@aws-sdk/client-ec2');
    return { m, c: new m.EC2Client(await base()) };
  });
  const s3 = once(async () => {
    const m = await import('@aws-sdk/client-s3');
    // Downloads are verified by claw itself (sha256 metadata, or the MD5 of a single-part
    // ETag), so the SDK's CRC32 check on responses is only asked for where S3 requires it:
    // it costs CPU on every GET, and moto stores a wrong CRC32 on copies of multipart objects.
    return { m, c: new m.S3Client({ ...(await base()), forcePathStyle: Boolean(s.endpointUrl), responseChecksumValidation: 'WHEN_REQUIRED' }) };
  });
  const ssm = once(async () => {
    const m = await import('@aws-sdk/client-ssm');
    return { m, c: new m.SSMClient(await base()) };
  });

  const sts = once(async () => {
    const m = await import('@aws-sdk/client-sts');
    return { m, c: new m.STSClient(await base()) };
  });

  const cloudformation = once(async () => {
    const m = await import('@aws-sdk/client-cloudformation');
    return { m, c: new m.CloudFormationClient(await base()) };
  });

  const ec2Api: Ec2Api = {
    describeInstances: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DescribeInstancesCommand(i), opts);
    },
    describeImages: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DescribeImagesCommand(i), opts);
    },
    describeSnapshots: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DescribeSnapshotsCommand(i), opts);
    },
    createTags: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.CreateTagsCommand(i), opts);
    },
    deleteTags: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DeleteTagsCommand(i), opts);
    },
    deregisterImage: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DeregisterImageCommand(i), opts);
    },
    deleteSnapshot: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DeleteSnapshotCommand(i), opts);
    },
    importSnapshot: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.ImportSnapshotCommand(i), opts);
    },
    describeImportSnapshotTasks: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DescribeImportSnapshotTasksCommand(i), opts);
    },
    registerImage: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.RegisterImageCommand(i), opts);
    },
    describeInstanceTypes: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DescribeInstanceTypesCommand(i), opts);
    },
    describeSpotPriceHistory: async (i) => {
      const { m, c } = await ec2();
      return c.send(new m.DescribeSpotPriceHistoryCommand(i), opts);
    },
  };
  const s3Api: S3Api = {
    headBucket: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.HeadBucketCommand(i), opts);
    },
    headObject: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.HeadObjectCommand(i), opts);
    },
    getObject: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.GetObjectCommand(i), opts);
    },
    deleteObject: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.DeleteObjectCommand(i), opts);
    },
    listObjectsV2: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.ListObjectsV2Command(i), opts);
    },
    putObject: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.PutObjectCommand(i), opts);
    },
    deleteObjects: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.DeleteObjectsCommand(i), opts);
    },
    getBucketLifecycleConfiguration: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.GetBucketLifecycleConfigurationCommand(i), opts);
    },
    putBucketLifecycleConfiguration: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.PutBucketLifecycleConfigurationCommand(i), opts);
    },
    copyObject: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.CopyObjectCommand(i), opts);
    },
    createMultipartUpload: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.CreateMultipartUploadCommand(i), opts);
    },
    uploadPartCopy: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.UploadPartCopyCommand(i), opts);
    },
    completeMultipartUpload: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.CompleteMultipartUploadCommand(i), opts);
    },
    abortMultipartUpload: async (i) => {
      const { m, c } = await s3();
      return c.send(new m.AbortMultipartUploadCommand(i), opts);
    },
    upload: async ({ onProgress, queueSize, ...params }) => {
      const [{ c }, { Upload }] = await Promise.all([s3(), import('@aws-sdk/lib-storage')]);
      const upload = new Upload({ client: c, params, partSize: UPLOAD_PART_SIZE, queueSize: queueSize ?? 4, leavePartsOnError: false });
      if (onProgress) upload.on('httpUploadProgress', (p) => onProgress(p.loaded ?? 0, p.total));
      const abort = () => void upload.abort();
      s.signal?.addEventListener('abort', abort, { once: true });
      try {
        const out = await upload.done();
        return { ETag: out.ETag };
      } finally {
        s.signal?.removeEventListener('abort', abort);
      }
    },
  };
  const ssmApi: SsmApi = {
    describeInstanceInformation: async (i) => {
      const { m, c } = await ssm();
      return c.send(new m.DescribeInstanceInformationCommand(i), opts);
    },
    sendCommand: async (i) => {
      const { m, c } = await ssm();
      return c.send(new m.SendCommandCommand(i), opts);
    },
    getCommandInvocation: async (i) => {
      const { m, c } = await ssm();
      return c.send(new m.GetCommandInvocationCommand(i), opts);
    },
    listCommandInvocations: async (i) => {
      const { m, c } = await ssm();
      return c.send(new m.ListCommandInvocationsCommand(i), opts);
    },
  };
  const stsApi: StsApi = {
    getCallerIdentity: async (i) => {
      const { m, c } = await sts();
      return c.send(new m.GetCallerIdentityCommand(i), opts);
    },
  };
  const cloudformationApi: CloudFormationApi = {
    listStacks: async (i) => {
      const { m, c } = await cloudformation();
      return c.send(new m.ListStacksCommand(i), opts);
    },
    describeStackEvents: async (i) => {
      const { m, c } = await cloudformation();
      return c.send(new m.DescribeStackEventsCommand(i), opts);
    },
    listExports: async (i) => {
      const { m, c } = await cloudformation();
      return c.send(new m.ListExportsCommand(i), opts);
    },
    listImports: async (i) => {
      const { m, c } = await cloudformation();
      return c.send(new m.ListImportsCommand(i), opts);
    },
  };
  return checkAnswers({ ec2: ec2Api, s3: s3Api, ssm: ssmApi, sts: stsApi, cloudformation: cloudformationApi }, (service) => endpointLabel(s, service));
}
