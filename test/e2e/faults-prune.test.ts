import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw, tempDir, type ClawResult } from '../helpers/claw.js';
import { randomFaults, startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { expectAbsorbed, expectCleanStop, untilDone, type Runs } from '../helpers/fault-runs.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// `claw ami prune --apply --yes` from the built binary with 20 % of its AWS requests
// meeting a fault (500, 503, throttling, latency, a connection dropped before or after
// EC2 did the work). Run again (finishing an interrupted prune with --resume when claw
// asks for it) until it completes; then moto, read directly, shows exactly the expected
// AMIs deregistered and their snapshots deleted, nothing half-deleted, and the proxy
// shows that no destructive call for an in-use or newest-N image was ever even sent.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED faults-prune e2e: ${inject('motoSkipReason')}`);

const PRUNED_FROM = 'clawdinator:pruned-from';
const faults = randomFaults({ rate: 0.2, seed: 777 });
/** A scripted fault that replaces the random ones while set. */
let scripted: ((req: SeenRequest) => Fault) | undefined;
let proxy: FaultProxy;
let ec2: EC2Client;
/** An account of this file's own: a resume finishes every pruned-tagged snapshot of its account. */
let account: MotoAccount;

interface Fleet {
  tag: string;
  home: string;
  /** Image id -> its snapshot, by role. */
  prune: Map<string, string>;
  keep: Map<string, string>;
}

/**
 * Eight tagged AMIs: three old unused ones (to prune), three old ones in use (by a
 * running instance, a stopped one, and an instance with no tags at all) and the newest
 * two (kept by --keep 2). The six old ones share a second; the newest two come after.
 */
async function fleet(): Promise<Fleet> {
  const tag = `clawdinator-${randomBytes(4).toString('hex')}`;
  const base = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-03cf127a', MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
  const image = async (name: string) => {
    const id = (await ec2.send(new CreateImageCommand({ InstanceId: base, Name: `${tag}-${name}` }))).ImageId!;
    await ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: tag, Value: 'true' },
          { Key: 'Name', Value: `${tag}-${name}` },
        ],
      }),
    );
    return id;
  };
  const run = async (imageId: string, name?: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          MinCount: 1,
          MaxCount: 1,
          ...(name
            ? {
                TagSpecifications: [
                  {
                    ResourceType: 'instance',
                    Tags: [
                      { Key: 'app', Value: 'clawdinator' },
                      { Key: 'Name', Value: name },
                    ],
                  },
                ],
              }
            : {}),
        }),
      )
    ).Instances![0]!.InstanceId!;
  const old = await Promise.all(['old-0', 'old-1', 'old-2'].map(image));
  const running = await image('running');
  const stopped = await image('stopped');
  const untagged = await image('untagged');
  await run(running, `${tag}-host`);
  await ec2.send(new StopInstancesCommand({ InstanceIds: [await run(stopped, `${tag}-stopped-host`)] }));
  await run(untagged);
  await new Promise((r) => setTimeout(r, 1_100)); // CreationDate has second resolution
  const newer = await image('new-1');
  await new Promise((r) => setTimeout(r, 1_100));
  const newest = await image('new-2');
  const described = await ec2.send(new DescribeImagesCommand({ ImageIds: [...old, running, stopped, untagged, newer, newest] }));
  const snap = (id: string) => described.Images!.find((i) => i.ImageId === id)!.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
  return {
    tag,
    home: tempDir('claw-faults-prune-'),
    prune: new Map(old.map((id) => [id, snap(id)])),
    keep: new Map([running, stopped, untagged, newer, newest].map((id) => [id, snap(id)])),
  };
}

const claw = (f: Fleet, args: string[], tries?: number) =>
  runClaw([...args, '--repo', FIXTURE_REPO], {
    env: {
      ...account.env,
      AWS_ENDPOINT_URL: proxy.endpoint,
      CLAW_AMI_TAG: `${f.tag}=true`,
      CLAW_HOME: join(f.home, '.claw'),
      AWS_MAX_ATTEMPTS: tries === undefined ? undefined : String(tries),
    },
  });

