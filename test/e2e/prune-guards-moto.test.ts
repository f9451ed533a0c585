import { DeregisterImageCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { amiHistory, amiState, type AmiHistory } from '../helpers/ami-history.js';
import { FIXTURE_REPO, runClaw, spawnClaw } from '../helpers/claw.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// The attacks on `ami prune` from the adversarial pass, through the built binary and a
// proxy in front of moto that holds a chosen request while the test changes the account:
// every guard of the plan is read again right before each DeregisterImage (apply and
// resume), a resume finishes the whole plan, the journal belongs to one account, two
// prunes never run at once in one CLAW_HOME, and a malformed instance record aborts.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED prune guards e2e: ${inject('motoSkipReason')}`);

let account: MotoAccount;
let ec2: EC2Client;
let proxy: FaultProxy;
let scripted: ((req: SeenRequest) => Fault) | undefined;

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Hold the first request `match` accepts (or hang it for good), and say when it arrived with its image id. */
function holdFirst(match: (req: SeenRequest) => boolean, how: 'hold' | 'hang' = 'hold') {
  const reached = deferred<string | undefined>();
  const release = deferred();
  let held = false;
  scripted = (req) => {
    if (held || !match(req)) return undefined;
    held = true;
    reached.resolve(new URLSearchParams(req.body).get('ImageId') ?? undefined);
    return how === 'hang' ? 'hang' : { until: release.promise };
  };
  return { reached: reached.promise, release: () => release.resolve() };
}

const env = (h: AmiHistory, a: MotoAccount, endpointUrl: string) => ({
  ...a.env,
  AWS_ENDPOINT_URL: endpointUrl,
  CLAW_AMI_TAG: `${h.tag}=true`,
  CLAW_HOME: join(h.home, '.claw'),
});
/** Through the proxy (where the test holds requests), or straight to moto. */
const claw = (h: AmiHistory, args: string[], opts: { direct?: boolean; a?: MotoAccount } = {}) =>
  runClaw([...args, '--repo', FIXTURE_REPO], { env: env(h, opts.a ?? account, opts.direct ? endpoint! : proxy.endpoint) });
const startClaw = (h: AmiHistory, args: string[], a: MotoAccount = account) => spawnClaw([...args, '--repo', FIXTURE_REPO], { env: env(h, a, proxy.endpoint) });

/** Every image or snapshot id a destructive request that reached moto named (a hung one never did). */
const destroyed = (from: number) =>
  proxy.seen
    .slice(from)
    .filter((r) => (r.action === 'DeregisterImage' || r.action === 'DeleteSnapshot') && r.fault !== 'hang')
    .flatMap((r) => [...new URLSearchParams(r.body)].filter(([k]) => k === 'ImageId' || k === 'SnapshotId').map(([, v]) => v));

const journalFiles = (h: AmiHistory) => {
  const dir = join(h.home, '.claw', 'journal');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
};

suite('ami prune guards, resume and journal under attack (moto)', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    ec2 = account.ec2;
    proxy = await startFaultProxy(endpoint!, (req) => scripted?.(req));
  });
  afterAll(async () => {
    account?.destroy();
    await proxy?.close();
  });

  const changes: [string, number, (h: AmiHistory) => Promise<unknown>, string][] = [
    ['preserved', 1, (h) => claw(h, ['ami', 'preserve', h.images[1]!], { direct: true }).then((r) => expect(r.exitCode, r.stderr).toBe(0)), 'now preserved'],
    ['in use', 1, (h) => ec2.send(new RunInstancesCommand({ ImageId: h.images[1], MinCount: 1, MaxCount: 1 })), 'now in use by i-'],
    ['among the newest N', 2, (h) => ec2.send(new DeregisterImageCommand({ ImageId: h.images[3] })), 'now among the newest 2'],
  ];
  for (const [guard, keep, change, said] of changes) {
    it(`apply: an image that became ${guard} while the apply ran is kept, not deregistered`, { timeout: 60_000 }, async () => {
      const h = await amiHistory(ec2, 4);
      const from = proxy.seen.length;
      const hold = holdFirst((r) => r.action === 'DeregisterImage');
      const run = startClaw(h, ['ami', 'prune', '--keep', String(keep), '--apply', '--yes']);
      expect(await hold.reached).toBe(h.images[0]); // oldest first
      await change(h);
      hold.release();
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${h.images[1]}: kept (${said}`);
      expect(r.stdout).toMatch(/kept 1 image a guard now holds/);
      expect(destroyed(from)).not.toContain(h.images[1]);
      expect(destroyed(from)).not.toContain(h.snapshots[1]);
      const after = await amiState(ec2, h);
      expect(after.images).toContain(h.images[1]);
      expect(after.snapshots).toContain(h.snapshots[1]);
      expect(after.snapshotTags[h.snapshots[1]!]).not.toContain('clawdinator:pruned-from');
      expect(journalFiles(h)).toEqual([]);
    });
  }

  it('kill -9 mid-apply, then preserve an image of the plan: --resume keeps it and finishes the rest of the plan', { timeout: 60_000 }, async () => {
    const h = await amiHistory(ec2, 4);
    const from = proxy.seen.length;
    const hang = holdFirst((r) => r.action === 'DeregisterImage', 'hang');
    const run = startClaw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes']);
    expect(await hang.reached).toBe(h.images[0]);
    run.child.kill('SIGKILL');
    await run.done;
    scripted = undefined;
    const journal = JSON.parse(readFileSync(join(h.home, '.claw', 'journal', journalFiles(h)[0]!), 'utf8')) as {
      account: string;
      entries: { imageId: string; stage: string }[];
    };
    expect(journal.account).toBe(account.accountId);
    expect(journal.entries.map((e) => [e.imageId, e.stage])).toEqual([
      [h.images[0], 'pending'],
      [h.images[1], 'planned'],
      [h.images[2], 'planned'],
    ]);

    expect((await claw(h, ['ami', 'preserve', h.images[0]!], { direct: true })).exitCode).toBe(0);
    const resumed = await claw(h, ['ami', 'prune', '--resume', '--yes']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^plan: finish the interrupted prune \(keep 1\)/m);
    expect(resumed.stdout).toContain(`${h.images[0]}: kept (now preserved)`);
    expect(resumed.stdout).toMatch(/pruned 2 images and 2 snapshots; kept 1 image a guard now holds/);
    expect(destroyed(from)).not.toContain(h.images[0]);
    const after = await amiState(ec2, h);
    expect(after.images).toEqual([h.images[0], h.images[3]].sort());
    expect(after.snapshots).toEqual([h.snapshots[0], h.snapshots[3]]);
    expect(after.snapshotTags[h.snapshots[0]!]).not.toContain('clawdinator:pruned-from');
    expect(journalFiles(h)).toEqual([]);
  });

  it("the journal belongs to one account: another account's --resume on the same endpoint and CLAW_HOME leaves it alone", { timeout: 60_000 }, async () => {
    const other = await openMotoAccount(endpoint!);
    try {
      const h = await amiHistory(ec2, 2);
      const hang = holdFirst((r) => r.action === 'DeregisterImage', 'hang');
      const run = startClaw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes']);
      await hang.reached;
      run.child.kill('SIGKILL');
      await run.done;
      scripted = undefined;
      expect(journalFiles(h)).toEqual([`ami-prune.${account.accountId}.eu-central-1.json`]);

      const elsewhere = await claw(h, ['ami', 'prune', '--resume', '--yes'], { a: other });
      expect(elsewhere.exitCode, elsewhere.stderr).toBe(0);
      expect(elsewhere.stdout).toBe('nothing to resume: no interrupted prune\n');
      expect(journalFiles(h)).toEqual([`ami-prune.${account.accountId}.eu-central-1.json`]);

      const mine = await claw(h, ['ami', 'prune', '--resume', '--yes']);
      expect(mine.exitCode, mine.stderr).toBe(0);
      expect(mine.stdout).toMatch(/pruned 1 images and 1 snapshots/);
      expect((await amiState(ec2, h)).images).toEqual([h.images[1]]);
    } finally {
      other.destroy();
    }
  });

  it('two applies at once in one CLAW_HOME: the second refuses (exit 3) naming the first, which prunes with true counts', { timeout: 60_000 }, async () => {
    const h = await amiHistory(ec2, 3);
    const from = proxy.seen.length;
    // Hold the first run at its first inventory read: before this fix, neither had journaled yet.
    const hold = holdFirst((r) => r.action === 'DescribeImages');
    const first = startClaw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes']);
    await hold.reached;
    const second = await claw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes']);
    expect(second.exitCode, second.stderr).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`^error: locked by pid ${first.child.pid} on this host since \\S+ \\(ami prune --apply\\)$`, 'm'));
    hold.release();
    const r = await first.done;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pruned 2 images and 2 snapshots/);
    expect(
      destroyed(from)
        .filter((id) => id.startsWith('ami-'))
        .sort(),
    ).toEqual([h.images[0], h.images[1]].sort());
    expect(journalFiles(h)).toEqual([]);
    expect((await claw(h, ['ami', 'prune', '--resume', '--yes'])).stdout).toBe('nothing to resume: no interrupted prune\n');
  });

  it('an instance record without its instance id aborts the prune (exit 1): it is never read as "not in use"', { timeout: 60_000 }, async () => {
    const h = await amiHistory(ec2, 3);
    await ec2.send(new RunInstancesCommand({ ImageId: h.images[0], MinCount: 1, MaxCount: 1 }));
    const from = proxy.seen.length;
    scripted = (req) => (req.action === 'DescribeInstances' ? { rewrite: (body) => body.replace(/<instanceId>[^<]*<\/instanceId>/g, '') } : undefined);
    try {
      const r = await claw(h, ['ami', 'prune', '--keep', '1', '--apply', '--yes']);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^error: lookup failed, nothing was changed: DescribeInstances answered an instance without an instance id \(image ami-\w+\): refusing to guess which AMIs are in use$/m,
      );
      expect(destroyed(from)).toEqual([]);
      expect((await amiState(ec2, h)).images).toHaveLength(3);
    } finally {
      scripted = undefined;
    }
  });
});
