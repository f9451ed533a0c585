import { randomUUID } from 'node:crypto';
import type {
  GetBucketLifecycleConfigurationCommandInput,
  GetBucketLifecycleConfigurationCommandOutput,
  LifecycleRule,
  PutBucketLifecycleConfigurationCommandInput,
  PutBucketLifecycleConfigurationCommandOutput,
} from '@aws-sdk/client-s3';
import type { S3Api } from '../aws/clients.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { noSuchBucket } from './s3-common.js';
import type { LifecycleRuleRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// S3 bucket lifecycle configuration, for the rule shapes claw writes: a Filter that is
// empty or holds a Prefix, and the actions Expiration {Days},
// NoncurrentVersionExpiration {NoncurrentDays} and AbortIncompleteMultipartUpload
// {DaysAfterInitiation}. Anything else (transitions, tag filters, dates) throws
// SandboxUnsupportedError. A put replaces the whole configuration, as on S3.

/** What S3 answers since September 2024 when the request does not set it. */
const TRANSITION_DEFAULT = 'all_storage_classes_128K';

function malformedXml() {
  return awsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400, {
    Code: 'MalformedXML',
  });
}

function invalidArgument(message: string) {
  return awsError('InvalidArgument', message, 400, { Code: 'InvalidArgument' });
}

function positiveDays(value: number | undefined, field: string, action: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw invalidArgument(`'${field}' for ${action} action must be a positive integer`);
  return value;
}

function toRecord(rule: LifecycleRule): LifecycleRuleRecord {
  const op = 'S3 PutBucketLifecycleConfiguration';
  rejectUnsupported(`${op} rule`, rule, ['ID', 'Status', 'Filter', 'Expiration', 'NoncurrentVersionExpiration', 'AbortIncompleteMultipartUpload']);
  // Without a Filter (and without the legacy top-level Prefix) S3 rejects the XML.
  if (!rule.Filter) throw malformedXml();
  rejectUnsupported(`${op} rule Filter`, rule.Filter, ['Prefix']);
  if (rule.Status !== 'Enabled' && rule.Status !== 'Disabled') throw malformedXml();
  const id = rule.ID ?? Buffer.from(randomUUID()).toString('base64').replace(/=+$/, '');
  if (id.length > 255) throw invalidArgument('ID length should not exceed allowed limit of 255');
  if (rule.Expiration) rejectUnsupported(`${op} rule Expiration`, rule.Expiration, ['Days']);
  if (rule.NoncurrentVersionExpiration) rejectUnsupported(`${op} rule NoncurrentVersionExpiration`, rule.NoncurrentVersionExpiration, ['NoncurrentDays']);
  if (rule.AbortIncompleteMultipartUpload) {
    rejectUnsupported(`${op} rule AbortIncompleteMultipartUpload`, rule.AbortIncompleteMultipartUpload, ['DaysAfterInitiation']);
  }
  const expirationDays = positiveDays(rule.Expiration?.Days, 'Days', 'Expiration');
  const noncurrentDays = positiveDays(rule.NoncurrentVersionExpiration?.NoncurrentDays, 'NoncurrentDays', 'NoncurrentVersionExpiration');
  const abortIncompleteDays = positiveDays(rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 'DaysAfterInitiation', 'AbortIncompleteMultipartUpload');
  if (expirationDays === undefined && noncurrentDays === undefined && abortIncompleteDays === undefined) {
    // An action element present but empty is as bad as none.
    throw awsError('InvalidRequest', 'At least one action needs to be specified in a rule', 400, { Code: 'InvalidRequest' });
  }
  return {
    id,
    status: rule.Status,
    prefix: rule.Filter.Prefix ?? null,
    ...(expirationDays !== undefined && { expirationDays }),
    ...(noncurrentDays !== undefined && { noncurrentDays }),
    ...(abortIncompleteDays !== undefined && { abortIncompleteDays }),
  };
}

function toRule(r: LifecycleRuleRecord): LifecycleRule {
  return {
    ID: r.id,
    Status: r.status,
    Filter: r.prefix === null ? {} : { Prefix: r.prefix },
    ...(r.expirationDays !== undefined && { Expiration: { Days: r.expirationDays } }),
    ...(r.noncurrentDays !== undefined && { NoncurrentVersionExpiration: { NoncurrentDays: r.noncurrentDays } }),
    ...(r.abortIncompleteDays !== undefined && { AbortIncompleteMultipartUpload: { DaysAfterInitiation: r.abortIncompleteDays } }),
  };
}

export function lifecycleOps(world: SandboxWorld): Pick<S3Api, 'getBucketLifecycleConfiguration' | 'putBucketLifecycleConfiguration'> {
  const bucketOf = (name: string | undefined) => {
    const bucket = world.state.buckets.find((b) => b.name === name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  };
  return {
    async getBucketLifecycleConfiguration(input: GetBucketLifecycleConfigurationCommandInput): Promise<GetBucketLifecycleConfigurationCommandOutput> {
      rejectUnsupported('S3 GetBucketLifecycleConfiguration', input, ['Bucket']);
      const bucket = bucketOf(input.Bucket);
      if (bucket.lifecycleRules === undefined) {
        throw awsError('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', 404, {
          Code: 'NoSuchLifecycleConfiguration',
          BucketName: bucket.name,
        });
      }
      return { $metadata: okMetadata(), Rules: bucket.lifecycleRules.map(toRule), TransitionDefaultMinimumObjectSize: TRANSITION_DEFAULT };
    },

    async putBucketLifecycleConfiguration(input: PutBucketLifecycleConfigurationCommandInput): Promise<PutBucketLifecycleConfigurationCommandOutput> {
      const op = 'S3 PutBucketLifecycleConfiguration';
      rejectUnsupported(op, input, ['Bucket', 'LifecycleConfiguration']);
      const bucket = bucketOf(input.Bucket);
      const config = input.LifecycleConfiguration;
      if (config) rejectUnsupported(`${op} LifecycleConfiguration`, config, ['Rules']);
      const rules = config?.Rules ?? [];
      // S3 wants 1..1000 rules; removing the configuration is DeleteBucketLifecycle.
      if (rules.length === 0 || rules.length > 1000) throw malformedXml();
      const records = rules.map(toRecord);
      const ids = records.map((r) => r.id);
      if (new Set(ids).size !== ids.length) throw invalidArgument('RuleId must be unique. Found same ID for more than one rule');
      bucket.lifecycleRules = records;
      await world.persist();
      return { $metadata: okMetadata(), TransitionDefaultMinimumObjectSize: TRANSITION_DEFAULT };
    },
  };
}