/**
 * `prune --apply` until it completes. A stopped apply leaves a journal, so the next
 * apply refuses (exit 3) and names the fix, `--resume`, which is run until it completes.
 */
async function pruneUntilDone(f: Fleet, tries: number | undefined): Promise<{ runs: Runs; resumes: number }> {
  const stops: ClawResult[] = [];
  let resumes = 0;
  for (let i = 1; i <= 25; i++) {
    const r = await claw(f, ['ami', 'prune', '--keep', '2', '--apply', '--yes'], tries);
    if (r.exitCode === 0) return { runs: { done: r, stops }, resumes };
    if (r.exitCode === 3) {
      expect(r.stderr).toMatch(/^error: an interrupted prune left \d image\(s\) unfinished \(ami-.*\)\nhint: finish it first: claw ami prune --resume$/m);
      const resumed = await untilDone('ami prune --resume', () => claw(f, ['ami', 'prune', '--resume', '--yes'], tries), { maxRuns: 25 });
      stops.push(...resumed.stops);
      resumes++;
      continue;
    }
    expectCleanStop(r, `ami prune --apply, run ${i}`);
    // A stop that left an image journaled names the way to finish it; any other does not.
    const hint = /^hint: the prune stopped part-way \(ami-[^)]+ unfinished\); finish it with: claw ami prune --resume$/m;
    if (journaled(f)) expect(r.stderr).toMatch(hint);
    else expect(r.stderr).not.toMatch(hint);
    stops.push(r);
  }
  throw new Error(`ami prune still not done after 25 runs:\n${stops.at(-1)?.stderr}`);
}

const journaled = (f: Fleet) => {
  const dir = join(f.home, '.claw', 'journal');
  return existsSync(dir) && readdirSync(dir).length > 0;
};

/** Every resource id a destructive (or tagging) request named. */
function touched(seen: readonly SeenRequest[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of seen) {
    if (!['DeregisterImage', 'DeleteSnapshot', 'CreateTags', 'DeleteTags'].includes(r.action ?? '')) continue;
    const ids = [...new URLSearchParams(r.body)].filter(([k]) => /^(ImageId|SnapshotId|ResourceId\.\d+)$/.test(k)).map(([, v]) => v);
    out.set(r.action!, [...(out.get(r.action!) ?? []), ...ids]);
  }
  return out;
}

