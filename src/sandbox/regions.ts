import type { AwsClients } from '../aws/clients.js';
import { awsError } from './errors.js';

// The simulated account lives in one region (account.json). Asked for another region,
// every call fails the way AWS answers an account that may not use a region:
// `OptInRequired` (HTTP 401), naming the region, before anything is read.

function notEnabled<T extends object>(api: T, region: string, home: string): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return () =>
        Promise.reject(
          awsError('OptInRequired', `You are not subscribed to this service in region ${region}: the simulated account answers for ${home} only`, 401),
        );
    },
  });
}

/** The account's clients as seen from `region`. */
export function clientsInRegion(clients: AwsClients, home: string, region: string): AwsClients {
  if (region === home) return clients;
  return {
    ec2: notEnabled(clients.ec2, region, home),
    s3: notEnabled(clients.s3, region, home),
    ssm: notEnabled(clients.ssm, region, home),
    sts: notEnabled(clients.sts, region, home),
    cloudformation: notEnabled(clients.cloudformation, region, home),
  };
}
