import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// A local HTTP proxy in front of moto that fails chosen requests, to prove claw stops
// cleanly (and can finish later) when AWS misbehaves mid-operation. Errors are rendered
// the way each service's protocol renders them, so the SDK parses the real error code
// and its retry strategy treats them as AWS's would be treated.

/** How the request's service renders errors: EC2 query, awsQuery (STS, CloudFormation), awsJson (SSM), S3 REST-XML. */
export type Protocol = 'ec2' | 'query' | 'json' | 's3';

export interface SeenRequest {
  method: string;
  path: string;
  protocol: Protocol;
  /** The signing service from the Authorization header (ec2, s3, ssm, sts...), when signed. */
  service: string | undefined;
  /** The Query-protocol action (EC2, STS) or the X-Amz-Target operation (JSON protocols), when present. */
  action: string | undefined;
  /** The body as text, cut at 64 KiB (query parameters are all in the first bytes). */
  body: string;
  /** The SDK's id of the call, the same on each of its tries (amz-sdk-invocation-id). */
  invocation: string | undefined;
  /** Which try of the call this is, from 1 (amz-sdk-request: attempt=N; max=M). */
  attempt: number | undefined;
  /** What the proxy did to it, when anything. */
  fault?: string;
}

export type Fault =
  /** Answer with this AWS error, rendered in the request's protocol (not forwarded). */
  | { status: number; code: string; message?: string }
  /** The service's own throttling error (RequestLimitExceeded, SlowDown, ThrottlingException, Throttling). */
  | 'throttle'
  /** Forward after a delay. */
  | { delayMs: number }
  /** Close the connection without forwarding (the request never reached AWS). */
  | 'drop'
  /** Forward, then close the connection instead of answering (AWS did it; the answer was lost). */
  | 'drop-after'
  /** Accept the request and never answer nor forward it (a silent endpoint). */
  | 'hang'
  /** Forward once `until` settles (a test decides when the request reaches AWS). */
  | { until: Promise<unknown> }
  /** Forward, then answer with the body rewritten (an intercepting proxy, a wrong endpoint). */
  | { rewrite: (body: string) => string }
  | undefined;

export interface FaultProxy {
  endpoint: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

const BODY_KEPT = 64 * 1024;

function protocolOf(headers: IncomingHttpHeaders, body: string, service: string | undefined): Protocol {
  if (typeof headers['x-amz-target'] === 'string') return 'json';
  const form = String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  if (form && /(^|&)Action=/.test(body)) return service === 'ec2' || /(^|&)Version=2016-11-15(&|$)/.test(body) ? 'ec2' : 'query';
  return 's3';
}

function actionOf(headers: IncomingHttpHeaders, body: string, protocol: Protocol): string | undefined {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop();
  return protocol === 'ec2' || protocol === 'query' ? (new URLSearchParams(body).get('Action') ?? undefined) : undefined;
}

/** The service named in a SigV4 credential scope: Credential=<key>/<date>/<region>/<service>/aws4_request. */
function serviceOf(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''))?.[1];
}

/** Each protocol's throttling answer, as AWS sends it. */
const THROTTLE: Record<Protocol, { status: number; code: string }> = {
  ec2: { status: 503, code: 'RequestLimitExceeded' },
  s3: { status: 503, code: 'SlowDown' },
  json: { status: 400, code: 'ThrottlingException' },
  query: { status: 400, code: 'Throttling' },
};

let requestIds = 0;
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An AWS error response in the protocol's own shape (what the SDK's deserializers read the code from). */
export function renderError(res: ServerResponse, protocol: Protocol, fault: { status: number; code: string; message?: string }): void {
  const id = `fault-${++requestIds}`;
  const code = xmlEscape(fault.code);
  const message = xmlEscape(fault.message ?? 'injected fault');
  if (protocol === 'json') {
    res.writeHead(fault.status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': id,
      'x-amzn-errortype': fault.code,
      'x-amzn-query-error': `${fault.code};${fault.status >= 500 ? 'Receiver' : 'Sender'}`,
    });
    res.end(JSON.stringify({ __type: fault.code, message: fault.message ?? 'injected fault' }));
    return;
  }
  const xml =
    protocol === 'ec2'
      ? `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${id}</RequestID></Response>`
      : protocol === 'query'
        ? `<ErrorResponse><Error><Type>${fault.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`
        : `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${id}</RequestId></Error>`;
  res.writeHead(fault.status, { 'content-type': protocol === 's3' ? 'application/xml' : 'text/xml', 'x-amz-request-id': id });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

/**
 * The calls whose every try (`tries` of them) failed at the proxy: what a run with that
 * many tries per request cannot absorb. Latency is not a failure.
 */
export function exhaustedCalls(seen: readonly SeenRequest[], tries: number): SeenRequest[][] {
  const calls = new Map<string, SeenRequest[]>();
  for (const r of seen) if (r.invocation) calls.set(r.invocation, [...(calls.get(r.invocation) ?? []), r]);
  return [...calls.values()].filter((c) => c.length >= tries && c.every((r) => r.fault !== undefined && !r.fault.startsWith('delay')));
}

