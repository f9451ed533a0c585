// `claw ami build`, the pure half: names, keys, tags, the client token and the resume
// decision. The caller gathers what AWS already holds; this decides what is left to do.

export type ImageFormat = 'raw' | 'vhd' | 'vmdk';

export const IMAGE_PREFIX = 'clawdinator-nixos-';
export const SHA256_RE = /^[0-9a-f]{64}$/;
const STAMP_RE = /^\d{14}$/;

/** File extensions per format: nixos-generators names a raw image `nixos.img`. */
export const FORMAT_EXTENSIONS: Record<ImageFormat, readonly string[]> = { raw: ['img', 'raw'], vhd: ['vhd'], vmdk: ['vmdk'] };
const KEY_RE = /^clawdinator-nixos-(\d{14})\.(img|raw|vhd|vmdk)$/;

export const TAG = {
  name: 'Name',
  kind: 'artifact-kind',
  sourceKey: 'source-s3-key',
  gitSha: 'clawdinator:git-sha',
  flakeLock: 'clawdinator:flake-lock-sha256',
  imageSha: 'clawdinator:image-sha256',
  attempt: 'clawdinator:import-attempt',
} as const;

/** UTC `YYYYmmddHHMMSS`. */
export function formatStamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export const imageName = (stamp: string): string => `${IMAGE_PREFIX}${stamp}`;
export const objectKey = (stamp: string, ext: string): string => `${imageName(stamp)}.${ext}`;
export const snapshotName = (name: string): string => `${name}-root-snapshot`;

/** The stamp of a key claw uploaded (`clawdinator-nixos-<stamp>.<ext>`), else undefined. */
export function stampOfKey(key: string): string | undefined {
  return KEY_RE.exec(key)?.[1];
}

export function stampOfName(name: string | undefined): string | undefined {
  const stamp = name?.startsWith(IMAGE_PREFIX) ? name.slice(IMAGE_PREFIX.length) : undefined;
  return stamp !== undefined && STAMP_RE.test(stamp) ? stamp : undefined;
}

/** The format a file name's extension stands for, if any. */
export function formatOfFile(file: string): ImageFormat | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase();
  return (Object.keys(FORMAT_EXTENSIONS) as ImageFormat[]).find((f) => ext !== undefined && FORMAT_EXTENSIONS[f].includes(ext));
}

/** The key's extension: the file's own when it names the format, else the format's first. */
export function keyExtension(file: string, format: ImageFormat): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase();
  return ext !== undefined && FORMAT_EXTENSIONS[format].includes(ext) ? ext : FORMAT_EXTENSIONS[format][0]!;
}

export const diskFormat = (f: ImageFormat): 'RAW' | 'VHD' | 'VMDK' => (f === 'raw' ? 'RAW' : f === 'vhd' ? 'VHD' : 'VMDK');

/**
 * ImportSnapshot's idempotency token (≤ 64 ASCII chars): the image hash plus the
 * attempt, so a retry of the same attempt returns the same task, while a new attempt
 * after a failed task (which the token would otherwise return forever) starts afresh.
 */
