import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstanceInformationCommand, type DescribeInstanceInformationCommandOutput, type InstanceInformation } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SsmApi } from '../../src/aws/clients.js';
import { openSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SandboxUnsupportedError } from '../../src/core/errors.js';
import { collectPages, expectAwsError, motoEndpoint, SEED_DIR } from './backends.js';
import { narrowClients, rawMotoClients, ssmApiOver } from './moto-clients.js';

// The SSM contract. moto 5.2.1 does NOT implement DescribeInstanceInformation (it
// answers HTTP 500 with an HTML error page; pinned at the end of this file), so the
// shared suite runs against the sandbox and against an SDK client mocked with
// aws-sdk-client-mock that replays AWS's answer (test/contract/recorded/). The
// behaviour a replay cannot show (filters, MaxResults limits, tokens) is covered
// against the sandbox alone.

interface Recorded {
  pages: (Omit<DescribeInstanceInformationCommandOutput, '$metadata' | 'InstanceInformationList'> & {
    InstanceInformationList: (Omit<InstanceInformation, 'LastPingDateTime'> & { LastPingDateTime: string })[];
  })[];
}

const recorded = JSON.parse(readFileSync(new URL('./recorded/ssm-describe-instance-information.json', import.meta.url), 'utf8')) as Recorded;

/** The recorded pages as the SDK hands them out (dates as Date objects). */
function recordedPage(n: number): DescribeInstanceInformationCommandOutput {
  const page = recorded.pages[n]!;
  return {
    $metadata: { httpStatusCode: 200 },
    ...page,
    InstanceInformationList: page.InstanceInformationList.map((i) => ({ ...i, LastPingDateTime: new Date(i.LastPingDateTime) })),
  };
}

/** The recorded account's fleet (its babelfish lost its connection). */
const FLEET: Record<string, string> = {
  'i-0a3f5c9e2b7d41c08': 'Online',
  'i-0b6e8d1f4a2c73e59': 'Online',
  'i-0c9a2b4d6e8f10a37': 'ConnectionLost',
};
/** The sandbox seed: its fleet all online, the stopped unregistered instance's agent lost, and the OpenClaw lab host. */
const SEEDED = {
  ...FLEET,
  'i-0c9a2b4d6e8f10a37': 'Online',
  'i-03b5d7f9a1c2e4068': 'Online',
  'i-0d1c3e5a7b9f20c46': 'ConnectionLost',
  'i-07e1a3c5b9d2f4068': 'Online',
};

async function allInformation(ssm: SsmApi, input: { MaxResults?: number; Filters?: { Key: string; Values: string[] }[] } = {}) {
  return collectPages(async (token) => {
    const out = await ssm.describeInstanceInformation({ ...input, NextToken: token });
    return { items: out.InstanceInformationList ?? [], next: out.NextToken };
  });
}

interface SsmBackend {
  ssm: SsmApi;
  /** Every managed instance of this account, with its ping. */
  managed: Record<string, string>;
  close(): Promise<void>;
}

const ssmBackends: Record<string, () => Promise<SsmBackend>> = {
  sandbox: async () => {
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-ssm-'));
    const sandbox = await openSandbox({ home, seedDir: SEED_DIR });
    return { ssm: sandbox.clients.ssm, managed: SEEDED, close: () => rm(home, { recursive: true, force: true, maxRetries: 5 }) };
  },
  'recorded AWS (aws-sdk-client-mock)': async () => {
    // Mock this one client instance only (mocking the class would also catch the moto probe below).
    const raw = rawMotoClients('http://127.0.0.1:9'); // never contacted: send() is mocked
    const mock = mockClient(raw.ssm);
    mock.on(DescribeInstanceInformationCommand).callsFake((input: { NextToken?: string }) => {
      if (input.NextToken === undefined) return recordedPage(0);
      if (input.NextToken === recorded.pages[0]!.NextToken) return recordedPage(1);
      throw new Error(`unexpected NextToken ${input.NextToken}`);
    });
    return {
      ssm: ssmApiOver(raw.ssm),
      managed: FLEET,
      close: async () => {
        mock.restore();
        raw.ssm.destroy();
      },
    };
  },
};

