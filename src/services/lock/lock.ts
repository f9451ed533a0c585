import { deleteLockIfUnchanged, readLock } from '../../aws/lock.js';
import { RefusedError } from '../../core/errors.js';
import { LOCK_KEY, decideRelease, type LockState, type ReleaseDecision } from '../../core/lock.js';
import type { ServiceDeps } from '../deps.js';
import { staleHere } from '../deploy/lock-options.js';

// The deploy lock as `claw lock status | release` see it: read it, decide a release
// (an expired lock, or one left by a dead claw of this machine, as it is; any other only
// forced), and delete it only while its ETag is the one the decision was made on.

export interface LockPlace {
  bucket: string;
  key: string;
}

export const lockPlace = (deps: Pick<ServiceDeps, 'config'>): LockPlace => ({ bucket: deps.config.values.bootstrapBucket, key: LOCK_KEY });

export async function readDeployLock(deps: ServiceDeps): Promise<{ place: LockPlace; state: LockState; now: Date }> {
  const place = lockPlace(deps);
  return { place, state: await readLock((await deps.clients()).s3, place), now: deps.now() };
}

export interface ReleasePlan {
  place: LockPlace;
  state: LockState;
  now: Date;
  decision: ReleaseDecision;
}

export async function planLockRelease(deps: ServiceDeps, o: { force: boolean }): Promise<ReleasePlan> {
  const { place, state, now } = await readDeployLock(deps);
  const stale = state.kind === 'held' && staleHere(deps.home)(state.lock);
  return { place, state, now, decision: decideRelease(state, { now, force: o.force, stale }) };
}

/** Delete the lock the plan decided to release, only while it is unchanged; RefusedError when it changed. */
export async function executeLockRelease(deps: ServiceDeps, plan: { place: LockPlace; decision: { etag: string } }): Promise<'deleted' | 'gone'> {
  const outcome = await deleteLockIfUnchanged((await deps.clients()).s3, plan.place, plan.decision.etag);
  if (outcome === 'changed') throw new RefusedError('the deploy lock changed since it was read; nothing released', 'run "claw lock status" and try again');
  return outcome;
}
