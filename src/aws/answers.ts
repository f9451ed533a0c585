import { RemoteError } from '../core/errors.js';
import type { AwsClients, ServiceName } from './clients.js';

// An answer is read only when it is one: HTTP 200 with an empty or foreign body (an
// intercepting proxy, a captive portal, a wrong --endpoint-url) parses to an object with
// no fields, which would read as "no instances", "no images", "no objects". AWS always
// sends each call's result field (an empty list included) and a request id; without
// them the answer is an error, and nothing is decided from it.

/** The result field each call's answer always carries on AWS, even when there is nothing to list. */
const RESULT_FIELDS: Record<string, readonly string[]> = {
  'ec2.DescribeInstances': ['Reservations'],
  'ec2.DescribeImages': ['Images'],
  'ec2.DescribeSnapshots': ['Snapshots'],
  'ec2.ImportSnapshot': ['ImportTaskId'],
  'ec2.DescribeImportSnapshotTasks': ['ImportSnapshotTasks'],
  'ec2.RegisterImage': ['ImageId'],
  'ec2.DescribeInstanceTypes': ['InstanceTypes'],
  'ec2.DescribeSpotPriceHistory': ['SpotPriceHistory'],
  's3.ListObjectsV2': ['IsTruncated'],
  's3.GetObject': ['Body'],
  's3.PutObject': ['ETag'],
  's3.CopyObject': ['CopyObjectResult'],
  's3.CreateMultipartUpload': ['UploadId'],
  's3.UploadPartCopy': ['CopyPartResult'],
  's3.GetBucketLifecycleConfiguration': ['Rules'],
  'ssm.DescribeInstanceInformation': ['InstanceInformationList'],
  'ssm.SendCommand': ['Command'],
  'ssm.GetCommandInvocation': ['Status'],
  'ssm.ListCommandInvocations': ['CommandInvocations'],
  'sts.GetCallerIdentity': ['Account'],
  'cloudformation.ListStacks': ['StackSummaries'],
  'cloudformation.DescribeStackEvents': ['StackEvents'],
  'cloudformation.ListExports': ['Exports'],
  'cloudformation.ListImports': ['Imports'],
};

/** Calls that are not one AWS answer (lib-storage's upload runs several and answers only the ETag). */
const NOT_AN_ANSWER = new Set(['s3.Upload']);

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What is missing from an answer that AWS would always include: [] when it is whole. */
export function missingFromAnswer(service: ServiceName, operation: string, out: unknown): string[] {
  const o = (out ?? {}) as Record<string, unknown> & { $metadata?: { requestId?: string } };
  const missing = (RESULT_FIELDS[`${service}.${operation}`] ?? []).filter((k) => o[k] === undefined);
  if (!o.$metadata?.requestId) missing.push('a request id');
  return missing;
}

/**
 * Every call's answer checked before anyone reads it; `where(service)` names the
 * endpoint (redacted) for the error.
 */
export function checkAnswers(clients: AwsClients, where: (service: ServiceName) => string): AwsClients {
  const wrap = <T extends object>(service: ServiceName, api: T): T =>
    new Proxy(api, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        const operation = pascal(prop);
        if (NOT_AN_ANSWER.has(`${service}.${operation}`)) return value;
        return async (...args: unknown[]) => {
          const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          const missing = missingFromAnswer(service, operation, out);
          if (missing.length) {
            throw new RemoteError(
              `${service} ${operation} at ${where(service)} answered without ${missing.join(' and ')}: that is not an AWS answer, and claw will not read it as "nothing there"`,
              'an intercepting proxy, a captive portal or a wrong endpoint answered: check --endpoint-url / AWS_ENDPOINT_URL and any HTTPS_PROXY',
            );
          }
          return out;
        };
      },
    });
  return {
    ec2: wrap('ec2', clients.ec2),
    s3: wrap('s3', clients.s3),
    ssm: wrap('ssm', clients.ssm),
    sts: wrap('sts', clients.sts),
    cloudformation: wrap('cloudformation', clients.cloudformation),
  };
}