/** Straight from moto: which of the fleet's images and snapshots exist, and which snapshots still carry the pruned-from tag. */
async function motoState(f: Fleet) {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${f.tag}`, Values: ['true'] }] }));
  const ours = new Set([...f.prune.values(), ...f.keep.values()]);
  const snaps = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots!.filter((s) => ours.has(s.SnapshotId!));
  return {
    images: images.Images!.map((i) => i.ImageId!).sort(),
    snapshots: snaps.map((s) => s.SnapshotId!).sort(),
    markedPruned: snaps.filter((s) => s.Tags?.some((t) => t.Key === PRUNED_FROM)).map((s) => s.SnapshotId!),
  };
}

async function expectExactlyPruned(f: Fleet, from: number): Promise<void> {
  expect(await motoState(f)).toEqual({ images: [...f.keep.keys()].sort(), snapshots: [...f.keep.values()].sort(), markedPruned: [] });
  const sent = touched(proxy.seen.slice(from));
  const kept = new Set([...f.keep.keys(), ...f.keep.values()]);
  for (const [action, ids] of sent)
    expect(
      ids.filter((id) => kept.has(id)),
      `${action} named a kept image or snapshot`,
    ).toEqual([]);
  expect(new Set(sent.get('DeregisterImage'))).toEqual(new Set(f.prune.keys()));
  expect(new Set(sent.get('DeleteSnapshot'))).toEqual(new Set(f.prune.values()));
  // Nothing left to finish: no journal, and a resume finds nothing.
  expect(journaled(f)).toBe(false);
  faults.enabled = false;
  const resume = await claw(f, ['ami', 'prune', '--resume', '--yes']);
  faults.enabled = true;
  expect(resume.stdout).toBe('nothing to resume: no interrupted prune\n');
}

suite('ami prune --apply under 20 % injected faults (moto behind a faulty proxy)', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    ec2 = account.ec2;
    proxy = await startFaultProxy(endpoint!, (req) => (scripted ? scripted(req) : faults.decide(req)));
  });
  afterAll(async () => {
    account?.destroy();
    await proxy?.close();
  });

  it(
    'with the default 5 tries per request the SDK absorbs the faults: one run prunes exactly the unused old AMIs and their snapshots',
    { timeout: 60_000 },
    async () => {
      const f = await fleet();
      const from = proxy.seen.length;
      const injected = faults.injected();
      const { runs } = await pruneUntilDone(f, undefined);
      expectAbsorbed(runs, proxy, from);
      if (runs.stops.length === 0) expect(runs.done.stdout).toMatch(/pruned 3 images and 3 snapshots/);
      expect(faults.injected()).toBeGreaterThan(injected);
      await expectExactlyPruned(f, from);
    },
  );

  it(
    'with 1 try per request runs stop cleanly and --resume / a re-run finish: exactly the unused old AMIs and their snapshots are gone, nothing half-deleted, no kept one ever named',
    { timeout: 90_000 },
    async () => {
      const f = await fleet();
      const from = proxy.seen.length;
      const { runs, resumes } = await pruneUntilDone(f, 1);
      // Faults reached claw: some run stopped (and left a prune for --resume to finish, or not).
      expect(runs.stops.length, `resumes: ${resumes}`).toBeGreaterThan(0);
      await expectExactlyPruned(f, from);
    },
  );

  it(
    "EC2 deregisters but the answer is lost (1 try): the stop names --resume, which finishes the whole plan (the lost one's snapshot and the two not started)",
    { timeout: 60_000 },
    async () => {
      const f = await fleet();
      const from = proxy.seen.length;
      let lost = 0;
      scripted = (req) => (req.action === 'DeregisterImage' && lost++ === 0 ? 'drop-after' : undefined);
      try {
        const cut = await claw(f, ['ami', 'prune', '--keep', '2', '--apply', '--yes'], 1);
        expectCleanStop(cut, 'the cut prune');
        expect(cut.stderr).toMatch(
          /^error: the connection to .* was dropped during ec2 DeregisterImage \(ECONNRESET\)\nhint: the prune stopped part-way \(ami-\w+, ami-\w+, ami-\w+ unfinished\); finish it with: claw ami prune --resume$/m,
        );
        const mid = await motoState(f);
        expect(mid.images).toHaveLength(f.keep.size + 2); // one deregistered, its answer lost
        expect(mid.snapshots).toHaveLength(f.keep.size + 3); // ...and its snapshot marked, not deleted
        expect(mid.markedPruned).toHaveLength(1);
        const refused = await claw(f, ['ami', 'prune', '--keep', '2', '--apply', '--yes'], 1);
        expect(refused.exitCode).toBe(3);
        const resumed = await claw(f, ['ami', 'prune', '--resume', '--yes'], 1);
        expect(resumed.exitCode, resumed.stderr).toBe(0);
        expect(resumed.stdout).toContain(`${mid.markedPruned[0]}: deleted`);
        expect(resumed.stdout).toMatch(/pruned 3 images and 3 snapshots/);
        const rest = await claw(f, ['ami', 'prune', '--keep', '2', '--apply', '--yes'], 1);
        expect(rest.exitCode, rest.stderr).toBe(0);
        expect(rest.stdout).toMatch(/plan: nothing to prune/);
      } finally {
        scripted = undefined;
      }
      await expectExactlyPruned(f, from);
    },
  );
});
