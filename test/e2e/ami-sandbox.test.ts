import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runClaw, tempDir } from '../helpers/claw.js';

// The AMI lane on the sandbox: its seed has a preserved image, an image behind a
// stopped unregistered instance, and two images sharing one snapshot.

interface ListedImage {
  imageId: string;
  usedBy: string[];
  preserved: boolean;
  latest: boolean;
  snapshotIds: string[];
}
interface PlannedImage {
  imageId: string;
  action: string;
  reasons: string[];
  snapshotIds: string[];
}

describe('claw --sandbox ami', () => {
  it('prune keeps in-use, preserved, newest and latest, never deletes a shared snapshot, and apply does exactly the plan', async () => {
    const env = { CLAW_HOME: `${tempDir()}/.claw` };
    const claw = (...args: string[]) => runClaw(['--sandbox', 'ami', ...args], { env });
    const listed = JSON.parse((await claw('list', '--json')).stdout).images as ListedImage[];
    const preserved = listed.filter((i) => i.preserved);
    expect(preserved.length).toBeGreaterThan(0);

    const dry = await claw('prune', '--keep', '2', '--json');
    expect(dry.exitCode).toBe(0);
    const plan = JSON.parse(dry.stdout) as { mode: string; images: PlannedImage[]; snapshotsToDelete: string[]; freedGiB: number; monthlySavingsUsd: number };
    expect(plan.mode).toBe('dry-run');
    for (const img of plan.images) {
      const l = listed.find((x) => x.imageId === img.imageId)!;
      if (l.usedBy.length || l.preserved || l.latest) expect(img.action).toBe('keep');
      for (const who of l.usedBy) expect(img.reasons).toContain(`in-use:${who}`);
    }
    const keptSnaps = new Set(plan.images.filter((i) => i.action === 'keep').flatMap((i) => i.snapshotIds));
    const shared = plan.images
      .filter((i) => i.action === 'prune')
      .flatMap((i) => i.snapshotIds)
      .filter((s) => keptSnaps.has(s));
    expect(shared.length).toBeGreaterThan(0); // the seed's shared snapshot
    for (const s of shared) expect(plan.snapshotsToDelete).not.toContain(s);
    expect(plan.monthlySavingsUsd).toBeCloseTo(plan.freedGiB * 0.05, 2);
    expect(JSON.parse((await claw('list', '--json')).stdout).images).toHaveLength(listed.length); // dry run

    const applied = await claw('prune', '--keep', '2', '--apply', '--yes', '--json');
    expect(applied.exitCode).toBe(0);
    const after = JSON.parse((await claw('list', '--json')).stdout).images as ListedImage[];
    expect(after.map((i) => i.imageId).sort()).toEqual(
      plan.images
        .filter((i) => i.action === 'keep')
        .map((i) => i.imageId)
        .sort(),
    );
    const result = JSON.parse(applied.stdout).result as { snapshots: { snapshotId: string; outcome: string }[] };
    expect(
      result.snapshots
        .filter((s) => s.outcome === 'deleted')
        .map((s) => s.snapshotId)
        .sort(),
    ).toEqual([...plan.snapshotsToDelete].sort());
    expect((await claw('prune', '--keep', '2')).stdout).toMatch(/plan: nothing to prune/);
  });

  it('preserve and unpreserve change what prune keeps', async () => {
    const env = { CLAW_HOME: `${tempDir()}/.claw` };
    const claw = (...args: string[]) => runClaw(['--sandbox', 'ami', ...args], { env });
    const plan = JSON.parse((await claw('prune', '--keep', '1', '--json')).stdout) as { images: PlannedImage[] };
    const victim = plan.images.find((i) => i.action === 'prune')!.imageId;
    const dry = await claw('preserve', victim, '--dry-run');
    expect(dry.stderr).toContain(`plan: tag ${victim} clawdinator:preserve=`);
    expect(JSON.parse((await claw('prune', '--keep', '1', '--json')).stdout).images.find((i: PlannedImage) => i.imageId === victim).action).toBe('prune');
    expect((await claw('preserve', victim, '--reason', 'rollback target')).stdout).toBe(`${victim} preserved (rollback target)\n`);
    const kept = JSON.parse((await claw('prune', '--keep', '1', '--json')).stdout).images.find((i: PlannedImage) => i.imageId === victim);
    expect(kept).toMatchObject({ action: 'keep', reasons: ['preserved'] });
    expect((await claw('unpreserve', victim)).stdout).toBe(`${victim} no longer preserved\n`);
    expect((await claw('unpreserve', victim)).stdout).toBe(`${victim} was not preserved; nothing to do\n`);
  });

  it('latest prints the newest tagged AMI, or the configured override', async () => {
    const env = { CLAW_HOME: `${tempDir()}/.claw` };
    const listed = JSON.parse((await runClaw(['--sandbox', 'ami', 'list', '--json'], { env })).stdout) as {
      latest: { imageId: string };
      images: ListedImage[];
    };
    const r = await runClaw(['--sandbox', 'ami', 'latest', '--json'], { env });
    expect(JSON.parse(r.stdout)).toMatchObject({ imageId: listed.images[0]!.imageId, source: 'newest' });
    const older = listed.images[2]!.imageId;
    const o = await runClaw(['--sandbox', 'ami', 'latest'], { env: { ...env, CLAW_AMI: older } });
    expect(o.stdout).toBe(`${older}  (override from CLAW_AMI)\n`);
  });

  it('build --prune-keep prunes after the new AMI is registered, keeping it', async () => {
    const dir = tempDir();
    const env = { CLAW_HOME: `${dir}/.claw` };
    writeFileSync(`${dir}/nixos.img`, randomBytes(64 * 1024));
    const claw = (...args: string[]) => runClaw(['--sandbox', 'ami', ...args], { env });
    const refused = await claw('build', '--image', `${dir}/nixos.img`, '--prune-keep', '2');
    expect(refused.exitCode).toBe(3); // the build is done; the prune needs --yes without a terminal
    const built = await claw('build', '--image', `${dir}/nixos.img`, '--prune-keep', '2', '--yes', '--json');
    expect(built.exitCode).toBe(0);
    const { imageId } = JSON.parse(built.stdout) as { imageId: string }; // one document: the prune reports on stderr
    expect(built.stderr).toMatch(/pruned \d+ images and \d+ snapshots/);
    const after = JSON.parse((await claw('list', '--json')).stdout) as { latest: { imageId: string }; images: ListedImage[] };
    expect(after.latest.imageId).toBe(imageId);
    const plan = JSON.parse((await claw('prune', '--keep', '2', '--json')).stdout) as { images: PlannedImage[] };
    expect(plan.images.filter((i) => i.action === 'prune')).toEqual([]);
  });
});
