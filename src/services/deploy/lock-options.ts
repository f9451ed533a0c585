import { hostname, userInfo } from 'node:os';
import type { S3Api } from '../../aws/clients.js';
import type { DeployLockOptions } from '../../aws/lock.js';
import type { LockRecord } from '../../core/lock.js';
import { deadLocalRun, startLocalRun } from '../../nix/local-runs.js';
import type { ServiceDeps } from '../deps.js';

// Taking the deploy lock as this operator: who we are, whether a lock's holder is a dead
// process on this machine, and a client that can still release it after Ctrl-C.

/** `user@host` of whoever runs claw, for the lock and the history. */
export function operatorIdentity(deps: Pick<ServiceDeps, 'env'>): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = deps.env.USER ?? deps.env.LOGNAME;
  }
  const clean = (s: string | undefined) => (s ?? '').replace(/[^A-Za-z0-9._-]/g, '') || 'unknown';
  return `${clean(user)}@${clean(hostname())}`.slice(0, 200);
}

/**
 * A lock left by a claw that died on this machine (a kill -9, a crash): its run id is one
 * this machine recorded (src/nix/local-runs.ts) and that process is gone. The holder's
 * user@host and pid alone never decide it: another machine may carry the same name.
 */
export function staleHere(home: string): (lock: LockRecord) => boolean {
  return (lock) => lock.pid !== process.pid && deadLocalRun(home, lock.id);
}

/**
 * Everything `withDeployLock(s3, options, body)` needs for a deploy run by this
 * operator: the bootstrap bucket, holder, pid, Ctrl-C signal, cleanup client, events.
 */
export async function deployLockOptions(
  deps: ServiceDeps,
  o: { target: string; rev: string; ttlMs?: number },
): Promise<{ s3: S3Api; options: DeployLockOptions }> {
  const me = operatorIdentity(deps);
  // Recorded before the lock is taken, forgotten when claw exits (the lock is released by
  // then); a claw killed outright leaves the record, which is how its lock is known as stale.
  const run = startLocalRun(deps.home, 'deploy lock', deps.now());
  process.once('exit', run.end);
  return {
    s3: (await deps.clients()).s3,
    options: {
      id: run.id,
      bucket: deps.config.values.bootstrapBucket,
      holder: me,
      pid: process.pid,
      target: o.target,
      rev: o.rev,
      ttlMs: o.ttlMs,
      now: () => deps.now(),
      isStale: staleHere(deps.home),
      signal: deps.signal,
      cleanupS3: await deps.cleanupS3(),
      events: deps.events,
    },
  };
}
