import { RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';
import { amiHistory, amiState, type AmiHistory } from '../helpers/ami-history.js';

// `claw ami list | latest | preserve | prune` from the built binary against moto. Each
// test builds its own AMI history under a tag of its own, so tests never see each other.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED ami prune moto e2e: ${inject('motoSkipReason')}`);

/** An account of this file's own: a resume finishes every pruned-tagged snapshot of its account. */
let account: MotoAccount;
let ec2: EC2Client;

type History = AmiHistory;
const history = (n: number) => amiHistory(ec2, n);

const claw = (h: History, args: string[], endpointUrl = endpoint!) =>
  runClaw([...args, '--repo', FIXTURE_REPO], {
    env: { ...account.env, AWS_ENDPOINT_URL: endpointUrl, CLAW_AMI_TAG: `${h.tag}=true`, CLAW_HOME: join(h.home, '.claw') },
  });

const existing = (h: History) => amiState(ec2, h);

suite('claw ami against moto', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    ec2 = account.ec2;
  });
  afterAll(() => account?.destroy());

  it('list, latest and preserve: newest first, markers and users', async () => {
    const h = await history(3);
    await ec2.send(
      new RunInstancesCommand({
        ImageId: h.images[0],
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'old-runner' }] }],
      }),
    );
    const kept = await claw(h, ['ami', 'preserve', h.images[1]!, '--reason', 'rollback target']);
    expect(kept.stderr).toMatch(/^plan: tag ami-/);
    expect(kept.exitCode).toBe(0);
    const r = await claw(h, ['ami', 'list', '--json']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.images.map((i: { imageId: string }) => i.imageId)).toEqual([...h.images].reverse());
    expect(out.latest).toMatchObject({ imageId: h.images[2], source: 'newest' });
    expect(out.images[1]).toMatchObject({ preserved: true, preserveReason: 'rollback target', usedBy: [] });
    expect(out.images[2]).toMatchObject({ usedBy: ['old-runner'], latest: false });
    const latest = await claw(h, ['ami', 'latest']);
    expect(latest.stdout).toBe(`${h.images[2]}  (newest of 3 tagged AMIs (created ${out.images[0].creationDate}))\n`);
    const override = await claw(h, ['ami', 'latest', '--json', '--ami', h.images[0]!]);
    expect(JSON.parse(override.stdout)).toEqual({ imageId: h.images[0], why: 'override from flag --ami', source: 'override' });
  });

  it('prune keeps newest-N, in-use, preserved and latest; apply deletes exactly the rest', async () => {
    const h = await history(5);
    await ec2.send(new RunInstancesCommand({ ImageId: h.images[0], MinCount: 1, MaxCount: 1 }));
    expect((await claw(h, ['ami', 'preserve', h.images[1]!])).exitCode).toBe(0);
    const dry = await claw(h, ['ami', 'prune', '--keep', '1', '--json']);
    expect({ exit: dry.exitCode, stderr: dry.stderr }).toMatchObject({ exit: 0 });
    const plan = JSON.parse(dry.stdout);
    expect(plan.mode).toBe('dry-run');
    const byId = Object.fromEntries(plan.images.map((i: { imageId: string; action: string; reasons: string[] }) => [i.imageId, [i.action, i.reasons]]));
    expect(byId[h.images[4]!]).toEqual(['keep', ['recent', 'latest']]);
    expect(byId[h.images[1]!]).toEqual(['keep', ['preserved']]);
    expect(byId[h.images[0]!][0]).toBe('keep');
    expect(byId[h.images[0]!][1][0]).toMatch(/^in-use:i-/);
    expect(byId[h.images[2]!]).toEqual(['prune', []]);
    expect(byId[h.images[3]!]).toEqual(['prune', []]);
    expect(plan.freedGiB).toBeGreaterThan(0);
    expect((await existing(h)).images).toHaveLength(5); // the dry run changed nothing

    const noTty = await claw(h, ['ami', 'prune', '--keep', '1', '--apply']);
    expect(noTty.exitCode).toBe(3);
    expect((await existing(h)).images).toHaveLength(5);

    const applied = await claw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes']);
    expect({ exit: applied.exitCode, stderr: applied.stderr }).toMatchObject({ exit: 0 });
    expect(applied.stdout).toMatch(/pruned 2 images and 2 snapshots; freed \d+ GiB of snapshots, about \$[\d.]+\/month \(estimate/);
    const after = await existing(h);
    expect(after.images).toEqual([h.images[0], h.images[1], h.images[4]].sort());
    expect(after.snapshots).toEqual([h.snapshots[0], h.snapshots[1], h.snapshots[4]]);
    expect(readdirSync(join(h.home, '.claw')).includes('journal') ? readdirSync(join(h.home, '.claw', 'journal')) : []).toEqual([]);
  });

  it('an interruption between deregister and snapshot delete is finished by --resume', async () => {
    const h = await history(2);
    // The same endpoint throughout (the journal is per endpoint); only the first run's
    // snapshot deletions lose their connection, as a network cut would.
    let cutting = true;
    const proxy = await startFaultProxy(endpoint!, (req) => (cutting && req.action === 'DeleteSnapshot' ? 'drop' : undefined));
    try {
      const viaProxy = (args: string[]) => claw(h, args, proxy.endpoint);
      const cut = await viaProxy(['ami', 'prune', '--keep', '1', '--apply', '--yes']);
      expect(cut.exitCode).toBe(1);
      expect(cut.stderr).toMatch(/^error: .*DeleteSnapshot/m);
      cutting = false;
      const mid = await existing(h);
      expect(mid.images).toEqual([h.images[1]]); // deregistered...
      expect(mid.snapshots).toContain(h.snapshots[0]); // ...but its snapshot is still there
      const journal = join(h.home, '.claw', 'journal');
      expect(existsSync(journal) && readdirSync(journal).length).toBe(1);

      const refused = await viaProxy(['ami', 'prune', '--keep', '1', '--apply', '--yes']);
      expect(refused.exitCode).toBe(3);
      expect(refused.stderr).toMatch(/interrupted prune left 1 image\(s\) unfinished.*\nhint: finish it first: claw ami prune --resume/);

      const resumed = await viaProxy(['ami', 'prune', '--resume', '--yes']);
      expect(resumed.exitCode).toBe(0);
      expect(resumed.stdout).toContain(`${h.snapshots[0]}: deleted`);
      expect((await existing(h)).snapshots).toEqual([h.snapshots[1]]);
      expect(readdirSync(journal)).toEqual([]);
      expect((await viaProxy(['ami', 'prune', '--resume', '--yes'])).stdout).toBe('nothing to resume: no interrupted prune\n');
    } finally {
      await proxy.close();
    }
  });

  it('a failed lookup aborts the prune with nothing deleted', async () => {
    const h = await history(3);
    const proxy = await startFaultProxy(endpoint!, (req) =>
      req.action === 'DescribeInstances' ? { status: 400, code: 'UnauthorizedOperation', message: 'You are not authorized' } : undefined,
    );
    try {
      const r = await claw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes'], proxy.endpoint);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^error: lookup failed, nothing was changed: not allowed: ec2 DescribeInstances \(UnauthorizedOperation\)$/m);
      expect(proxy.seen.map((s) => s.action)).not.toContain('DeregisterImage');
    } finally {
      await proxy.close();
    }
    expect((await existing(h)).images).toHaveLength(3);
  });

  it('refuses bad input with exit 2 and changes nothing', async () => {
    const h = await history(2);
    for (const [args, message] of [
      [['ami', 'prune', '--keep', '0'], /--keep 0: expected a whole number from 1/],
      [['ami', 'prune', '--keep', '-1'], /--keep -1: expected a whole number/],
      [['ami', 'prune', '--keep', 'abc'], /--keep abc: expected a whole number/],
      [['ami', 'prune', '--min-age', '7x'], /--min-age 7x: not a duration/],
      [['ami', 'preserve', 'ami-zzz'], /"ami-zzz" is not an AMI id/],
      [['ami', 'preserve', 'ami-0123456789abcdef0'], /AMI ami-0123456789abcdef0 not found/],
      [['ami', 'latest', '--ami', 'ami-0123456789abcdef0'], /AMI ami-0123456789abcdef0 \(from flag --ami\) does not exist/],
      [['ami', 'prune', '--resume', '--keep', '2'], /--resume finishes the interrupted prune as planned/],
    ] as const) {
      const r = await claw(h, [...args]);
      expect(r.stderr).toMatch(message);
      expect(r.exitCode).toBe(2);
    }
    expect((await existing(h)).images).toHaveLength(2);
  });
});
