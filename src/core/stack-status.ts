// CloudFormation stack statuses as claw doctor stacks reads them: which ones hold a
// pipeline (the last operation failed, or is failing now), what each means, and what
// the operator does about it. Pure: the clock and the threshold are passed in.

/**
 * - failed: the operation failed and CloudFormation stopped; a human must act.
 * - rolled-back: the operation failed and was undone; the stack is stable, but the
 *   change never landed (and after a failed create, the stack can only be deleted).
 * - rolling-back: the operation has already failed and is being undone now; its reason
 *   is known, so it is reported, but the stack cannot be touched until the rollback ends.
 * - in-progress: a deploy running normally. Not stuck, unless it has run longer than the
 *   threshold (an ECS service that never stabilises holds UPDATE_IN_PROGRESS for hours).
 * - waiting: REVIEW_IN_PROGRESS, a stack made by a change set nobody executed: not a failure.
 * - ok / deleted: nothing to say.
 */
export type StackPhase = 'failed' | 'rolled-back' | 'rolling-back' | 'in-progress' | 'waiting' | 'ok' | 'deleted';

const PHASES: Record<string, StackPhase> = {
  CREATE_FAILED: 'failed',
  UPDATE_FAILED: 'failed',
  DELETE_FAILED: 'failed',
  ROLLBACK_FAILED: 'failed',
  UPDATE_ROLLBACK_FAILED: 'failed',
  IMPORT_ROLLBACK_FAILED: 'failed',
  ROLLBACK_COMPLETE: 'rolled-back',
  UPDATE_ROLLBACK_COMPLETE: 'rolled-back',
  IMPORT_ROLLBACK_COMPLETE: 'rolled-back',
  ROLLBACK_IN_PROGRESS: 'rolling-back',
  UPDATE_ROLLBACK_IN_PROGRESS: 'rolling-back',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'rolling-back',
  IMPORT_ROLLBACK_IN_PROGRESS: 'rolling-back',
  CREATE_IN_PROGRESS: 'in-progress',
  UPDATE_IN_PROGRESS: 'in-progress',
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'in-progress',
  DELETE_IN_PROGRESS: 'in-progress',
  IMPORT_IN_PROGRESS: 'in-progress',
  REVIEW_IN_PROGRESS: 'waiting',
  CREATE_COMPLETE: 'ok',
  UPDATE_COMPLETE: 'ok',
  IMPORT_COMPLETE: 'ok',
  DELETE_COMPLETE: 'deleted',
};

/** Every status CloudFormation has; an unknown (newer) one counts as ok rather than guessed at. */
export const STACK_STATUS_NAMES = Object.keys(PHASES);

export function stackPhase(status: string): StackPhase {
  return PHASES[status] ?? 'ok';
}

/** The statuses ListStacks is asked for: every one but DELETE_COMPLETE (AWS keeps deleted stacks 90 days). */
export const LISTED_STATUSES = STACK_STATUS_NAMES.filter((s) => s !== 'DELETE_COMPLETE');

export interface StackTimes {
  status: string;
  creationTime: string;
  lastUpdatedTime?: string | null | undefined;
  deletionTime?: string | null | undefined;
}

/** When the stack's current status began, as well as ListStacks tells: the deletion, the last update, or the creation. */
export function statusSince(s: StackTimes): string {
  if (s.status.startsWith('DELETE_') && s.deletionTime) return s.deletionTime;
  return s.lastUpdatedTime ?? s.creationTime;
}

/** Does this stack hold a pipeline? In-progress ones only once they have run longer than `stalledAfterMs`. */
export function isStuck(s: StackTimes, now: Date, stalledAfterMs: number): boolean {
  const phase = stackPhase(s.status);
  if (phase === 'failed' || phase === 'rolled-back' || phase === 'rolling-back') return true;
  if (phase !== 'in-progress') return false;
  return now.getTime() - Date.parse(statusSince(s)) > stalledAfterMs;
}

export interface StatusAdvice {
  /** One line: what the status means. */
  meaning: string;
  /** What to do about the stack itself, in order. */
  steps: string[];
  /**
   * The last step when the cause has no fix of its own: deploy again once it is fixed.
   * An export in use brings its own steps instead (src/core/stack-exports.ts).
   */
  retry: string | null;
}

