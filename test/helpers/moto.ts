import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';

// A moto server (python3 -m moto.server) for the contract and e2e tests: one process
// on a free 127.0.0.1 port, started and stopped by the test run that owns it.

const PYTHON = 'python3';

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/** Why moto cannot be used here, or null when `python3 -m moto.server` can run. */
export function motoUnavailableReason(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', 'import moto.server'], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(null);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve(`${PYTHON} is not on PATH`);
      const last = stderr.trim().split('\n').at(-1) ?? err.message;
      resolve(`\`${PYTHON} -c "import moto.server"\` failed: ${last} (install with: pip install "moto[server]")`);
    });
  });
}

export async function motoAvailable(): Promise<boolean> {
  return (await motoUnavailableReason()) === null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function startOnce(timeoutMs: number): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // moto logs every request: keep draining the pipes, remember only the tail.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited: number | string | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal;
      resolve();
    }),
  );
  child.once('error', (err) => {
    exited = err.message;
  });

  const stop = async () => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exit;
    clearTimeout(killer);
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`moto exited (${exited}) before answering on ${endpoint}:\n${tail}`);
    if (await answers(endpoint)) return { endpoint, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms:\n${tail}`);
}

/** Start moto on a free port and wait until it answers. Retries once if the port was taken meanwhile. */
export async function startMoto(opts: { timeoutMs?: number } = {}): Promise<MotoServer> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  try {
    return await startOnce(timeoutMs);
  } catch (first) {
    if (!/exited/.test((first as Error).message)) throw first;
    return startOnce(timeoutMs);
  }
}

/** Forget everything moto holds (all services, all regions). Only for a moto no other test file is using. */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}
