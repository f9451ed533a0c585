import { hostname, userInfo } from 'node:os';
import type { S3Api } from '../aws/clients.js';
import { instrument } from '../aws/instrument.js';
import { deleteLockIfUnchanged, readLock, type DeployLockOptions } from '../aws/lock.js';
import { RefusedError } from '../core/errors.js';
import { LOCK_KEY, decideRelease, describeLock, refusalMessage, type LockRecord } from '../core/lock.js';
import { confirmOrRefuse } from '../ui/confirm.js';
import { lockStatusDocument, renderLockStatus } from '../ui/lock-text.js';
import { deadLocalRun, startLocalRun } from '../nix/local-runs.js';
import { sdkSettings, type Context } from './context.js';

// `claw lock status | release`, and what a deploy needs to take the lock as this
// operator: who we are, whether a lock's holder is a dead process on this machine, and
// an S3 client that still works after Ctrl-C (the context's clients are bound to the
// abort signal, so they cannot release anything once it fired).

/** `user@host` of whoever runs claw, for the lock and the history. */
export function operatorIdentity(ctx: Pick<Context, 'io'>): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = ctx.io.env.USER ?? ctx.io.env.LOGNAME;
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

/** An S3 client not bound to the Ctrl-C signal: for releasing the lock after an abort. */
export async function cleanupS3(ctx: Context): Promise<S3Api> {
  if (ctx.sandbox) return (await ctx.clients()).s3;
  const { createSdkClients } = await import('../aws/sdk-clients.js');
  const raw = createSdkClients(sdkSettings(ctx));
  return instrument(raw, (c) => ctx.log.debug(`aws ${c.service}.${c.operation} ${c.durationMs.toFixed(0)}ms ${c.ok ? 'ok' : 'failed'} (cleanup)`)).s3;
}

/**
 * Everything `withDeployLock(s3, options, body)` needs for a deploy run by this
 * operator: the bootstrap bucket, holder, pid, Ctrl-C signal, cleanup client, events.
 */
export async function deployLockOptions(ctx: Context, o: { target: string; rev: string; ttlMs?: number }): Promise<{ s3: S3Api; options: DeployLockOptions }> {
  const me = operatorIdentity(ctx);
  // Recorded before the lock is taken, forgotten when claw exits (the lock is released by
  // then); a claw killed outright leaves the record, which is how its lock is known as stale.
  const run = startLocalRun(ctx.home, 'deploy lock', ctx.now());
  process.once('exit', run.end);
  return {
    s3: (await ctx.clients()).s3,
    options: {
      id: run.id,
      bucket: ctx.config.values.bootstrapBucket,
      holder: me,
      pid: process.pid,
      target: o.target,
      rev: o.rev,
      ttlMs: o.ttlMs,
      now: () => ctx.now(),
      isStale: staleHere(ctx.home),
      signal: ctx.io.signal,
      cleanupS3: await cleanupS3(ctx),
      events: ctx.events,
    },
  };
}

const placeOf = (ctx: Context) => ({ bucket: ctx.config.values.bootstrapBucket, key: LOCK_KEY });

export async function status(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const place = placeOf(ctx);
  const state = await readLock((await ctx.clients()).s3, place);
  const now = ctx.now();
  ctx.print(opts.json ? JSON.stringify(lockStatusDocument(state, place, now), null, 2) : renderLockStatus(state, place, now, ctx.paint));
}

/**
 * `claw lock release`: frees an expired lock, or one left by a dead claw process of
 * this operator on this machine, as it is; any other only with --force (asked on a
 * terminal, --yes otherwise). The delete is conditional on the ETag that was shown.
 */
export async function release(ctx: Context, opts: { force?: boolean; yes?: boolean; json?: boolean }): Promise<void> {
  const place = placeOf(ctx);
  const s3 = (await ctx.clients()).s3;
  const state = await readLock(s3, place);
  const now = ctx.now();
  const stale = state.kind === 'held' && staleHere(ctx.home)(state.lock);
  const decision = decideRelease(state, { now, force: Boolean(opts.force), stale });
  const where = `s3://${place.bucket}/${place.key}`;
  const done = (released: boolean, line: string) =>
    ctx.print(opts.json ? JSON.stringify({ released, lock: lockStatusDocument(state, place, now) }, null, 2) : line);

  if (decision.action === 'none') return done(false, `the deploy lock is free; nothing to release (${where})`);
  if (decision.action === 'refuse') {
    const { message } = refusalMessage(decision.state, now, where);
    throw new RefusedError(`not releasing: ${message}`, 'it is not expired and not yours; "claw lock release --force" if that deploy is not running');
  }
  const whose = state.kind === 'held' ? describeLock(state.lock, now) : `an unreadable lock object (${where})`;
  if (decision.confirm) {
    ctx.log.warn(`forcing the release of a lock that is not expired: ${whose}`);
    await confirmOrRefuse(`Release the deploy lock held by ${state.kind === 'held' ? state.lock.holder : 'nobody claw knows'}? A deploy still running would lose it.`, { stderr: ctx.io.stderr, stdinIsTTY: ctx.io.stdinIsTTY, signal: ctx.io.signal }, opts.yes);
  }
  const outcome = await deleteLockIfUnchanged(s3, place, decision.etag);
  if (outcome === 'changed') throw new RefusedError('the deploy lock changed since it was read; nothing released', 'run "claw lock status" and try again');
  const why = decision.why === 'expired' ? 'expired' : decision.why === 'stale' ? 'its process on this machine is gone' : 'forced';
  done(outcome === 'deleted', outcome === 'deleted' ? `released the deploy lock (${why}): ${whose}` : 'the deploy lock was already gone');
}
