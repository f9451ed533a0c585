import type {
  DeleteSnapshotCommandInput,
  DeleteSnapshotCommandOutput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  Snapshot,
} from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { byId, checkMaxResults, cursorFrom, missingParameter, SNAPSHOT_ID_RE, snapshotMalformed, snapshotNotFound, tagList } from './ec2-common.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { compileFilters, type FilterSpec } from './filters.js';
import { encodeToken, pageAfter } from './paging.js';
import type { SandboxState, SnapshotRecord } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 DescribeSnapshots and DeleteSnapshot. The account sees its own snapshots (the
// sandbox has no public or shared ones). A snapshot that a registered AMI still uses
// cannot be deleted: AWS refuses with InvalidSnapshot.InUse, whichever AMI it is.

const snapshotFilters: FilterSpec<SnapshotRecord> = {
  fields: {
    'snapshot-id': (s) => [s.snapshotId],
    status: (s) => [s.state],
    'owner-id': (s) => [s.ownerId],
    'volume-size': (s) => [String(s.volumeSize)],
  },
  tags: (s) => s.tags,
};

/** Every snapshot in the sandbox was imported: AWS gives those the placeholder volume id. */
const IMPORTED_VOLUME_ID = 'vol-ffffffff';

function toSnapshot(s: SnapshotRecord): Snapshot {
  return {
    SnapshotId: s.snapshotId,
    VolumeId: IMPORTED_VOLUME_ID,
    State: s.state,
    StartTime: new Date(s.startTime),
    Progress: s.state === 'completed' ? '100%' : '0%',
    OwnerId: s.ownerId,
    ...(s.description !== undefined && { Description: s.description }),
    VolumeSize: s.volumeSize,
    Encrypted: false,
    StorageTier: 'standard',
    Tags: tagList(s.tags),
  };
}

function ownSnapshots(state: SandboxState): SnapshotRecord[] {
  return state.snapshots.filter((s) => s.ownerId === state.accountId);
}

export function snapshotOps(world: SandboxWorld): Pick<Ec2Api, 'describeSnapshots' | 'deleteSnapshot'> {
  return {
    async describeSnapshots(input: DescribeSnapshotsCommandInput = {}): Promise<DescribeSnapshotsCommandOutput> {
      const op = 'EC2 DescribeSnapshots';
      rejectUnsupported(op, input, ['Filters', 'OwnerIds', 'SnapshotIds', 'MaxResults', 'NextToken']);
      const { state } = world;
      const ids = input.SnapshotIds ?? [];
      if (ids.length > 0 && input.MaxResults !== undefined) {
        throw awsError('InvalidParameterCombination', 'The parameter SnapshotIds cannot be used with the parameter maxResults');
      }
      // "between 5 and 1,000; if MaxResults is given a value larger than 1,000, only 1,000 results are returned"
      const max = checkMaxResults(input.MaxResults, true);
      const { fp, after } = cursorFrom(op, input, input.NextToken);

      let candidates = ownSnapshots(state);
      if (ids.length > 0) {
        const malformed = ids.find((id) => !SNAPSHOT_ID_RE.test(id));
        if (malformed !== undefined) throw snapshotMalformed(malformed);
        const missing = ids.find((id) => !candidates.some((s) => s.snapshotId === id));
        if (missing !== undefined) throw snapshotNotFound(missing);
        candidates = candidates.filter((s) => ids.includes(s.snapshotId));
      }
      const owners = input.OwnerIds ?? [];
      if (owners.length > 0) {
        // `amazon` owns none of the sandbox's snapshots.
        const wanted = owners.map((o) => (o === 'self' ? state.accountId : o));
        candidates = candidates.filter((s) => wanted.includes(s.ownerId));
      }
      const matches = compileFilters(op, input.Filters, snapshotFilters);
      const sorted = candidates.filter(matches).sort(byId((s: SnapshotRecord) => s.snapshotId));
      const { page, next } = pageAfter(sorted, (s) => s.snapshotId, after, max);
      return {
        $metadata: okMetadata(),
        Snapshots: page.map(toSnapshot),
        ...(next !== undefined && { NextToken: encodeToken(op, fp, next) }),
      };
    },

    async deleteSnapshot(input: DeleteSnapshotCommandInput): Promise<DeleteSnapshotCommandOutput> {
      rejectUnsupported('EC2 DeleteSnapshot', input, ['SnapshotId']);
      const { state } = world;
      const id = input.SnapshotId;
      if (id === undefined || id === '') throw missingParameter('snapshotId');
      if (!SNAPSHOT_ID_RE.test(id)) throw snapshotMalformed(id);
      if (!ownSnapshots(state).some((s) => s.snapshotId === id)) throw snapshotNotFound(id);
      const user = state.images.find((i) => i.blockDeviceMappings.some((b) => b.snapshotId === id));
      if (user) throw awsError('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${user.imageId}`);
      state.snapshots = state.snapshots.filter((s) => s.snapshotId !== id);
      await world.persist();
      return { $metadata: okMetadata() };
    },
  };
}
