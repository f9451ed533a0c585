import type { AwsClients, ServiceName } from './clients.js';

export interface CallRecord {
  service: ServiceName;
  operation: string;
  durationMs: number;
  ok: boolean;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Wrap every client method so each call is reported (service, operation, duration) and
 * any error is annotated with where it came from. Works the same for SDK and sandbox.
 */
export function instrument(clients: AwsClients, onCall: (call: CallRecord) => void): AwsClients {
  const wrap = <T extends object>(service: ServiceName, api: T): T =>
    new Proxy(api, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        const operation = pascal(prop);
        return async (...args: unknown[]) => {
          const start = performance.now();
          let ok = false;
          try {
            const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            ok = true;
            return out;
          } catch (err) {
            if (err && typeof err === 'object' && !('clawCall' in err)) {
              Object.defineProperty(err, 'clawCall', { value: { service, operation }, enumerable: false });
            }
            throw err;
          } finally {
            onCall({ service, operation, durationMs: performance.now() - start, ok });
          }
        };
      },
    });
  return {
    ec2: wrap('ec2', clients.ec2),
    s3: wrap('s3', clients.s3),
    ssm: wrap('ssm', clients.ssm),
    sts: wrap('sts', clients.sts),
    cloudformation: wrap('cloudformation', clients.cloudformation),
  };
}
