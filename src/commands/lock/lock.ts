import { RefusedError } from '../../core/errors.js';
import { describeLock, refusalMessage } from '../../core/lock.js';
import { executeLockRelease, planLockRelease, readDeployLock } from '../../services/lock/lock.js';
import { lockStatusDocument, renderLockStatus } from '../../ui/lock-text.js';
import { serviceDeps, type Context } from '../../cli/context.js';

// `claw lock status | release` (services/lock/lock.ts): the lock as it is, and a release
// decided on what was shown, confirmed when forced, then done only if nothing changed.

export async function status(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const { place, state, now } = await readDeployLock(serviceDeps(ctx));
  ctx.result(opts, lockStatusDocument(state, place, now), () => renderLockStatus(state, place, now, ctx.paint));
}

/**
 * `claw lock release`: frees an expired lock, or one left by a dead claw process of
 * this operator on this machine, as it is; any other only with --force (asked on a
 * terminal, --yes otherwise). The delete is conditional on the ETag that was shown.
 */
export async function release(ctx: Context, opts: { force?: boolean; yes?: boolean; json?: boolean }): Promise<void> {
  const deps = serviceDeps(ctx);
  const plan = await planLockRelease(deps, { force: Boolean(opts.force) });
  const { place, state, now, decision } = plan;
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
  const outcome = await executeLockRelease(deps, { place, decision });
  const why = decision.why === 'expired' ? 'expired' : decision.why === 'stale' ? 'its process on this machine is gone' : 'forced';
  done(outcome === 'deleted', outcome === 'deleted' ? `released the deploy lock (${why}): ${whose}` : 'the deploy lock was already gone');
}
