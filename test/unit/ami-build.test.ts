import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amiTags,
  clientToken,
  describePlan,
  formatOfFile,
  formatStamp,
  keyExtension,
  mergeProvenance,
  objectKey,
  planBuild,
  snapshotTags,
  stampOfKey,
  stampOfName,
  taskPhase,
  type BuildState,
  type FoundTask,
} from '../../src/core/ami-build.js';

const SHA = 'ab'.repeat(32);
const now = new Date('2026-11-23T04:05:06.789Z');
const state = (over: Partial<BuildState> = {}): BuildState => ({
  sha256: SHA,
  file: '/nix/store/x-nixos.img',
  format: 'raw',
  now,
  image: undefined,
  tasks: [],
  objectKey: undefined,
  ...over,
});
const task = (over: Partial<FoundTask> & { attempt?: number; key?: string }): FoundTask => {
  const { attempt = 1, key = 'clawdinator-nixos-20261120000000.img', ...rest } = over;
  return {
    taskId: `import-snap-${attempt}`,
    status: 'active',
    statusMessage: undefined,
    snapshotId: undefined,
    snapshotExists: false,
    tags: { 'clawdinator:image-sha256': SHA, 'clawdinator:import-attempt': String(attempt), 'source-s3-key': key },
    ...rest,
  };
};

describe('names and keys', () => {
  it('stamps in UTC and pairs the key with the AMI name', () => {
    expect(formatStamp(now)).toBe('20261123040506');
    expect(formatStamp(new Date('2026-01-02T23:59:59+02:00'))).toBe('20260102215959');
    expect(objectKey('20261123040506', 'img')).toBe('clawdinator-nixos-20261123040506.img');
    expect(stampOfKey('clawdinator-nixos-20261123040506.vhd')).toBe('20261123040506');
    for (const bad of ['clawdinator-nixos-2026112304050.img', 'x/clawdinator-nixos-20261123040506.img', 'clawdinator-nixos-20261123040506.img.zst']) {
      expect(stampOfKey(bad)).toBeUndefined();
    }
    expect(stampOfName('clawdinator-nixos-20261123040506')).toBe('20261123040506');
    expect(stampOfName('clawdinator-nixos-old')).toBeUndefined();
  });

  it('knows each format by its extensions', () => {
    expect(['a/nixos.img', 'disk.RAW', 'x.vhd', 'x.vmdk', 'x.img.zst', 'x.qcow2', 'noext'].map(formatOfFile)).toEqual([
      'raw',
      'raw',
      'vhd',
      'vmdk',
      undefined,
      undefined,
      undefined,
    ]);
    expect(keyExtension('/x/nixos.img', 'raw')).toBe('img');
    expect(keyExtension('/x/disk.raw', 'raw')).toBe('raw');
    expect(keyExtension('/x/disk.bin', 'vmdk')).toBe('vmdk');
  });
});

describe('clientToken', () => {
  it('is at most 64 ASCII characters, stable, and new per attempt', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), fc.integer({ min: 1, max: 999_999 }), (sha, attempt) => {
        const t = clientToken(sha, attempt);
        expect(t.length).toBeLessThanOrEqual(64);
        expect(t).toMatch(/^[\x21-\x7e]+$/);
        expect(clientToken(sha, attempt)).toBe(t);
        expect(clientToken(sha, attempt + 1)).not.toBe(t);
      }),
    );
    expect(() => clientToken('not-a-hash', 1)).toThrow();
  });
});

describe('tags', () => {
  const prov = { sourceS3Key: 'clawdinator-nixos-20261123040506.img', imageSha256: SHA, gitSha: 'c'.repeat(40), flakeLockSha256: 'd'.repeat(64) };

  it('tags the AMI and its root snapshot with the same provenance', () => {
    const ami = amiTags('clawdinator-nixos-20261123040506', { key: 'clawdinator', value: 'true' }, prov);
    expect(ami).toEqual({
      Name: 'clawdinator-nixos-20261123040506',
      clawdinator: 'true',
      'artifact-kind': 'ami',
      'source-s3-key': prov.sourceS3Key,
      'clawdinator:git-sha': prov.gitSha,
      'clawdinator:flake-lock-sha256': prov.flakeLockSha256,
      'clawdinator:image-sha256': SHA,
    });
    const snap = snapshotTags('clawdinator-nixos-20261123040506', prov);
    expect(snap).toMatchObject({ Name: 'clawdinator-nixos-20261123040506-root-snapshot', 'artifact-kind': 'ami-root-snapshot' });
    const provenanceOf = (t: Record<string, string>) =>
      Object.fromEntries(Object.entries(t).filter(([k]) => !['Name', 'artifact-kind', 'clawdinator'].includes(k)));
    expect(provenanceOf(snap)).toEqual(provenanceOf(ami));
  });

  it('omits git and flake.lock tags it does not know', () => {
    const t = amiTags('n', { key: 'k', value: 'v' }, { sourceS3Key: 'key', imageSha256: SHA });
    expect(Object.keys(t)).not.toContain('clawdinator:git-sha');
    expect(Object.keys(t)).not.toContain('clawdinator:flake-lock-sha256');
  });

  it('keeps what the first run recorded when resuming', () => {
    const merged = mergeProvenance({ 'source-s3-key': 'old.img', 'clawdinator:git-sha': 'e'.repeat(40) }, prov);
    expect(merged).toEqual({ ...prov, sourceS3Key: 'old.img', gitSha: 'e'.repeat(40) });
    expect(mergeProvenance({}, prov)).toEqual(prov);
  });

  it('reads task states as AWS reports them', () => {
    expect(['active', 'completed', 'deleting', 'deleted', 'error', undefined, 'validating'].map(taskPhase)).toEqual([
      'active',
      'completed',
      'failed',
      'failed',
      'failed',
      'active',
      'active',
    ]);
  });
});

