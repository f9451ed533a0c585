import type { SeedFixture, SeedHost, SeedSeries } from './fixture.js';
import { defaultHost } from './host.js';
import { etagOf, syntheticEtag } from './ids.js';
import { generatedEtag } from './s3-content.js';
import { seedStacks } from './seed-cloudformation.js';
import { fill, iso, seedError, seedImages, type SourceObject, unique } from './seed-images.js';
import type { BucketRecord, InstanceRecord, ObjectRecord, SandboxState } from './state.js';
import type { HostRecord } from './state-ssm.js';
import { STATE_VERSION } from './state.js';
import { ago, alignDown, parseDuration, snapshotStamp } from './time.js';

// Turns the fixture into state: every relative time is resolved against `now`, the
// templates ({stamp}, {name}) are filled in, and the references are checked.

function seedInstances(fx: SeedFixture, now: Date, imageIds: Set<string>): InstanceRecord[] {
  const instances = fx.ec2.instances.map((e): InstanceRecord => {
    if (!imageIds.has(e.imageId)) throw seedError('ec2.json', `instance ${e.instanceId} runs unknown image ${e.imageId}`);
    return {
      instanceId: e.instanceId,
      reservationId: `r-${e.instanceId.slice(2)}`,
      imageId: e.imageId,
      instanceType: e.instanceType,
      state: e.state,
      availabilityZone: e.availabilityZone,
      launchTime: iso(ago(now, e.ago)),
      ...(e.privateIpAddress !== undefined && { privateIpAddress: e.privateIpAddress }),
      ...(e.publicIpAddress !== undefined && { publicIpAddress: e.publicIpAddress }),
      tags: { ...e.tags },
    };
  });
  unique(
    'ec2.json',
    'instance id',
    instances.map((i) => i.instanceId),
  );
  return instances;
}

type ContentEntry = { body?: string | undefined; size?: number | undefined; generated?: number | undefined; contentType?: string | undefined };

/** A seed object: a stored body, generated content (seeded by its key, ETag its MD5), or size only. */
function objectOf(key: string, when: Date, c: ContentEntry): ObjectRecord {
  const base = { key, lastModified: iso(when), ...(c.contentType !== undefined && { contentType: c.contentType }) };
  if (c.body !== undefined) {
    const bytes = Buffer.from(c.body, 'utf8');
    return { ...base, size: bytes.length, etag: etagOf(bytes), bodyBase64: bytes.toString('base64') };
  }
  if (c.generated !== undefined) {
    return { ...base, size: c.generated, etag: generatedEtag(key, 0, c.generated), generated: { seed: key } };
  }
  const size = c.size ?? 0;
  return { ...base, size, etag: syntheticEtag(key, size) };
}

function seriesObjects(series: SeedSeries, now: Date): ObjectRecord[] {
  const every = parseDuration(series.every);
  const base = alignDown(now, series.align).getTime();
  const out: ObjectRecord[] = [];
  for (let k = 0; k < series.count; k++) {
    const when = new Date(base - ((series.skip ?? 0) + k) * every);
    const prefix = fill(series.prefix, { stamp: snapshotStamp(when) });
    for (const f of series.files) out.push(objectOf(prefix + f.name, when, f));
  }
  return out;
}

function seedBuckets(fx: SeedFixture, now: Date, sources: SourceObject[]): BucketRecord[] {
  const buckets = fx.s3.buckets.map((b): BucketRecord => {
    const byKey = new Map<string, ObjectRecord>();
    for (const o of b.objects ?? []) {
      if (byKey.has(o.key)) throw seedError('s3.json', `duplicate key ${o.key} in bucket ${b.name}`);
      byKey.set(o.key, objectOf(o.key, ago(now, o.ago), o));
    }
    // Series may overlap (today's 00:00 is both hourly and daily): the first one wins.
    for (const s of b.series ?? []) for (const o of seriesObjects(s, now)) if (!byKey.has(o.key)) byKey.set(o.key, o);
    // The AMIs' uploaded disk images (images sharing a snapshot share its one object).
    for (const src of sources.filter((x) => x.bucket === b.name)) {
      if (byKey.has(src.object.key)) throw seedError('ec2.json', `source object ${src.object.key} collides with another object in bucket ${b.name}`);
      byKey.set(src.object.key, src.object);
    }
    return { name: b.name, region: fx.account.region, creationDate: iso(ago(now, b.ago)), objects: [...byKey.values()] };
  });
  unique(
    's3.json',
    'bucket',
    buckets.map((b) => b.name),
  );
  const orphan = sources.find((src) => !buckets.some((b) => b.name === src.bucket));
  if (orphan) throw seedError('ec2.json', `source object ${orphan.object.key} goes into bucket ${orphan.bucket}, which s3.json does not define`);
  return buckets;
}