export function clientToken(sha256: string, attempt: number): string {
  if (!SHA256_RE.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `claw-${sha256.slice(0, 48)}-${attempt}`;
}

export interface Provenance {
  sourceS3Key: string;
  imageSha256: string;
  gitSha?: string | undefined;
  flakeLockSha256?: string | undefined;
}

type Tags = Record<string, string>;

function provenanceTags(p: Provenance): Tags {
  return {
    [TAG.sourceKey]: p.sourceS3Key,
    ...(p.gitSha !== undefined && { [TAG.gitSha]: p.gitSha }),
    ...(p.flakeLockSha256 !== undefined && { [TAG.flakeLock]: p.flakeLockSha256 }),
    [TAG.imageSha]: p.imageSha256,
  };
}

export function amiTags(name: string, amiTag: { key: string; value: string }, p: Provenance): Tags {
  return { [TAG.name]: name, [amiTag.key]: amiTag.value, [TAG.kind]: 'ami', ...provenanceTags(p) };
}

export function snapshotTags(name: string, p: Provenance): Tags {
  return { [TAG.name]: snapshotName(name), [TAG.kind]: 'ami-root-snapshot', ...provenanceTags(p) };
}

/** On the import task: what a re-run searches for (image hash) and the attempt it was. */
export function importTaskTags(name: string, p: Provenance, attempt: number): Tags {
  return { [TAG.name]: name, [TAG.sourceKey]: p.sourceS3Key, [TAG.imageSha]: p.imageSha256, [TAG.attempt]: String(attempt) };
}

/**
 * Provenance of a resumed build: what the first run recorded wins (the image was made
 * from that key, at that commit), so a re-run from a later HEAD does not rewrite history.
 */
export function mergeProvenance(recorded: Tags, fresh: Provenance): Provenance {
  return {
    sourceS3Key: recorded[TAG.sourceKey] ?? fresh.sourceS3Key,
    imageSha256: fresh.imageSha256,
    gitSha: recorded[TAG.gitSha] ?? fresh.gitSha,
    flakeLockSha256: recorded[TAG.flakeLock] ?? fresh.flakeLockSha256,
  };
}

export type TaskPhase = 'active' | 'completed' | 'failed';

/** AWS reports `active` (with sub-steps), `completed`, or `deleting|deleted|error` on failure. */
export function taskPhase(status: string | undefined): TaskPhase {
  if (status === 'completed') return 'completed';
  if (status === 'deleting' || status === 'deleted' || status === 'error' || status === 'failed') return 'failed';
  return 'active';
}

export interface FoundImage {
  imageId: string;
  name: string | undefined;
  state: string | undefined;
  snapshotId: string | undefined;
  tags: Tags;
}

export interface FoundTask {
  taskId: string;
  status: string | undefined;
  statusMessage: string | undefined;
  snapshotId: string | undefined;
  /** For a completed task: whether its snapshot still exists (prune may have deleted it). */
  snapshotExists: boolean;
  tags: Tags;
}

export interface BuildState {
  sha256: string;
  /** The image file's name and format (for the key's extension). */
  file: string;
  format: ImageFormat;
  now: Date;
  image: FoundImage | undefined;
  /** Import tasks tagged with this image's hash, any state. */
  tasks: FoundTask[];
  /** An object in the bucket with this sha256 in its metadata. */
  objectKey: string | undefined;
}

export type UploadStep = { action: 'upload' } | { action: 'reuse'; key: string } | { action: 'not-needed' };
export type ImportStep =
  | { action: 'start'; attempt: number; clientToken: string }
  | { action: 'wait'; taskId: string }
  | { action: 'reuse'; taskId: string; snapshotId: string }
  | { action: 'not-needed' };
export type RegisterStep = { action: 'register' } | { action: 'reuse'; imageId: string };

export interface BuildPlan {
  sha256: string;
  name: string;
  sourceS3Key: string;
  upload: UploadStep;
  import: ImportStep;
  register: RegisterStep;
  /** Earlier tasks for this image that failed or whose snapshot is gone. */
  staleTasks: FoundTask[];
}

const attemptOf = (t: FoundTask): number => {
  const n = Number(t.tags[TAG.attempt]);
  return Number.isInteger(n) && n > 0 ? n : 1;
};

/**
 * What is left to do. The furthest step already reached wins: a registered image needs
 * only its tags; a usable import task needs no upload; a matching object needs no upload.
 * The name's stamp comes from whatever was found first, so key and AMI name stay paired.
 */
export function planBuild(s: BuildState): BuildPlan {
  const byNewest = [...s.tasks].sort((a, b) => attemptOf(b) - attemptOf(a));
  const usable = byNewest.find((t) => {
    const phase = taskPhase(t.status);
    return phase === 'active' || (phase === 'completed' && t.snapshotId !== undefined && t.snapshotExists);
  });
  const staleTasks = byNewest.filter((t) => t !== usable);
  const ext = keyExtension(s.file, s.format);
  const imageStamp = stampOfName(s.image?.name);
  const taskKey = usable?.tags[TAG.sourceKey];
  const sourceS3Key =
    s.image?.tags[TAG.sourceKey] ??
    (taskKey !== undefined && stampOfKey(taskKey) !== undefined ? taskKey : undefined) ??
    s.objectKey ??
    objectKey(imageStamp ?? formatStamp(s.now), ext);
  const name = s.image?.name ?? imageName(stampOfKey(sourceS3Key) ?? formatStamp(s.now));

  let upload: UploadStep;
  let imp: ImportStep;
  let register: RegisterStep = { action: 'register' };
  if (s.image) {
    upload = s.objectKey !== undefined ? { action: 'reuse', key: s.objectKey } : { action: 'not-needed' };
    imp = { action: 'not-needed' };
    register = { action: 'reuse', imageId: s.image.imageId };
  } else if (usable) {
    upload = { action: 'not-needed' };
    imp =
      taskPhase(usable.status) === 'completed'
        ? { action: 'reuse', taskId: usable.taskId, snapshotId: usable.snapshotId! }
        : { action: 'wait', taskId: usable.taskId };
  } else {
    upload = s.objectKey !== undefined ? { action: 'reuse', key: s.objectKey } : { action: 'upload' };
    const attempt = Math.max(0, ...s.tasks.map(attemptOf)) + 1;
    imp = { action: 'start', attempt, clientToken: clientToken(s.sha256, attempt) };
  }
  return { sha256: s.sha256, name, sourceS3Key, upload, import: imp, register, staleTasks };
}

/** One line per step, for the plan printed before (or instead of) running it. */
export function describePlan(p: BuildPlan, bucket: string): string[] {
  const url = `s3://${bucket}/${p.sourceS3Key}`;
  const upload =
    p.upload.action === 'upload'
      ? `upload: ${url}`
      : p.upload.action === 'reuse'
        ? `upload: skipped, s3://${bucket}/${p.upload.key} already holds this image (same sha256)`
        : 'upload: skipped, not needed (imported already)';
  const i = p.import;
  const imp =
    i.action === 'start'
      ? `import: ImportSnapshot from ${url} (attempt ${i.attempt})`
      : i.action === 'wait'
        ? `import: resume waiting for ${i.taskId}`
        : i.action === 'reuse'
          ? `import: skipped, ${i.taskId} already made ${i.snapshotId}`
          : 'import: skipped, the image is registered';
  const reg = p.register.action === 'reuse' ? `register: skipped, ${p.register.imageId} is registered` : `register: RegisterImage ${p.name}`;
  return [upload, imp, reg, `tag: ${p.name} and its root snapshot`];
}