/**
 * What `status` means and what to do. `failedResources` are the logical ids stuck in the
 * last operation: the ones continue-update-rollback may skip, or a delete may retain.
 * `runningFor` words how long an in-progress operation has run.
 */
export function statusAdvice(stack: string, status: string, failedResources: readonly string[], runningFor?: string): StatusAdvice {
  const cfn = 'aws cloudformation';
  const ids = failedResources.length > 0 ? failedResources.join(' ') : '<logical ids>';
  const retry = 'fix the cause and deploy again';
  switch (status) {
    case 'UPDATE_ROLLBACK_COMPLETE':
      return { meaning: 'the last update failed and was rolled back; the stack runs its previous template', steps: [], retry };
    case 'ROLLBACK_COMPLETE':
      return {
        meaning: 'the stack failed to create and was rolled back; it can only be deleted',
        steps: [`delete it: ${cfn} delete-stack --stack-name ${stack}`],
        retry: 'fix the cause and deploy it again',
      };
    case 'IMPORT_ROLLBACK_COMPLETE':
      return {
        meaning: 'a resource import failed and was rolled back; the stack runs its previous template',
        steps: [],
        retry: 'fix the import (template and resource identifiers) and import again',
      };
    case 'UPDATE_ROLLBACK_FAILED':
      return {
        meaning: 'an update failed and so did its rollback; the stack cannot be updated until the rollback finishes',
        steps: [
          `fix what kept the resources from rolling back, then: ${cfn} continue-update-rollback --stack-name ${stack}`,
          `or, for resources that cannot be fixed, skip them (they stay as they are, out of step with the template): ${cfn} continue-update-rollback --stack-name ${stack} --resources-to-skip ${ids}`,
        ],
        retry: 'once it is UPDATE_ROLLBACK_COMPLETE, fix the cause of the update and deploy again',
      };
    case 'ROLLBACK_FAILED':
      return {
        meaning: 'the stack failed to create and its rollback failed too; it can only be deleted',
        steps: [`delete it: ${cfn} delete-stack --stack-name ${stack} (clean up by hand what it cannot delete)`],
        retry: 'fix the cause and deploy it again',
      };
    case 'DELETE_FAILED':
      return {
        meaning: 'the stack could not be deleted',
        steps: [
          `fix what kept the resources from being deleted (an S3 bucket that is not empty, a resource still in use) and delete again: ${cfn} delete-stack --stack-name ${stack}`,
          `or leave them behind (they keep running and costing): ${cfn} delete-stack --stack-name ${stack} --retain-resources ${ids}`,
        ],
        retry: null,
      };
    case 'IMPORT_ROLLBACK_FAILED':
      return {
        meaning: 'a resource import failed and its rollback failed too',
        steps: [
          'fix the resources that could not be rolled back, then retry the rollback from the CloudFormation console; if it cannot continue, AWS Support can',
        ],
        retry: null,
      };
    case 'CREATE_FAILED':
    case 'UPDATE_FAILED':
      return {
        meaning: `the ${status === 'CREATE_FAILED' ? 'create' : 'update'} failed with rollback disabled; what succeeded is kept`,
        steps: [],
        retry: `fix the cause and deploy again (CloudFormation resumes from the failed resources), or roll back instead: ${cfn} rollback-stack --stack-name ${stack}`,
      };
    default: {
      const phase = stackPhase(status);
      if (phase === 'rolling-back') {
        return {
          meaning: 'the last operation failed and is being rolled back now',
          steps: ['wait for the rollback to end (it cannot be stopped), then run claw doctor stacks again'],
          retry: null,
        };
      }
      if (phase === 'in-progress') {
        const look = 'look at the newest events for the resource it waits on (an ECS service that never stabilises holds an update for up to 3 hours)';
        const cancel = status === 'UPDATE_IN_PROGRESS' ? [`to give up and roll back: ${cfn} cancel-update-stack --stack-name ${stack}`] : [];
        return { meaning: `the operation has been running for ${runningFor ?? 'a long time'}`, steps: [look, ...cancel], retry: null };
      }
      return { meaning: `the stack is ${status}`, steps: [], retry: null };
    }
  }
}
