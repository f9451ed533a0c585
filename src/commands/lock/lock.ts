import { deleteLockIfUnchanged, readLock } from '../../aws/lock.js';
import { RefusedError } from '../../core/errors.js';
import { LOCK_KEY, decideRelease, describeLock, refusalMessage } from '../../core/lock.js';
import { lockStatusDocument, renderLockStatus } from '../../ui/lock-text.js';
import { staleHere } from '../../services/deploy/lock-options.js';
import type { Context } from '../../cli/context.js';

// `claw lock status | release`, and what a deploy needs to take the lock as this
// operator: who we are, whether a lock's holder is a dead process on this machine, and
// an S3 client that still works after Ctrl-C (the context's clients are bound to the
// abort signal, so they cannot release anything once it fired).

const placeOf = (ctx: Context) => ({ bucket: ctx.config.values.bootstrapBucket, key: LOCK_KEY });

export async function status(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const place = placeOf(ctx);
  const state = await readLock((await ctx.clients()).s3, place);
  const now = ctx.now();
  ctx.result(opts, lockStatusDocument(state, place, now), () => renderLockStatus(state, place, now, ctx.paint));
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
  const done = (released: boolean, line: string) => ctx.result(opts, { released, lock: lockStatusDocument(state, place, now) }, () => line);

  if (decision.action === 'none') return done(false, `the deploy lock is free; nothing to release (${where})`);
  if (decision.action === 'refuse') {
    const { message } = refusalMessage(decision.state, now, where);
    throw new RefusedError(`not releasing: ${message}`, 'it is not expired and not yours; "claw lock release --force" if that deploy is not running');
  }
  const whose = state.kind === 'held' ? describeLock(state.lock, now) : `an unreadable lock object (${where})`;
  if (decision.confirm) {
    ctx.log.warn(`forcing the release of a lock that is not expired: ${whose}`);
    await ctx.confirm(
      `Release the deploy lock held by ${state.kind === 'held' ? state.lock.holder : 'nobody claw knows'}? A deploy still running would lose it.`,
      { yes: opts.yes },
    );
  }
  const outcome = await deleteLockIfUnchanged(s3, place, decision.etag);
  if (outcome === 'changed') throw new RefusedError('the deploy lock changed since it was read; nothing released', 'run "claw lock status" and try again');
  const why = decision.why === 'expired' ? 'expired' : decision.why === 'stale' ? 'its process on this machine is gone' : 'forced';
  done(outcome === 'deleted', outcome === 'deleted' ? `released the deploy lock (${why}): ${whose}` : 'the deploy lock was already gone');
}