function seedHost(id: string, h: SeedHost, fx: SeedFixture, file = 'ssm.json'): HostRecord {
  checkBucket(h.backupBucket, `host ${id}`, fx, file);
  return {
    ...defaultHost(id),
    currentRev: h.currentRev ?? null,
    ...(h.backupBucket !== undefined && { backupBucket: h.backupBucket }),
    ...(h.workspace !== undefined && { workspace: h.workspace }),
    ...(h.secretFiles !== undefined && { secretFiles: h.secretFiles }),
  };
}

function checkBucket(bucket: string | undefined, who: string, fx: SeedFixture, file: string): void {
  if (bucket !== undefined && !fx.s3.buckets.some((b) => b.name === bucket)) {
    throw seedError(file, `${who} backs up to bucket ${bucket}, which s3.json does not define`);
  }
}

export function seedState(fx: SeedFixture, now: Date): SandboxState {
  const { images, snapshots, sources } = seedImages(fx, now);
  const instances = seedInstances(fx, now, new Set(images.map((i) => i.imageId)));
  const instanceIds = new Set(instances.map((i) => i.instanceId));
  const managedInstances = fx.ssm.managedInstances.map((m) => {
    if (!instanceIds.has(m.instanceId)) throw seedError('ssm.json', `managed instance ${m.instanceId} is not an instance in ec2.json`);
    return {
      instanceId: m.instanceId,
      pingStatus: m.pingStatus,
      lastPingDateTime: iso(ago(now, m.ago)),
      agentVersion: m.agentVersion,
      isLatestVersion: m.isLatestVersion ?? true,
      platformType: 'Linux',
      platformName: m.platformName,
      platformVersion: m.platformVersion,
      computerName: m.computerName,
      ...(m.ipAddress !== undefined && { ipAddress: m.ipAddress }),
    };
  });
  unique(
    'ssm.json',
    'managed instance',
    managedInstances.map((m) => m.instanceId),
  );
  const hosts = fx.ssm.managedInstances.flatMap((m) => (m.host ? [seedHost(m.instanceId, m.host, fx)] : []));
  const hostProfiles = fx.ssm.profiles ?? {};
  for (const [name, p] of Object.entries(hostProfiles)) checkBucket(p.backupBucket, `profile ${name}`, fx, 'ssm.json');
  unique(
    'ssh.json',
    'host',
    fx.ssh.hosts.map((h) => h.name),
  );
  const sshHosts = fx.ssh.hosts.map((h) => ({ name: h.name, host: seedHost(h.name, h.host, fx, 'ssh.json') }));
  const spotPrices = fx.spot.spotPrices.flatMap((s) =>
    s.points.map((p) => ({
      instanceType: s.instanceType,
      availabilityZone: s.availabilityZone,
      productDescription: s.productDescription,
      spotPrice: p.price,
      timestamp: iso(ago(now, p.ago)),
    })),
  );
  return {
    version: STATE_VERSION,
    accountId: fx.account.accountId,
    region: fx.account.region,
    seededAt: iso(now),
    instances,
    images,
    snapshots,
    deregisteredImages: [],
    importTasks: [],
    importFailures: [],
    iamRoles: ['vmimport'],
    buckets: seedBuckets(fx, now, sources),
    multipartUploads: [],
    managedInstances,
    hosts,
    hostProfiles,
    sshHosts,
    ssmCommands: [],
    spotPrices,
    instanceTypes: fx.spot.instanceTypes.map((t) => ({ ...t })),
    stacks: seedStacks(fx.cloudformation, fx.account, now),
  };
}
