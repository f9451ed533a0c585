// `claw ami build` against AWS: find what an earlier run already did (object, import
// task, image), then do the rest: upload, import, register, tag, and the after-build hook.
import type { Image } from '@aws-sdk/client-ec2';
import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { open } from 'node:fs/promises';
import {
  amiTags,
  IMAGE_PREFIX,
  mergeProvenance,
  snapshotTags,
  stampOfKey,
  TAG,
  taskPhase,
  type BuildPlan,
  type BuildState,
  type FoundImage,
  type ImageFormat,
  type Provenance,
} from '../core/ami-build.js';
import { RemoteError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Ec2Api, S3Api } from './clients.js';
import { findImportTasks, startImport, waitForImport, type ImportTarget, type PollOptions, type Sleep } from './ami-import.js';
import { tagMap } from './instances.js';

export interface AmiBuildTarget extends ImportTarget {
  amiTag: { key: string; value: string };
  bootMode: 'legacy-bios' | 'uefi';
  architecture: 'x86_64' | 'arm64';
}

/** The image on this machine, hashed, with the provenance of the checkout it came from. */
export interface LocalImage {
  path: string;
  format: ImageFormat;
  size: number;
  sha256: string;
  gitSha?: string | undefined;
  flakeLockSha256?: string | undefined;
}

export interface AmiBuildDeps {
  ec2: Ec2Api;
  s3: S3Api;
  events: EventSink;
  now: () => Date;
  signal?: AbortSignal | undefined;
  /** Injected in tests so polling does not wait for real. */
  sleep?: Sleep | undefined;
  poll?: Partial<PollOptions> | undefined;
  /** Runs after a successful build (e.g. a prune with --prune-keep). */
  afterBuild?: ((imageId: string) => Promise<void>) | undefined;
}

export interface AmiBuildResult {
  imageId: string;
  name: string;
  sourceS3Key: string;
  snapshotId: string;
  importTaskId: string | null;
  sha256: string;
  /** What an earlier run had already done. */
  reused: { object: boolean; importTask: boolean; image: boolean };
}

const USABLE_STATES = new Set(['available', 'pending']);

function toFoundImage(img: Image): FoundImage | undefined {
  if (!img.ImageId || !USABLE_STATES.has(img.State ?? '')) return undefined;
  const maps = img.BlockDeviceMappings ?? [];
  const root = maps.find((m) => m.DeviceName === img.RootDeviceName) ?? maps[0];
  return { imageId: img.ImageId, name: img.Name, state: img.State, snapshotId: root?.Ebs?.SnapshotId, tags: tagMap(img.Tags) };
}

async function findImage(ec2: Ec2Api, filter: { Name: string; Values: string[] }, sha256: string): Promise<FoundImage | undefined> {
  if (filter.Values.length === 0) return undefined;
  const out = await ec2.describeImages({ Owners: ['self'], Filters: [filter] });
  // An image by that name but made from another image file is not ours to resume.
  return (out.Images ?? []).map(toFoundImage).find((i) => i !== undefined && (i.tags[TAG.imageSha] === undefined || i.tags[TAG.imageSha] === sha256));
}

/** An object claw uploaded with this hash: same size first (cheap), then its metadata. */
async function findObject(s3: S3Api, bucket: string, size: number, sha256: string): Promise<string | undefined> {
  const candidates: { key: string; modified: number }[] = [];
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await s3.listObjectsV2({ Bucket: bucket, Prefix: IMAGE_PREFIX, ...(token && { ContinuationToken: token }) });
    } catch (err) {
      if ((err as Error).name === 'NoSuchBucket')
        throw new RemoteError(`the images bucket ${bucket} does not exist`, 'create it, or set imagesBucket (see claw config)', { cause: err });
      throw err;
    }
    for (const o of page.Contents ?? []) {
      if (o.Key && o.Size === size && stampOfKey(o.Key)) candidates.push({ key: o.Key, modified: o.LastModified ? new Date(o.LastModified).getTime() : 0 });
    }
    const next = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (next !== undefined && next === token) throw new RemoteError('ListObjectsV2: the continuation token repeated; refusing to loop');
    token = next;
  } while (token);
  for (const c of candidates.sort((a, b) => b.modified - a.modified)) {
    const head = await s3.headObject({ Bucket: bucket, Key: c.key });
    if (head.Metadata?.sha256 === sha256) return c.key;
  }
  return undefined;
}

/** What AWS already holds for this image, as the input of planBuild. */
export async function inspectBuild(deps: AmiBuildDeps, target: AmiBuildTarget, image: LocalImage): Promise<BuildState> {
  const { ec2, s3 } = deps;
  const sha = image.sha256;
  const [tagged, objectKey, tasks] = await Promise.all([
    findImage(ec2, { Name: `tag:${TAG.imageSha}`, Values: [sha] }, sha),
    findObject(s3, target.bucket, image.size, sha),
    findImportTasks(ec2, sha),
  ]);
  // An image registered without tags (by hand, or a RegisterImage without them) has only its name.
  const names = [objectKey, ...tasks.map((t) => t.tags[TAG.sourceKey])]
    .map((k) => (k !== undefined ? stampOfKey(k) : undefined))
    .filter((s): s is string => s !== undefined)
    .map((s) => `${IMAGE_PREFIX}${s}`);
  const found = tagged ?? (await findImage(ec2, { Name: 'name', Values: [...new Set(names)] }, sha));
  return { sha256: sha, file: image.path, format: image.format, now: deps.now(), image: found, tasks, objectKey };
}

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

