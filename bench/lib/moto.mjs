// The moto server the bench runs against: started on a free 127.0.0.1 port, polled
// until it answers (bounded), stopped at the end whatever happens.
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';
const START_DEADLINE_MS = 30_000;

/** A port the OS says is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** moto's version, or undefined when python3 or moto is missing. */
export function motoVersion(python = 'python3') {
  const r = spawnSync(python, ['-c', 'import moto, sys; sys.stdout.write(moto.__version__)'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && r.stdout ? r.stdout.trim() : undefined;
}

function ping(url) {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Start `python3 -m moto.server -H 127.0.0.1 -p <port>` and wait until it answers.
 * Returns { url, port, stop() }; throws (after stopping it) when it never comes up.
 */
export async function startMoto({ env, python = 'python3' } = {}) {
  const port = await freePort();
  const child = spawn(python, ['-m', 'moto.server', '-H', HOST, '-p', String(port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // moto logs every request; keep only the tail, for a failure message.
  let tail = '';
  const keep = (d) => {
    tail = (tail + d).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', (err) => {
    exited = true;
    keep(`\n${err.message}`);
  });

  const stop = () => {
    if (!exited && child.exitCode === null) child.kill('SIGTERM');
    exited = true;
  };
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await ping(`${url}/moto-api/`)) return { url, port, pid: child.pid, stop };
    await sleep(100);
  }
  stop();
  throw new Error(`moto did not answer on ${url} within ${START_DEADLINE_MS / 1000}s${tail ? `:\n${tail.trim().split('\n').slice(-5).join('\n')}` : ''}`);
}
