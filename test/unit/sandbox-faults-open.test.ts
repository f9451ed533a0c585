import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { readFaults, writeFaults, type FaultSettings } from '../../src/sandbox/faults-store.js';
import { openSandbox, resetSandbox, sandboxFaultsPath } from '../../src/sandbox/index.js';

// openSandbox with faults.json: the clients fail as set, the run number advances once per
// opened sandbox that makes a call, the warning is given once, and resetSandbox clears it.

const SEED_DIR = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));
const IMAGES = 'clawdinator-images-eu1-20260107165216';
let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'claw-faults-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true, maxRetries: 5 });
});

const settings = (s: Partial<FaultSettings> = {}): FaultSettings => ({ version: 1, rate: 1, seed: 3, attempts: 2, runs: 0, ...s });

describe('openSandbox with fault injection', () => {
  it('without faults.json nothing is injected and nothing is said', async () => {
    const said: string[] = [];
    const sbx = await openSandbox({ home, seedDir: SEED_DIR, onFaults: (m) => said.push(m) });
    await sbx.clients.s3.headBucket({ Bucket: IMAGES });
    expect(said).toEqual([]);
  });

  it('every call fails at rate 1, before it applies; the warning comes once; the run is counted', async () => {
    await openSandbox({ home, seedDir: SEED_DIR, faults: false });
    await writeFaults(sandboxFaultsPath(home), settings({ runs: 4 }));
    const said: string[] = [];
    const sbx = await openSandbox({ home, seedDir: SEED_DIR, onFaults: (m) => said.push(m) });
    const put = sbx.clients.s3.putObject({ Bucket: IMAGES, Key: 'faults/x', Body: 'x' });
    await expect(put).rejects.toMatchObject({ $metadata: { attempts: 2 } });
    await expect(sbx.clientsFor('eu-central-1').ec2.describeInstances({})).rejects.toHaveProperty('$fault');
    expect(said).toEqual(['sandbox injects faults into 100 % of AWS requests (up to 2 tries per call; seed 3, run 4; claw sandbox faults --off)']);
    expect((await readFaults(sandboxFaultsPath(home)))!.runs).toBe(5);
    // Nothing was written: the object is not there (read past the faults).
    const clean = await openSandbox({ home, seedDir: SEED_DIR, faults: false });
    await expect(clean.clients.s3.headObject({ Bucket: IMAGES, Key: 'faults/x' })).rejects.toMatchObject({ name: 'NotFound' });
    expect((await readFaults(sandboxFaultsPath(home)))!.runs).toBe(5);
  });

  it('a sandbox opened but never called takes no run', async () => {
    await writeFaults(sandboxFaultsPath(home), settings());
    await openSandbox({ home, seedDir: SEED_DIR, onFaults: () => {} });
    expect((await readFaults(sandboxFaultsPath(home)))!.runs).toBe(0);
  });

  it('an invalid faults.json stops the first call with a UsageError naming the file and the fix', async () => {
    await writeFaults(sandboxFaultsPath(home), settings());
    await writeFile(sandboxFaultsPath(home), JSON.stringify({ ...settings(), rate: 2 }));
    // The settings are read at the first call of each run (a dashboard renews its run on each refresh).
    const sbx = await openSandbox({ home, seedDir: SEED_DIR });
    const err = (await sbx.clients.s3.headBucket({ Bucket: IMAGES }).then(
      () => undefined,
      (e: unknown) => e,
    )) as UsageError;
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`${sandboxFaultsPath(home)}: invalid sandbox fault settings: rate: Too big: expected number to be <=1`);
    expect(err.hint).toMatch(/claw sandbox faults --off/);
  });

  it('a long-lived process: faults set after the open apply from its next run, and clearing them too', async () => {
    const sbx = await openSandbox({ home, seedDir: SEED_DIR });
    await sbx.clients.s3.headBucket({ Bucket: IMAGES });
    await writeFaults(sandboxFaultsPath(home), { ...settings(), rate: 1, attempts: 1 });
    // The run in progress keeps what it started with...
    await sbx.clients.s3.headBucket({ Bucket: IMAGES });
    // ...the next one meets the faults...
    sbx.newRun();
    // An injected fault: an AWS-shaped error answer, not a bug of the sandbox.
    await expect(sbx.clients.s3.headBucket({ Bucket: IMAGES })).rejects.toMatchObject({ $metadata: { httpStatusCode: expect.any(Number) } });
    // ...and once they are off, the one after does not.
    await rm(sandboxFaultsPath(home));
    sbx.newRun();
    await sbx.clients.s3.headBucket({ Bucket: IMAGES });
  });

  it('resetSandbox clears fault injection', async () => {
    await writeFaults(sandboxFaultsPath(home), settings());
    await resetSandbox({ home, seedDir: SEED_DIR });
    await expect(readFile(sandboxFaultsPath(home))).rejects.toMatchObject({ code: 'ENOENT' });
    const sbx = await openSandbox({
      home,
      seedDir: SEED_DIR,
      onFaults: () => {
        throw new Error('no faults expected');
      },
    });
    await sbx.clients.s3.headBucket({ Bucket: IMAGES });
  });
});
