import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, runClaw } from '../helpers/claw.js';
import { randomFaults, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { expectAbsorbed, expectCleanStop } from '../helpers/fault-runs.js';

// `claw status --json` from the built binary with 20 % of its AWS requests meeting a
// fault (500, 503, throttling, latency, dropped connections): each run prints the same
// document as without faults, or stops cleanly with nothing on stdout. status is
// read-only: moto, read directly, holds what it held before.

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED faults-status e2e: ${inject('motoSkipReason')}`);

const run = randomBytes(4).toString('hex');
const instanceTag = { Key: `app-${run}`, Value: 'clawdinator' };
const amiTag = { Key: `clawdinator-${run}`, Value: 'true' };
const faults = randomFaults({ rate: 0.2, seed: 4242 });
let proxy: FaultProxy;
let ec2: EC2Client;

const env = (tries?: number) => ({
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'eu-central-1',
  AWS_ENDPOINT_URL: proxy.endpoint,
  CLAW_INSTANCE_TAG: `${instanceTag.Key}=${instanceTag.Value}`,
  CLAW_AMI_TAG: `${amiTag.Key}=${amiTag.Value}`,
  AWS_MAX_ATTEMPTS: tries === undefined ? undefined : String(tries),
});
const status = (tries?: number) => runClaw(['status', '--json', '--repo', FIXTURE_REPO], { env: env(tries) });

/** What status reads, straight from moto. */
async function motoState() {
  const instances = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${instanceTag.Key}`, Values: [instanceTag.Value] }] }));
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${amiTag.Key}`, Values: [amiTag.Value] }] }));
  return { instances: instances.Reservations, images: images.Images };
}

suite('status under 20 % injected faults (moto behind a faulty proxy)', () => {
  let baseline: string;
  let before: Awaited<ReturnType<typeof motoState>>;

  beforeAll(async () => {
    ec2 = new EC2Client({ endpoint: endpoint!, region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const launch = async (name: string, image: string) =>
      (
        await ec2.send(
          new RunInstancesCommand({
            ImageId: image,
            MinCount: 1,
            MaxCount: 1,
            InstanceType: 't3.large',
            TagSpecifications: [{ ResourceType: 'instance', Tags: [instanceTag, { Key: 'Name', Value: name }] }],
          }),
        )
      ).Instances![0]!.InstanceId!;
    const base = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-03cf127a', MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
    const image = async (name: string) => {
      const id = (await ec2.send(new CreateImageCommand({ InstanceId: base, Name: name }))).ImageId!;
      await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [amiTag, { Key: 'Name', Value: name }] }));
      return id;
    };
    const old = await image(`clawdinator-nixos-old-${run}`);
    await new Promise((r) => setTimeout(r, 1_100)); // CreationDate has second resolution
    const latest = await image(`clawdinator-nixos-new-${run}`);
    await launch('clawdinator-1', latest);
    await launch('clawdinator-2', old);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [await launch('clawdinator-scratch', latest)] }));

    proxy = await startFaultProxy(endpoint!, faults.decide);
    faults.enabled = false;
    const clean = await status();
    faults.enabled = true;
    expect(clean.exitCode, clean.stderr).toBe(0);
    baseline = clean.stdout;
    expect(JSON.parse(baseline).hosts.map((h: { host: string; drift: { kind: string }[] }) => [h.host, h.drift.map((d) => d.kind)])).toEqual([
      ['clawdinator-1', []],
      ['clawdinator-2', ['ami-behind']],
      ['clawdinator-babelfish', ['missing-instance']],
      ['clawdinator-3', ['missing-instance']],
    ]);
    before = await motoState();
  });
  afterAll(async () => {
    ec2?.destroy();
    await proxy?.close();
  });

  it('with the default 5 tries per request every run prints the same document as without faults', async () => {
    const from = proxy.seen.length;
    const injected = faults.injected();
    for (let i = 0; i < 4; i++) {
      const r = await status();
      if (r.exitCode !== 0) expectAbsorbed({ done: r, stops: [r] }, proxy, from);
      else expect(r.stdout).toBe(baseline);
    }
    expect(faults.injected()).toBeGreaterThan(injected);
  });

  it('with 1 try per request each run prints the same document or stops cleanly with nothing on stdout; moto is untouched', { timeout: 60_000 }, async () => {
    const from = proxy.seen.length;
    const outcomes = { same: 0, stopped: 0 };
    for (let i = 0; i < 14; i++) {
      const r = await status(1);
      if (r.exitCode === 0) {
        expect(r.stdout).toBe(baseline);
        outcomes.same++;
      } else {
        expectCleanStop(r, `status run ${i + 1}`);
        expect(r.stdout).toBe('');
        outcomes.stopped++;
      }
    }
    // Both paths were taken: faults reached claw, and runs that met none (or only latency) completed.
    expect(outcomes.stopped, JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes.same, JSON.stringify(outcomes)).toBeGreaterThan(0);
    // Only reads were sent, and moto holds what it held.
    const actions = new Set(proxy.seen.slice(from).map((s) => s.action));
    expect(
      [...actions].every((a) => /^(Describe|Get|List)/.test(a ?? '')),
      [...actions].join(', '),
    ).toBe(true);
    expect(await motoState()).toEqual(before);
  });
});