const describe = (fault: Exclude<Fault, undefined>): string => {
  if (typeof fault === 'string') return fault;
  if ('delayMs' in fault) return `delay ${fault.delayMs}ms`;
  if ('until' in fault) return 'held';
  if ('rewrite' in fault) return 'rewritten';
  return `${fault.status} ${fault.code}`;
};

export async function startFaultProxy(target: string, decide: (req: SeenRequest) => Fault): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.subarray(0, BODY_KEPT).toString('utf8');
      const service = serviceOf(req.headers);
      const protocol = protocolOf(req.headers, body, service);
      const tries = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
      const invocation = req.headers['amz-sdk-invocation-id'];
      const seenReq: SeenRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        protocol,
        service,
        action: actionOf(req.headers, body, protocol),
        body,
        invocation: typeof invocation === 'string' ? invocation : undefined,
        attempt: tries ? Number(tries[1]) : undefined,
      };
      seen.push(seenReq);
      const fault = decide(seenReq);
      if (fault) seenReq.fault = describe(fault);
      if (fault === 'drop') return void req.socket.destroy();
      if (fault === 'hang') return;
      if (fault === 'throttle') return renderError(res, protocol, { ...THROTTLE[protocol], message: 'Rate exceeded (injected)' });
      if (typeof fault === 'object' && 'status' in fault) return renderError(res, protocol, fault);
      const forward = () => {
        const fwd = request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
          (up) => {
            if (fault === 'drop-after') {
              // Let AWS finish the work, then lose its answer.
              up.resume();
              up.on('end', () => req.socket.destroy());
              return;
            }
            if (typeof fault === 'object' && 'rewrite' in fault) {
              const parts: Buffer[] = [];
              up.on('data', (c: Buffer) => parts.push(c));
              up.on('end', () => {
                const text = fault.rewrite(Buffer.concat(parts).toString('utf8'));
                const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(text)) };
                delete headers['transfer-encoding'];
                res.writeHead(up.statusCode ?? 502, headers);
                res.end(text);
              });
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        fwd.on('error', () => res.destroy());
        fwd.end(raw);
      };
      if (typeof fault === 'object' && 'delayMs' in fault) setTimeout(forward, fault.delayMs);
      else if (typeof fault === 'object' && 'until' in fault) void fault.until.then(forward, forward);
      else forward();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultKind = '500' | '503' | 'throttle' | 'latency' | 'drop' | 'drop-after';
export const ALL_FAULT_KINDS: readonly FaultKind[] = ['500', '503', 'throttle', 'latency', 'drop', 'drop-after'];

/** The 500 and 503 each protocol's service sends. */
const SERVER_ERROR: Record<'500' | '503', Record<Protocol, string>> = {
  500: { ec2: 'InternalError', s3: 'InternalError', json: 'InternalServerError', query: 'InternalFailure' },
  503: { ec2: 'Unavailable', s3: 'ServiceUnavailable', json: 'ServiceUnavailable', query: 'ServiceUnavailable' },
};

export interface RandomFaults {
  /** Pass to startFaultProxy. */
  decide: (req: SeenRequest) => Fault;
  /** Faults injected so far, by kind. */
  counts: Record<FaultKind, number>;
  /** Faults injected so far, all kinds (latency included). */
  injected(): number;
  /** Off: every request is forwarded untouched (e.g. while a test seeds or checks moto). */
  enabled: boolean;
}

/**
 * Fail `rate` of the requests (those `only` accepts), each with one of `kinds` picked
 * uniformly, from a seeded PRNG shared by every faults test.
 */
export function randomFaults(opts: {
  rate: number;
  seed: number;
  kinds?: readonly FaultKind[];
  /** Added latency, picked uniformly in [min, max] ms. */
  latencyMs?: [number, number];
  only?: (req: SeenRequest) => boolean;
}): RandomFaults {
  const random = mulberry32(opts.seed);
  const kinds = opts.kinds ?? ALL_FAULT_KINDS;
  const [minMs, maxMs] = opts.latencyMs ?? [200, 1500];
  const counts = Object.fromEntries(ALL_FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const plan: RandomFaults = {
    counts,
    enabled: true,
    injected: () => Object.values(counts).reduce((a, b) => a + b, 0),
    decide: (req) => {
      if (!plan.enabled || (opts.only && !opts.only(req))) return undefined;
      if (random() >= opts.rate) return undefined;
      const kind = kinds[Math.floor(random() * kinds.length)]!;
      counts[kind]++;
      switch (kind) {
        case '500':
        case '503':
          return { status: Number(kind), code: SERVER_ERROR[kind][req.protocol] };
        case 'latency':
          return { delayMs: Math.round(minMs + random() * (maxMs - minMs)) };
        default:
          return kind;
      }
    },
  };
  return plan;
}
