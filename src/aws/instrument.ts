import type { AwsClients, ServiceName } from './clients.js';

export interface CallRecord {
  service: ServiceName;
  operation: string;
  durationMs: number;
  ok: boolean;
  /** What answered instead, when not ok: the error's name and HTTP status, if any. */
  error?: { name: string; status: number | undefined } | undefined;
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
          let error: CallRecord['error'];
          try {
            const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            ok = true;
            return out;
          } catch (err) {
            if (err && typeof err === 'object' && !('clawCall' in err)) {
              Object.defineProperty(err, 'clawCall', { value: { service, operation }, enumerable: false });
            }
            const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined;
            const status = e?.$metadata?.httpStatusCode;
            error = { name: typeof e?.name === 'string' ? e.name : 'Error', status: typeof status === 'number' ? status : undefined };
            throw err;
          } finally {
            onCall({ service, operation, durationMs: performance.now() - start, ok, error });
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

/** A 404 for a key or object that is simply not there: an answer ("nothing there"), not a failure. */
export const isAbsentAnswer = (e: CallRecord['error']) => e !== undefined && e.status === 404 && ['NoSuchKey', 'NotFound'].includes(e.name);

/** The outcome word of a --verbose call line: ok, the 404 that means "not there", or failed with why. */
export function callOutcome(c: CallRecord): string {
  if (c.ok) return 'ok';
  if (isAbsentAnswer(c.error)) return `404 ${c.error!.name} (not there)`;
  return c.error ? `failed: ${c.error.name}${c.error.status !== undefined ? ` (HTTP ${c.error.status})` : ''}` : 'failed';
}
