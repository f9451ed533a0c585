import type {
  DescribeImportSnapshotTasksCommandInput,
  DescribeImportSnapshotTasksCommandOutput,
  ImportSnapshotCommandInput,
  ImportSnapshotCommandOutput,
  ImportSnapshotTask,
  TagSpecification,
} from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { byId, checkTags, cursorFrom, IMPORT_TASK_ID_RE, missingParameter, tagList } from './ec2-common.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import { compileFilters, type FilterSpec } from './filters.js';
import { newId } from './ids.js';
import { encodeToken, pageAfter } from './paging.js';
import { IMPORT_FORMATS, type ImportFailure, type ImportTaskRecord, type SandboxState } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 ImportSnapshot (VM Import of a disk image from S3) and DescribeImportSnapshotTasks.
// A task advances one step each time a describe call returns it: active with Progress
// 10, 50, 90, then completed with a new snapshot (the object's size rounded up to GiB).
// A task whose object is missing, or that SandboxAdmin.failNextImport marked, ends in
// `deleted` (or `error`) with a StatusMessage instead, on its second describe. (AWS
// passes through `deleting` first; the sandbox goes straight to the end state.) Same
// ClientToken, same task: a retried ImportSnapshot never starts a second import.

const OP = 'EC2 ImportSnapshot';
const GIB = 1024 ** 3;
const STEPS = [
  { progress: '10', message: 'pending' },
  { progress: '50', message: 'downloading/converting' },
  { progress: '90', message: 'converting' },
] as const;
/** The describe call on which a doomed task reports its failure. */
const FAIL_AT_STEP = 2;

export const MISSING_OBJECT_MESSAGE = 'ClientError: Disk validation failed [We do not have access to the given resource. Reason 403 Forbidden]';
export const DEFAULT_FAILURE_MESSAGE = 'ClientError: Disk validation failed [Unsupported specified file format]';

const taskFilters: FilterSpec<ImportTaskRecord> = { fields: {}, tags: (t) => t.tags };

function taskTags(specs: TagSpecification[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of specs ?? []) {
    rejectUnsupported(`${OP} TagSpecification`, spec, ['ResourceType', 'Tags']);
    if (spec.ResourceType !== 'import-snapshot-task') {
      throw awsError('InvalidParameterValue', `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`);
    }
    Object.assign(tags, checkTags(spec.Tags ?? [], OP));
  }
  return tags;
}

function toTask(t: ImportTaskRecord): ImportSnapshotTask {
  return {
    ImportTaskId: t.importTaskId,
    ...(t.description !== undefined && { Description: t.description }),
    SnapshotTaskDetail: {
      ...(t.diskDescription !== undefined && { Description: t.diskDescription }),
      // AWS learns the size once it starts downloading the image.
      DiskImageSize: t.step >= 2 || t.status === 'completed' ? t.diskImageSize : 0,
      Format: t.format,
      ...(t.progress !== undefined && { Progress: t.progress }),
      ...(t.snapshotId !== undefined && { SnapshotId: t.snapshotId }),
      Status: t.status,
      ...(t.statusMessage !== undefined && { StatusMessage: t.statusMessage }),
      UserBucket: { S3Bucket: t.s3Bucket, S3Key: t.s3Key },
    },
    Tags: tagList(t.tags),
  };
}

function advance(state: SandboxState, t: ImportTaskRecord, now: Date): void {
  if (t.status !== 'active') return;
  t.step += 1;
  if (t.failure && t.step >= FAIL_AT_STEP) {
    t.status = t.failure.status;
    t.statusMessage = t.failure.message;
    delete t.progress;
    return;
  }
  const step = STEPS[t.step - 1];
  if (step) {
    t.progress = step.progress;
    t.statusMessage = step.message;
    return;
  }
  const snapshotId = newId('snap');
  state.snapshots.push({
    snapshotId,
    ownerId: state.accountId,
    volumeSize: Math.max(1, Math.ceil(t.diskImageSize / GIB)),
    startTime: now.toISOString(),
    state: 'completed',
    description: `Created by AWS-VMImport service for ${t.importTaskId}`,
    tags: {},
  });
  t.status = 'completed';
  t.snapshotId = snapshotId;
  delete t.progress;
  delete t.statusMessage;
}

function sameRequest(t: ImportTaskRecord, n: Omit<ImportTaskRecord, 'importTaskId' | 'step' | 'status' | 'diskImageSize' | 'createdAt' | 'tags'>): boolean {
  return (
    t.format === n.format &&
    t.s3Bucket === n.s3Bucket &&
    t.s3Key === n.s3Key &&
    t.roleName === n.roleName &&
    t.description === n.description &&
    t.diskDescription === n.diskDescription
  );
}

