import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local HTTP proxy in front of moto that fails chosen requests, to prove claw stops
// cleanly (and can finish later) when AWS misbehaves mid-operation.

export interface SeenRequest {
  method: string;
  path: string;
  /** The Query-protocol action (EC2) or the X-Amz-Target (JSON protocols), when present. */
  action: string | undefined;
  body: string;
}

export type Fault = { status: number; code: string; message?: string } | 'drop' | undefined;

export interface FaultProxy {
  endpoint: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

function actionOf(headers: IncomingHttpHeaders, body: string): string | undefined {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop();
  return new URLSearchParams(body).get('Action') ?? undefined;
}

export async function startFaultProxy(target: string, decide: (req: SeenRequest) => Fault): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const seenReq: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', action: actionOf(req.headers, body), body };
      seen.push(seenReq);
      const fault = decide(seenReq);
      if (fault === 'drop') return req.socket.destroy();
      if (fault) {
        res.writeHead(fault.status, { 'content-type': 'text/xml' });
        return res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${fault.code}</Code><Message>${fault.message ?? 'injected fault'}</Message></Error></Errors><RequestID>fault</RequestID></Response>`);
      }
      const fwd = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => res.destroy());
      fwd.end(raw);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
