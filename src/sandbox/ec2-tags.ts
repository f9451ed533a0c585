import type { CreateTagsCommandInput, CreateTagsCommandOutput, DeleteTagsCommandInput, DeleteTagsCommandOutput } from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../aws/clients.js';
import { AMI_ID_RE, INSTANCE_ID_RE } from '../core/patterns.js';
import { checkTagLimit, checkTags, imageNotFound, instanceNotFound, missingParameter, RESOURCE_ID_RE, SNAPSHOT_ID_RE, snapshotNotFound } from './ec2-common.js';
import { visibleImages } from './ec2-images.js';
import { awsError, okMetadata, rejectUnsupported } from './errors.js';
import { SandboxUnsupportedError } from '../core/errors.js';
import type { SandboxState } from './state.js';
import type { SandboxWorld } from './world.js';

// EC2 CreateTags / DeleteTags on instances, images and snapshots. Every id is checked
// before anything changes: a malformed id is InvalidID, a missing resource the
// NotFound error of its kind. DeleteTags with a Value deletes only on a match (an
// empty Value matches only an empty value); without Tags it deletes every user tag.

type Tagged = { tags: Record<string, string> };

function resolve(state: SandboxState, id: string): Tagged {
  if (INSTANCE_ID_RE.test(id)) {
    const i = state.instances.find((x) => x.instanceId === id);
    if (!i) throw instanceNotFound(id);
    return i;
  }
  if (AMI_ID_RE.test(id)) {
    const i = visibleImages(state).find((x) => x.imageId === id);
    if (!i) throw imageNotFound(id);
    return i;
  }
  if (SNAPSHOT_ID_RE.test(id)) {
    const s = state.snapshots.find((x) => x.snapshotId === id && x.ownerId === state.accountId);
    if (!s) throw snapshotNotFound(id);
    return s;
  }
  if (RESOURCE_ID_RE.test(id)) throw new SandboxUnsupportedError(`EC2 tags: resource ${id} is not an instance, image or snapshot (not simulated)`);
  throw awsError('InvalidID', `The ID '${id}' is not valid`);
}

function resources(state: SandboxState, ids: string[] | undefined): Tagged[] {
  if (!ids || ids.length === 0) throw missingParameter('resourceIdSet');
  return ids.map((id) => resolve(state, id));
}

export function tagOps(world: SandboxWorld): Pick<Ec2Api, 'createTags' | 'deleteTags'> {
  return {
    async createTags(input: CreateTagsCommandInput): Promise<CreateTagsCommandOutput> {
      const op = 'EC2 CreateTags';
      rejectUnsupported(op, input, ['Resources', 'Tags']);
      const targets = resources(world.state, input.Resources);
      if (!input.Tags || input.Tags.length === 0) throw missingParameter('tagSet');
      for (const t of input.Tags) rejectUnsupported(`${op} Tag`, t, ['Key', 'Value']);
      const tags = checkTags(input.Tags, op);
      for (const t of targets) checkTagLimit(t.tags, tags);
      for (const t of targets) Object.assign(t.tags, tags);
      await world.persist();
      return { $metadata: okMetadata() };
    },

    async deleteTags(input: DeleteTagsCommandInput): Promise<DeleteTagsCommandOutput> {
      const op = 'EC2 DeleteTags';
      rejectUnsupported(op, input, ['Resources', 'Tags']);
      const targets = resources(world.state, input.Resources);
      if (input.Tags !== undefined && input.Tags.length === 0) {
        throw new SandboxUnsupportedError(`${op}: an empty Tags list (omit Tags to delete every user tag)`);
      }
      for (const t of input.Tags ?? []) {
        rejectUnsupported(`${op} Tag`, t, ['Key', 'Value']);
        if (t.Key === undefined) throw missingParameter('Tag.Key');
      }
      for (const target of targets) {
        for (const key of Object.keys(target.tags)) {
          // Without Tags: every user tag; AWS-generated (aws:) tags stay.
          const hit =
            input.Tags === undefined
              ? !key.startsWith('aws:')
              : input.Tags.some((t) => t.Key === key && (t.Value === undefined || t.Value === target.tags[key]));
          if (hit) delete target.tags[key];
        }
      }
      await world.persist();
      return { $metadata: okMetadata() };
    },
  };
}