async function step<T>(events: EventSink, name: string, detail: string, body: () => Promise<T>, done?: (r: T) => string): Promise<T> {
  events.emit({ type: 'step-started', step: name, detail });
  try {
    const r = await body();
    events.emit({ type: 'step-finished', step: name, outcome: 'ok', ...(done && { detail: done(r) }) });
    return r;
  } catch (err) {
    events.emit({ type: 'step-finished', step: name, outcome: 'failed', detail: (err as Error).message.split('\n')[0] ?? '' });
    throw err;
  }
}

/** Carry out a plan from planBuild: each step either runs or is reported as skipped. */
export async function executeBuild(deps: AmiBuildDeps, target: AmiBuildTarget, image: LocalImage, plan: BuildPlan, state: BuildState): Promise<AmiBuildResult> {
  const { ec2, s3, events } = deps;
  const skip = (name: string, detail: string) => events.emit({ type: 'step-finished', step: name, outcome: 'skipped', detail });
  const fresh: Provenance = { sourceS3Key: plan.sourceS3Key, imageSha256: image.sha256, gitSha: image.gitSha, flakeLockSha256: image.flakeLockSha256 };
  const prov = state.image ? mergeProvenance(state.image.tags, fresh) : fresh;
  for (const t of plan.staleTasks) {
    if (taskPhase(t.status) === 'failed')
      events.emit({ type: 'warning', message: `an earlier import ${t.taskId} ended ${t.status}: ${t.statusMessage ?? 'no message'}` });
  }

  if (plan.upload.action === 'upload') {
    await step(events, 'upload', `s3://${target.bucket}/${plan.sourceS3Key}`, async () => {
      // Opened here, not lazily by the stream: an open error surfaces as this step's failure.
      const file = await open(image.path, 'r');
      const body = file.createReadStream({ autoClose: false });
      try {
        await s3.upload({
          Bucket: target.bucket,
          Key: plan.sourceS3Key,
          Body: body,
          ContentLength: image.size,
          Metadata: { sha256: image.sha256 },
          onProgress: (loaded) => events.emit({ type: 'progress', step: 'upload', done: loaded, total: image.size, unit: 'bytes' }),
        });
      } finally {
        body.destroy();
        await file.close();
      }
    });
  } else skip('upload', plan.upload.action === 'reuse' ? `s3://${target.bucket}/${plan.upload.key} has this image` : 'not needed');

  const imp = plan.import;
  let importTaskId: string | null = imp.action === 'wait' || imp.action === 'reuse' ? imp.taskId : null;
  let snapshotId: string;
  if (imp.action === 'start' || imp.action === 'wait') {
    const waitFor = { ...target, key: plan.sourceS3Key, format: image.format };
    const detail = imp.action === 'start' ? `ImportSnapshot from s3://${target.bucket}/${plan.sourceS3Key}, attempt ${imp.attempt}` : `resuming ${imp.taskId}`;
    snapshotId = await step(
      events,
      'import',
      detail,
      async () => {
        const taskId =
          imp.action === 'wait'
            ? imp.taskId
            : await startImport(ec2, target, { name: plan.name, format: image.format, provenance: prov, attempt: imp.attempt, clientToken: imp.clientToken });
        importTaskId = taskId;
        return waitForImport(ec2, taskId, waitFor, deps);
      },
      (id) => `${importTaskId} made ${id}`,
    );
  } else if (imp.action === 'reuse') {
    snapshotId = imp.snapshotId;
    skip('import', `${imp.taskId} made ${snapshotId}`);
  } else {
    const id = state.image?.snapshotId;
    if (!id) throw new RemoteError(`image ${state.image?.imageId ?? '?'} has no root snapshot`);
    snapshotId = id;
    importTaskId = state.tasks.find((t) => t.snapshotId === id)?.taskId ?? null;
    skip('import', 'the image is registered');
  }

  let imageId: string;
  if (plan.register.action === 'register') {
    imageId = await step(
      events,
      'register',
      plan.name,
      async () => {
        const out = await ec2.registerImage({
          Name: plan.name,
          Description: `clawdinator NixOS (sha256 ${image.sha256.slice(0, 12)})`,
          Architecture: target.architecture,
          BootMode: target.bootMode,
          VirtualizationType: 'hvm',
          EnaSupport: true,
          RootDeviceName: '/dev/xvda',
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, DeleteOnTermination: true, VolumeType: 'gp3' } }],
          // Tagged as it is created: an interrupted build never leaves an AMI prune cannot see.
          TagSpecifications: [{ ResourceType: 'image', Tags: tagList(amiTags(plan.name, target.amiTag, prov)) }],
        });
        if (!out.ImageId) throw new RemoteError('RegisterImage returned no ImageId');
        return out.ImageId;
      },
      (id) => id,
    );
  } else {
    imageId = plan.register.imageId;
    skip('register', imageId);
  }

  await step(events, 'tag', `${imageId} and ${snapshotId}`, async () => {
    await ec2.createTags({ Resources: [imageId], Tags: tagList(amiTags(plan.name, target.amiTag, prov)) });
    await ec2.createTags({ Resources: [snapshotId], Tags: tagList(snapshotTags(plan.name, prov)) });
  });

  if (deps.afterBuild) {
    try {
      await deps.afterBuild(imageId);
    } catch (err) {
      events.emit({ type: 'warning', message: `${imageId} (${plan.name}) is built and tagged; what ran after the build failed` });
      throw err;
    }
  }
  return {
    imageId,
    name: plan.name,
    sourceS3Key: prov.sourceS3Key,
    snapshotId,
    importTaskId,
    sha256: image.sha256,
    reused: { object: plan.upload.action !== 'upload', importTask: imp.action !== 'start', image: plan.register.action === 'reuse' },
  };
}
