import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_REPO, spawnClaw } from '../helpers/claw.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../helpers/fault-proxy.js';
import { openMotoAccount, type MotoAccount } from '../helpers/moto-account.js';

// `claw status --watch` ends on Ctrl-C with exit 0 wherever the Ctrl-C lands: during
// the first refresh, between refreshes, or in the middle of a later refresh (each AWS
// request of two refreshes in turn is held at the proxy while SIGINT arrives).

const endpoint = inject('motoEndpoint');
const suite = endpoint ? describe : describe.skip;
if (!endpoint) console.warn(`SKIPPED status --watch interrupt e2e: ${inject('motoSkipReason')}`);

let account: MotoAccount;
let proxy: FaultProxy;
let scripted: ((req: SeenRequest) => Fault) | undefined;

suite('status --watch and Ctrl-C', () => {
  beforeAll(async () => {
    account = await openMotoAccount(endpoint!);
    proxy = await startFaultProxy(endpoint!, (req) => scripted?.(req));
  });
  afterAll(async () => {
    account?.destroy();
    await proxy?.close();
  });

  // A refresh is 3 requests (instances, images, SSM ping): the 1st to 6th span two refreshes.
  for (const nth of [1, 2, 3, 4, 5, 6]) {
    it(`Ctrl-C while request ${nth} is in flight: exit 0, no "interrupted"`, { timeout: 30_000 }, async () => {
      let seen = 0;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let arrived!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      scripted = () => {
        if (++seen !== nth) return undefined;
        arrived();
        return { until: held };
      };
      const run = spawnClaw(['status', '--watch', '--interval', '1', '--repo', FIXTURE_REPO], {
        env: { ...account.env, AWS_ENDPOINT_URL: proxy.endpoint },
        timeoutMs: 20_000,
      });
      await reached;
      run.child.kill('SIGINT');
      release();
      const r = await run.done;
      scripted = undefined;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/interrupted|error:/);
    });
  }
});
