import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { AwsClients, SsmApi } from '../../src/aws/clients.js';
import { createSdkClients } from '../../src/aws/sdk-clients.js';

// Raw SDK v3 clients pointed at moto (for seeding), and claw's own narrow clients.

export const REGION = 'eu-central-1';

export interface RawClients {
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
}

export function rawMotoClients(endpoint: string, opts: { maxAttempts?: number } = {}): RawClients {
  const common = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // One attempt: a moto 500 should fail the test now, not after retries.
    maxAttempts: opts.maxAttempts ?? 1,
  };
  return {
    ec2: new EC2Client(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    ssm: new SSMClient(common),
  };
}

/**
 * The production SDK implementation (src/aws/sdk-clients.ts) pointed at moto: the
 * contract suite checks claw's real AWS code, not a test double of it.
 */
export function narrowClients(endpoint: string, opts: { maxAttempts?: number } = {}): AwsClients {
  return createSdkClients({
    region: REGION,
    endpointUrl: endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // One attempt: a moto 500 should fail the test now, not after retries.
    maxAttempts: opts.maxAttempts ?? 1,
  });
}

export function destroyRaw(raw: RawClients): void {
  raw.ec2.destroy();
  raw.s3.destroy();
  raw.ssm.destroy();
}

/**
 * The narrow SSM interface over one SDK client, the way src/aws/sdk-clients.ts builds it:
 * for a client whose send() aws-sdk-client-mock answers with recorded AWS payloads.
 */
export function ssmApiOver(client: SSMClient): SsmApi {
  return {
    describeInstanceInformation: (i) => client.send(new DescribeInstanceInformationCommand(i)),
    sendCommand: (i) => client.send(new SendCommandCommand(i)),
    getCommandInvocation: (i) => client.send(new GetCommandInvocationCommand(i)),
    listCommandInvocations: (i) => client.send(new ListCommandInvocationsCommand(i)),
  };
}
