// The endpoint every peer is pointed at: a small HTTP front on 127.0.0.1 that
// forwards each request to moto unchanged, counts it by service and operation (the
// same meter for claw, the aws CLI and rclone), and answers the one call moto lacks
// (SSM DescribeInstanceInformation, see ssm-stub.mjs). It adds the same small hop to
// every peer's every request.
import { Buffer } from 'node:buffer';
import { createServer, request } from 'node:http';
import { URL, URLSearchParams } from 'node:url';
import { HOST } from './moto.mjs';
import { describeInstanceInformation, SsmStubError } from './ssm-stub.mjs';

const MAX_BODY = 64 * 1024 * 1024;

function s3Operation(method, url) {
  const parts = url.pathname.split('/').filter(Boolean);
  const q = url.searchParams;
  if (!parts.length) return method === 'GET' ? 'ListBuckets' : `${method} /`;
  if (parts.length === 1) {
    if (method === 'GET')
      return q.get('list-type') === '2'
        ? 'ListObjectsV2'
        : q.has('location')
          ? 'GetBucketLocation'
          : q.has('versioning')
            ? 'GetBucketVersioning'
            : 'ListObjects';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
    return `${method} bucket`;
  }
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'PUT') return q.has('partNumber') ? 'UploadPart' : 'PutObject';
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'POST object';
  return `${method} object`;
}

/** { service, operation } of one signed AWS request. */
export function classify(req, body) {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1] ?? 'unsigned';
  const url = new URL(req.url ?? '/', `http://${HOST}`);
  const target = req.headers['x-amz-target'];
  if (target) return { service, operation: String(target).split('.').pop() };
  if (service === 's3') return { service, operation: s3Operation(req.method, url) };
  const action = url.searchParams.get('Action') ?? new URLSearchParams(body.toString('utf8')).get('Action');
  return { service, operation: action ?? `${req.method} ${url.pathname}` };
}

/**
 * Start the front for the moto at `motoUrl`. `managedNodes()` gives the SSM view of the
 * seeded fleet at request time. Returns { url, counts(), reset(), close() }.
 */
export async function startFront(motoUrl, managedNodes) {
  const moto = new URL(motoUrl);
  let counts = new Map();
  const count = (key) => counts.set(key, (counts.get(key) ?? 0) + 1);

  const answer = (res, status, payload) => {
    const body = Buffer.from(JSON.stringify(payload));
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': body.length, 'x-amzn-requestid': 'bench-front' });
    res.end(body);
  };

  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (d) => {
      size += d.length;
      if (size <= MAX_BODY) chunks.push(d);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { service, operation } = classify(req, body);
      count(`${service}.${operation}`);
      if (service === 'ssm' && operation === 'DescribeInstanceInformation') {
        try {
          answer(res, 200, describeInstanceInformation(JSON.parse(body.toString('utf8') || '{}'), managedNodes()));
        } catch (err) {
          const type = err instanceof SsmStubError ? err.type : 'ValidationException';
          answer(res, 400, { __type: type, message: err.message });
        }
        return;
      }
      const headers = { ...req.headers, host: moto.host };
      const upstream = request({ host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`bench front: moto unreachable: ${err.message}`);
      });
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address();
  return {
    url: `http://${HOST}:${port}`,
    /** Requests seen since the last reset, as { "ec2.DescribeInstances": 1, ... }. */
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
    reset: () => {
      counts = new Map();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