export function importOps(world: SandboxWorld): Pick<Ec2Api, 'importSnapshot' | 'describeImportSnapshotTasks'> {
  return {
    async importSnapshot(input: ImportSnapshotCommandInput): Promise<ImportSnapshotCommandOutput> {
      rejectUnsupported(OP, input, ['ClientToken', 'Description', 'DiskContainer', 'RoleName', 'TagSpecifications']);
      const { state } = world;
      const disk = input.DiskContainer;
      if (!disk) throw missingParameter('DiskContainer');
      rejectUnsupported(`${OP} DiskContainer`, disk, ['Description', 'Format', 'UserBucket']);
      if (disk.Format === undefined) throw new SandboxUnsupportedError(`${OP}: a DiskContainer without Format (AWS guesses it) is not simulated`);
      const format = disk.Format.toUpperCase();
      if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
        throw awsError('InvalidParameterValue', `Invalid value '${disk.Format}' for format. Valid values: ${IMPORT_FORMATS.join(', ')}`);
      }
      const bucket = disk.UserBucket?.S3Bucket;
      const key = disk.UserBucket?.S3Key;
      if (!bucket) throw missingParameter('DiskContainer.UserBucket.S3Bucket');
      if (!key) throw missingParameter('DiskContainer.UserBucket.S3Key');
      const request = {
        format: format as ImportTaskRecord['format'],
        s3Bucket: bucket,
        s3Key: key,
        roleName: input.RoleName ?? 'vmimport',
        ...(input.ClientToken !== undefined && { clientToken: input.ClientToken }),
        ...(input.Description !== undefined && { description: input.Description }),
        ...(disk.Description !== undefined && { diskDescription: disk.Description }),
      };

      if (input.ClientToken !== undefined) {
        const earlier = state.importTasks.find((t) => t.clientToken === input.ClientToken);
        if (earlier && !sameRequest(earlier, request)) {
          throw awsError('IdempotentParameterMismatch', `Client token ${input.ClientToken} was already used with different parameters`);
        }
        if (earlier) return { $metadata: okMetadata(), ...toTask(earlier) };
      }
      if (!state.iamRoles.includes(request.roleName)) {
        throw awsError('InvalidParameter', `The service role ${request.roleName} provided does not exist or does not have sufficient permissions`);
      }
      const b = state.buckets.find((x) => x.name === bucket);
      if (!b) throw awsError('InvalidParameter', `S3 bucket does not exist: s3://${bucket}/`);
      const object = b.objects.find((o) => o.key === key);
      const tags = taskTags(input.TagSpecifications);
      const failure: ImportFailure | undefined = state.importFailures.shift() ?? (object ? undefined : { status: 'deleted', message: MISSING_OBJECT_MESSAGE });
      const task: ImportTaskRecord = {
        importTaskId: newId('import-snap'),
        ...request,
        step: 0,
        status: 'active',
        progress: '0',
        statusMessage: 'pending',
        diskImageSize: object?.size ?? 0,
        ...(failure !== undefined && { failure }),
        createdAt: world.now().toISOString(),
        tags,
      };
      state.importTasks.push(task);
      await world.persist();
      return { $metadata: okMetadata(), ...toTask(task) };
    },

    async describeImportSnapshotTasks(input: DescribeImportSnapshotTasksCommandInput = {}): Promise<DescribeImportSnapshotTasksCommandOutput> {
      const op = 'EC2 DescribeImportSnapshotTasks';
      rejectUnsupported(op, input, ['ImportTaskIds', 'Filters', 'MaxResults', 'NextToken']);
      const { state } = world;
      const max = input.MaxResults;
      if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
        throw awsError('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value greater than 0.`);
      }
      const { fp, after } = cursorFrom(op, input, input.NextToken);
      let candidates = state.importTasks;
      const ids = input.ImportTaskIds ?? [];
      if (ids.length > 0) {
        const malformed = ids.find((id) => !IMPORT_TASK_ID_RE.test(id));
        if (malformed !== undefined) throw awsError('InvalidConversionTaskId.Malformed', `The import task ID '${malformed}' is malformed`);
        const missing = ids.find((id) => !candidates.some((t) => t.importTaskId === id));
        if (missing !== undefined) throw awsError('InvalidConversionTaskId', `The import task ID '${missing}' does not exist`);
        candidates = candidates.filter((t) => ids.includes(t.importTaskId));
      }
      const matches = compileFilters(op, input.Filters, taskFilters);
      const sorted = candidates.filter(matches).sort(byId((t: ImportTaskRecord) => t.importTaskId));
      const { page, next } = pageAfter(sorted, (t) => t.importTaskId, after, max);
      const now = world.now();
      for (const t of page) advance(state, t, now);
      if (page.length > 0) await world.persist();
      return {
        $metadata: okMetadata(),
        ImportSnapshotTasks: page.map(toTask),
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },
  };
}
