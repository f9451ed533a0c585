import { UPLOAD_PART_SIZE } from '../core/upload.js';
import { UsageError } from '../core/errors.js';
import type { SeedFixture, SeedImage } from './fixture.js';
import { syntheticEtag } from './ids.js';
import type { ImageRecord, ObjectRecord, SnapshotRecord } from './state.js';
import { ago, compactStamp } from './time.js';

// The seed's AMIs: each image, its root snapshot (defined by one image, possibly shared
// by others re-registered from the same import) and the uploaded disk image the
// snapshot was imported from, which goes into the images bucket.

const GIB = 1024 ** 3;
/** claw uploads images in 16 MiB parts (src/aws/sdk-clients.ts): their ETags show it. */

export const iso = (d: Date) => d.toISOString();

export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole);
}

function fillTags(tags: Record<string, string> | undefined, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [k, fill(v, vars)]));
}

export function seedError(file: string, message: string): UsageError {
  return new UsageError(`sandbox seed ${file}: ${message}`, 'fix the sandbox seed (fixtures/sandbox)');
}

export function unique(file: string, what: string, ids: string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw seedError(file, `duplicate ${what} ${id}`);
    seen.add(id);
  }
}

export interface SourceObject {
  bucket: string;
  object: ObjectRecord;
}

interface Resolved {
  entry: SeedImage;
  created: Date;
  vars: Record<string, string>;
  ownerId: string;
}

interface SnapshotDef extends Resolved {
  volumeSize: number;
  sourceKey: string | undefined;
}

function resolve(fx: SeedFixture, now: Date, e: SeedImage): Resolved {
  const created = ago(now, e.ago);
  const stamp = compactStamp(created);
  const name = fill(e.name, { stamp });
  return { entry: e, created, vars: { stamp, name }, ownerId: e.ownerId ?? fx.account.accountId };
}

/** The images that define a snapshot (with volumeSize), and their uploaded sources. */
function definitions(resolved: Resolved[]): { defs: Map<string, SnapshotDef>; sources: SourceObject[] } {
  const defs = new Map<string, SnapshotDef>();
  const sources: SourceObject[] = [];
  for (const r of resolved) {
    const { entry: e } = r;
    const snap = e.rootSnapshot;
    if (snap.volumeSize === undefined) {
      if (e.source || snap.tags) {
        throw seedError('ec2.json', `image ${e.imageId} shares snapshot ${snap.snapshotId}: its source and snapshot tags come from the image that defines it`);
      }
      continue;
    }
    if (defs.has(snap.snapshotId)) throw seedError('ec2.json', `duplicate snapshot id ${snap.snapshotId} (to share it, give only its snapshotId)`);
    let sourceKey: string | undefined;
    if (e.source) {
      sourceKey = fill(e.source.key, r.vars);
      if (Math.ceil(e.source.size / GIB) !== snap.volumeSize) {
        throw seedError(
          'ec2.json',
          `image ${e.imageId}: a source of ${e.source.size} bytes imports as a ${Math.ceil(e.source.size / GIB)} GiB snapshot, not ${snap.volumeSize}`,
        );
      }
      // Uploaded, then imported (7 min before registering), then registered.
      sources.push({
        bucket: e.source.bucket,
        object: {
          key: sourceKey,
          size: e.source.size,
          etag: syntheticEtag(sourceKey, e.source.size, UPLOAD_PART_SIZE),
          lastModified: iso(new Date(r.created.getTime() - 12 * 60_000)),
        },
      });
    }
    defs.set(snap.snapshotId, { ...r, volumeSize: snap.volumeSize, sourceKey });
  }
  return { defs, sources };
}

export function seedImages(fx: SeedFixture, now: Date): { images: ImageRecord[]; snapshots: SnapshotRecord[]; sources: SourceObject[] } {
  const resolved = fx.ec2.images.map((e) => resolve(fx, now, e));
  const { defs, sources } = definitions(resolved);
  const images = resolved.map((r): ImageRecord => {
    const { entry: e } = r;
    const def = defs.get(e.rootSnapshot.snapshotId);
    if (!def) throw seedError('ec2.json', `image ${e.imageId} shares snapshot ${e.rootSnapshot.snapshotId}, which no image defines`);
    if (def.ownerId !== r.ownerId) throw seedError('ec2.json', `image ${e.imageId} shares snapshot ${e.rootSnapshot.snapshotId} of another owner`);
    const vars = { ...r.vars, ...(def.sourceKey !== undefined && { sourceKey: def.sourceKey }) };
    const tags = fillTags(e.tags, vars);
    const unfilled = Object.entries(tags).find(([, v]) => /\{\w+\}/.test(v));
    if (unfilled) throw seedError('ec2.json', `image ${e.imageId}: tag ${unfilled[0]} uses a template with no value here (${unfilled[1]})`);
    return {
      imageId: e.imageId,
      ownerId: r.ownerId,
      ...(e.ownerAlias !== undefined && { ownerAlias: e.ownerAlias }),
      name: r.vars.name!,
      ...(e.description !== undefined && { description: fill(e.description, vars) }),
      state: e.state ?? 'available',
      creationDate: iso(r.created),
      public: e.public ?? false,
      architecture: e.architecture ?? 'x86_64',
      rootDeviceName: '/dev/xvda',
      bootMode: e.bootMode ?? 'legacy-bios',
      virtualizationType: 'hvm',
      enaSupport: true,
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', snapshotId: e.rootSnapshot.snapshotId, volumeSize: def.volumeSize, deleteOnTermination: true, volumeType: 'gp3' },
      ],
      tags,
    };
  });
  const snapshots = [...defs.entries()].map(([snapshotId, d]): SnapshotRecord => ({
    snapshotId,
    ownerId: d.ownerId,
    volumeSize: d.volumeSize,
    // The import finished a few minutes before the AMI was registered.
    startTime: iso(new Date(d.created.getTime() - 7 * 60_000)),
    state: 'completed',
    ...(d.sourceKey !== undefined && { description: `Created by AWS-VMImport service for import-snap-${snapshotId.slice(5)}` }),
    tags: fillTags(d.entry.rootSnapshot.tags, { ...d.vars, ...(d.sourceKey !== undefined && { sourceKey: d.sourceKey }) }),
  }));
  unique(
    'ec2.json',
    'image id',
    images.map((i) => i.imageId),
  );
  return { images, snapshots, sources };
}
