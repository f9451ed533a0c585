import type { GetCallerIdentityCommandInput, GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import type { StsApi } from '../aws/clients.js';
import { okMetadata, rejectUnsupported } from './errors.js';
import type { SandboxWorld } from './world.js';

// Who the sandbox's credentials are: a fixed operator user of the simulated account.

export function createSts(world: SandboxWorld): StsApi {
  return {
    async getCallerIdentity(input: GetCallerIdentityCommandInput): Promise<GetCallerIdentityCommandOutput> {
      rejectUnsupported('STS GetCallerIdentity', input, []);
      const account = world.state.accountId;
      return {
        $metadata: okMetadata(),
        Account: account,
        UserId: 'AIDASANDBOXOPERATOR0',
        Arn: `arn:aws:iam::${account}:user/sandbox-operator`,
      };
    },
  };
}