describe('planBuild: what is left to do', () => {
  it('fresh: uploads under a new stamp, imports (attempt 1), registers', () => {
    const p = planBuild(state());
    expect(p).toMatchObject({
      name: 'clawdinator-nixos-20261123040506',
      sourceS3Key: 'clawdinator-nixos-20261123040506.img',
      upload: { action: 'upload' },
      import: { action: 'start', attempt: 1, clientToken: clientToken(SHA, 1) },
      register: { action: 'register' },
    });
  });

  it('an object with the same hash: reuses its key, and its stamp names the AMI', () => {
    const p = planBuild(state({ objectKey: 'clawdinator-nixos-20261001000000.img' }));
    expect(p).toMatchObject({
      name: 'clawdinator-nixos-20261001000000',
      sourceS3Key: 'clawdinator-nixos-20261001000000.img',
      upload: { action: 'reuse' },
      import: { action: 'start' },
    });
  });

  it('an active task: waits for it, no upload', () => {
    const p = planBuild(state({ objectKey: 'clawdinator-nixos-20261120000000.img', tasks: [task({ status: 'active' })] }));
    expect(p).toMatchObject({
      name: 'clawdinator-nixos-20261120000000',
      upload: { action: 'not-needed' },
      import: { action: 'wait', taskId: 'import-snap-1' },
    });
  });

  it('a completed task whose snapshot exists: registers from it', () => {
    const p = planBuild(state({ tasks: [task({ status: 'completed', snapshotId: 'snap-1', snapshotExists: true })] }));
    expect(p.import).toEqual({ action: 'reuse', taskId: 'import-snap-1', snapshotId: 'snap-1' });
    expect(p.register).toEqual({ action: 'register' });
  });

  it('failed tasks, or a snapshot deleted since: a new attempt with a new token', () => {
    const p = planBuild(
      state({
        objectKey: 'clawdinator-nixos-20261120000000.img',
        tasks: [
          task({ attempt: 1, status: 'deleted', statusMessage: 'ClientError: Disk validation failed' }),
          task({ attempt: 2, status: 'completed', snapshotId: 'snap-gone' }),
        ],
      }),
    );
    expect(p.import).toEqual({ action: 'start', attempt: 3, clientToken: clientToken(SHA, 3) });
    expect(p.upload).toEqual({ action: 'reuse', key: 'clawdinator-nixos-20261120000000.img' });
    expect(p.staleTasks.map((t) => t.taskId)).toEqual(['import-snap-2', 'import-snap-1']);
  });

  it('a registered image: nothing but tags, with its own name and key', () => {
    const image = {
      imageId: 'ami-0123456789abcdef0',
      name: 'clawdinator-nixos-20261001000000',
      state: 'available',
      snapshotId: 'snap-1',
      tags: { 'source-s3-key': 'clawdinator-nixos-20261001000000.img' },
    };
    const p = planBuild(state({ image, tasks: [task({ status: 'completed', snapshotId: 'snap-1', snapshotExists: true })] }));
    expect(p).toMatchObject({
      name: image.name,
      sourceS3Key: 'clawdinator-nixos-20261001000000.img',
      upload: { action: 'not-needed' },
      import: { action: 'not-needed' },
      register: { action: 'reuse', imageId: image.imageId },
    });
    // Found by name only (registered, then interrupted before any tag): key from its stamp.
    const untagged = planBuild(state({ image: { ...image, tags: {} } }));
    expect(untagged.sourceS3Key).toBe('clawdinator-nixos-20261001000000.img');
  });

  it('always pairs the AMI name with the key stamp', () => {
    const arb = fc.record({
      objectStamp: fc.option(fc.stringMatching(/^20\d{12}$/), { nil: undefined }),
      taskStatus: fc.option(fc.constantFrom('active', 'completed', 'deleted', 'error'), { nil: undefined }),
      snapshotExists: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ objectStamp, taskStatus, snapshotExists }) => {
        const tasks = taskStatus ? [task({ status: taskStatus, snapshotId: 'snap-1', snapshotExists })] : [];
        const p = planBuild(state({ objectKey: objectStamp && `clawdinator-nixos-${objectStamp}.img`, tasks }));
        expect(`${p.name}.img`).toBe(p.sourceS3Key);
        expect(p.import.action === 'start' ? p.upload.action !== 'not-needed' : p.upload.action === 'not-needed').toBe(true);
      }),
    );
  });

  it('describes each step, skipped ones with why', () => {
    const lines = describePlan(planBuild(state({ objectKey: 'clawdinator-nixos-20261120000000.img' })), 'bucket-1');
    expect(lines).toEqual([
      'upload: skipped, s3://bucket-1/clawdinator-nixos-20261120000000.img already holds this image (same sha256)',
      'import: ImportSnapshot from s3://bucket-1/clawdinator-nixos-20261120000000.img (attempt 1)',
      'register: RegisterImage clawdinator-nixos-20261120000000',
      'tag: clawdinator-nixos-20261120000000 and its root snapshot',
    ]);
  });
});