for (const [name, open] of Object.entries(ssmBackends)) {
  describe(`SSM describeInstanceInformation [${name}]`, () => {
    let backend: SsmBackend;
    beforeAll(async () => {
      backend = await open();
    });
    afterAll(async () => backend.close());

    it('pages through every managed instance once, with its ping status', async () => {
      const pages = await allInformation(backend.ssm);
      const all = pages.flat();
      expect(Object.fromEntries(all.map((i) => [i.InstanceId, i.PingStatus]))).toEqual(backend.managed);
      expect(all).toHaveLength(Object.keys(backend.managed).length);
    });

    it('answers the fields claw reads with the types AWS uses', async () => {
      const all = (await allInformation(backend.ssm)).flat();
      for (const i of all) {
        expect(i.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
        expect(['Online', 'ConnectionLost', 'Inactive']).toContain(i.PingStatus);
        expect(i.LastPingDateTime).toBeInstanceOf(Date);
        expect(i).toMatchObject({ PlatformType: 'Linux', ResourceType: 'EC2Instance', PlatformName: 'NixOS' });
        expect(typeof i.IsLatestVersion).toBe('boolean');
        expect(typeof i.ComputerName).toBe('string');
      }
    });
  });
}

describe('SSM sandbox output has the shape of the recorded AWS answer', () => {
  it('every field AWS sends is there, with the same type', async () => {
    const home = await mkdtemp(join(tmpdir(), 'claw-contract-ssm-'));
    const sandbox = await openSandbox({ home, seedDir: SEED_DIR });
    const out = await sandbox.clients.ssm.describeInstanceInformation({});
    const aws = recordedPage(0).InstanceInformationList![0]!;
    const mine = out.InstanceInformationList!.find((i) => i.InstanceId === aws.InstanceId)!;
    const typeOf = (v: unknown) => (v instanceof Date ? 'Date' : Array.isArray(v) ? 'array' : typeof v);
    const shape = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeOf(v)]));
    expect(shape(mine)).toEqual(shape(aws));
    expect(out.$metadata.httpStatusCode).toBe(200);
    await rm(home, { recursive: true, force: true, maxRetries: 5 });
  });
});

// Sandbox only: filters, limits and tokens (moto has no DescribeInstanceInformation;
// a replayed answer cannot show them).
describe('SSM sandbox only (moto does not implement DescribeInstanceInformation)', () => {
  let home: string;
  let sandbox: Sandbox;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'claw-contract-ssm-'));
    sandbox = await openSandbox({ home, seedDir: SEED_DIR });
    // Four more than the seed's six, so pages of 5 and the default page of 10 both matter.
    for (let n = 0; n < 4; n++) {
      await sandbox.admin.registerManagedInstance({ instanceId: `i-0aaaaaaaaaaaaaa${n}0`, pingStatus: n % 2 ? 'Inactive' : 'Online' });
    }
  });
  afterAll(() => rm(home, { recursive: true, force: true, maxRetries: 5 }));

  it('InstanceIds filter: only those; an unmanaged instance is simply absent', async () => {
    const out = await sandbox.clients.ssm.describeInstanceInformation({
      Filters: [{ Key: 'InstanceIds', Values: ['i-0c9a2b4d6e8f10a37', 'i-0e2d4f6a8c0b31d55'] }],
    });
    expect(out.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus])).toEqual([['i-0c9a2b4d6e8f10a37', 'Online']]);
  });

  it('PingStatus filter', async () => {
    const pages = await allInformation(sandbox.clients.ssm, { Filters: [{ Key: 'PingStatus', Values: ['Inactive'] }] });
    expect(pages.flat().map((i) => i.InstanceId)).toEqual(['i-0aaaaaaaaaaaaaa10', 'i-0aaaaaaaaaaaaaa30']);
  });

  it('MaxResults 5 pages 10 instances as 5 + 5; without MaxResults AWS pages at 10', async () => {
    const pages = await allInformation(sandbox.clients.ssm, { MaxResults: 5 });
    expect(pages.map((p) => p.length)).toEqual([5, 5]);
    expect(new Set(pages.flat().map((i) => i.InstanceId)).size).toBe(10);
    const first = await sandbox.clients.ssm.describeInstanceInformation({});
    expect(first.InstanceInformationList).toHaveLength(10);
    expect(first.NextToken).toBeUndefined();
    await sandbox.admin.registerManagedInstance({ instanceId: 'i-0bbbbbbbbbbbbbbb0', pingStatus: 'Online' });
    const again = await sandbox.clients.ssm.describeInstanceInformation({});
    expect(again.InstanceInformationList).toHaveLength(10);
    expect(again.NextToken).toBeDefined();
  });

  it('MaxResults outside 5..50 is ValidationException; a bad token InvalidNextToken', async () => {
    await expectAwsError(sandbox.clients.ssm.describeInstanceInformation({ MaxResults: 4 }), 'ValidationException', 400);
    await expectAwsError(sandbox.clients.ssm.describeInstanceInformation({ MaxResults: 51 }), 'ValidationException', 400);
    await expectAwsError(sandbox.clients.ssm.describeInstanceInformation({ NextToken: 'garbage' }), 'InvalidNextToken', 400);
  });

  it('a malformed instance id in the filter is InvalidInstanceInformationFilterValue', async () => {
    await expectAwsError(
      sandbox.clients.ssm.describeInstanceInformation({ Filters: [{ Key: 'InstanceIds', Values: ['clawdinator-1'] }] }),
      'InvalidInstanceInformationFilterValue',
      400,
    );
  });

  it('an unimplemented filter key or parameter throws SandboxUnsupportedError', async () => {
    await expect(sandbox.clients.ssm.describeInstanceInformation({ Filters: [{ Key: 'PlatformTypes', Values: ['Linux'] }] })).rejects.toThrow(
      /does not implement filter key "PlatformTypes"/,
    );
    await expect(
      sandbox.clients.ssm.describeInstanceInformation({ InstanceInformationFilterList: [{ key: 'InstanceIds', valueSet: ['i-0a3f5c9e2b7d41c08'] }] }),
    ).rejects.toBeInstanceOf(SandboxUnsupportedError);
  });
});

// What moto 5.2.1 answers for an operation it does not implement. Production maps this
// to "ssm ping unknown"; if this test fails, moto changed and the SSM contract can move
// into the shared suite.
describe.skipIf(!motoEndpoint().endpoint)('SSM moto: DescribeInstanceInformation is not implemented', () => {
  it('answers HTTP 500 with an HTML page; the SDK throws a SyntaxError without $fault, after its retries', async () => {
    // SDK defaults (3 attempts), as a production client would be configured.
    const err = (await narrowClients(motoEndpoint().endpoint!, { maxAttempts: 3 })
      .ssm.describeInstanceInformation({})
      .catch((e: unknown) => e)) as SyntaxError & {
      $metadata?: { httpStatusCode?: number; attempts?: number };
      $fault?: string;
      $response?: { statusCode?: number; headers?: Record<string, string> };
    };
    expect(err).toBeInstanceOf(SyntaxError);
    expect({ name: err.name, fault: err.$fault, status: err.$metadata?.httpStatusCode, attempts: err.$metadata?.attempts }).toEqual({
      name: 'SyntaxError',
      fault: undefined,
      status: 500,
      attempts: 3,
    });
    expect(err.message).toMatch(/^Unexpected token '<', "<!doctype "\.\.\. is not valid JSON/);
    expect(err.message).toContain('Deserialization error');
    expect(err.$response?.statusCode).toBe(500);
    expect(err.$response?.headers?.['content-type']).toMatch(/^text\/html/);
  });
});
