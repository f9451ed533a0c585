import { describe, expect, it } from 'vitest';
import { isStuck, LISTED_STATUSES, STACK_STATUS_NAMES, stackPhase, statusAdvice, statusSince } from '../../src/core/stack-status.js';

// src/core/stack-status.ts: which statuses hold a pipeline, and what each means and needs.

const ALL = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
];
const NOW = new Date('2026-03-06T10:00:00Z');
const HOUR = 3_600_000;
const at = (msAgo: number) => new Date(NOW.getTime() - msAgo).toISOString();

describe('stackPhase', () => {
  it('knows every status CloudFormation has, and lists all but DELETE_COMPLETE', () => {
    expect([...STACK_STATUS_NAMES].sort()).toEqual([...ALL].sort());
    expect([...LISTED_STATUSES].sort()).toEqual(ALL.filter((s) => s !== 'DELETE_COMPLETE').sort());
  });

  it('every *_FAILED is failed, every ROLLBACK_*, UPDATE_ROLLBACK_*, IMPORT_ROLLBACK_* is failed, rolled back or rolling back', () => {
    const phases = Object.fromEntries(ALL.map((s) => [s, stackPhase(s)]));
    for (const s of ALL.filter((x) => x.endsWith('_FAILED'))) expect(phases[s]).toBe('failed');
    for (const s of ALL.filter((x) => /^(UPDATE_|IMPORT_)?ROLLBACK_/.test(x))) expect(['failed', 'rolled-back', 'rolling-back']).toContain(phases[s]);
    expect(phases).toMatchObject({
      ROLLBACK_COMPLETE: 'rolled-back',
      UPDATE_ROLLBACK_COMPLETE: 'rolled-back',
      IMPORT_ROLLBACK_COMPLETE: 'rolled-back',
      ROLLBACK_IN_PROGRESS: 'rolling-back',
      UPDATE_ROLLBACK_IN_PROGRESS: 'rolling-back',
      IMPORT_ROLLBACK_IN_PROGRESS: 'rolling-back',
      UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'rolling-back',
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
    });
  });

  it('a status newer than claw is ok, not guessed at', () => {
    expect(stackPhase('SOMETHING_NEW')).toBe('ok');
  });
});

describe('isStuck', () => {
  const stack = (status: string, msAgo = 0) => ({ status, creationTime: at(10 * HOUR), lastUpdatedTime: at(msAgo) });

  it('failed, rolled back and rolling back always; ok, deleted and waiting never', () => {
    for (const s of ALL) {
      const phase = stackPhase(s);
      const expected = phase === 'failed' || phase === 'rolled-back' || phase === 'rolling-back';
      if (phase !== 'in-progress') expect(isStuck(stack(s), NOW, HOUR), s).toBe(expected);
    }
    expect(isStuck(stack('REVIEW_IN_PROGRESS', 30 * 24 * HOUR), NOW, HOUR)).toBe(false);
  });

  it('an operation in progress only once it has run longer than the threshold', () => {
    expect(isStuck(stack('UPDATE_IN_PROGRESS', HOUR), NOW, HOUR)).toBe(false);
    expect(isStuck(stack('UPDATE_IN_PROGRESS', HOUR + 1), NOW, HOUR)).toBe(true);
    expect(isStuck({ status: 'CREATE_IN_PROGRESS', creationTime: at(2 * HOUR) }, NOW, HOUR)).toBe(true);
    expect(isStuck({ status: 'CREATE_IN_PROGRESS', creationTime: at(HOUR / 2) }, NOW, HOUR)).toBe(false);
    // The deletion time, not the last update, says when a delete began.
    expect(isStuck({ status: 'DELETE_IN_PROGRESS', creationTime: at(9 * HOUR), lastUpdatedTime: at(5 * HOUR), deletionTime: at(60_000) }, NOW, HOUR)).toBe(
      false,
    );
  });
});

describe('statusSince', () => {
  it('deletion for a delete, else the last update, else the creation', () => {
    expect(statusSince({ status: 'DELETE_FAILED', creationTime: 'c', lastUpdatedTime: 'u', deletionTime: 'd' })).toBe('d');
    expect(statusSince({ status: 'DELETE_FAILED', creationTime: 'c', lastUpdatedTime: 'u', deletionTime: null })).toBe('u');
    expect(statusSince({ status: 'UPDATE_ROLLBACK_COMPLETE', creationTime: 'c', lastUpdatedTime: 'u', deletionTime: 'd' })).toBe('u');
    expect(statusSince({ status: 'ROLLBACK_COMPLETE', creationTime: 'c', lastUpdatedTime: null })).toBe('c');
  });
});

describe('statusAdvice', () => {
  it('every status that holds a pipeline says what it means and what to do', () => {
    for (const s of ALL.filter((x) => ['failed', 'rolled-back', 'rolling-back', 'in-progress'].includes(stackPhase(x)))) {
      const a = statusAdvice('app', s, [], '2h');
      expect(a.meaning, s).not.toMatch(/^the stack is /);
      expect(a.steps.length + (a.retry ? 1 : 0), s).toBeGreaterThan(0);
    }
  });

  it('ROLLBACK_COMPLETE: delete it, then deploy again', () => {
    expect(statusAdvice('app', 'ROLLBACK_COMPLETE', [])).toEqual({
      meaning: 'the stack failed to create and was rolled back; it can only be deleted',
      steps: ['delete it: aws cloudformation delete-stack --stack-name app'],
      retry: 'fix the cause and deploy it again',
    });
  });

  it('UPDATE_ROLLBACK_COMPLETE: nothing to undo, just the retry', () => {
    expect(statusAdvice('app', 'UPDATE_ROLLBACK_COMPLETE', [])).toMatchObject({ steps: [], retry: 'fix the cause and deploy again' });
  });

  it('UPDATE_ROLLBACK_FAILED: continue the rollback, skipping the resources named (or a placeholder)', () => {
    const a = statusAdvice('app', 'UPDATE_ROLLBACK_FAILED', ['Db', 'Queue']);
    expect(a.steps).toEqual([
      'fix what kept the resources from rolling back, then: aws cloudformation continue-update-rollback --stack-name app',
      'or, for resources that cannot be fixed, skip them (they stay as they are, out of step with the template): aws cloudformation continue-update-rollback --stack-name app --resources-to-skip Db Queue',
    ]);
    expect(a.retry).toMatch(/^once it is UPDATE_ROLLBACK_COMPLETE/);
    expect(statusAdvice('app', 'UPDATE_ROLLBACK_FAILED', []).steps[1]).toMatch(/--resources-to-skip <logical ids>$/);
  });

  it('DELETE_FAILED: delete again, or retain the resources named', () => {
    const a = statusAdvice('app', 'DELETE_FAILED', ['Bucket']);
    expect(a.steps[0]).toMatch(/delete again: aws cloudformation delete-stack --stack-name app$/);
    expect(a.steps[1]).toMatch(/aws cloudformation delete-stack --stack-name app --retain-resources Bucket$/);
    expect(a.retry).toBeNull();
  });

  it('CREATE_FAILED / UPDATE_FAILED (rollback disabled): deploy again or rollback-stack', () => {
    for (const s of ['CREATE_FAILED', 'UPDATE_FAILED']) {
      const a = statusAdvice('app', s, []);
      expect(a.meaning).toContain('rollback disabled');
      expect(a.retry).toContain('aws cloudformation rollback-stack --stack-name app');
    }
  });

  it('ROLLBACK_FAILED deletes; IMPORT_* are told apart', () => {
    expect(statusAdvice('app', 'ROLLBACK_FAILED', []).steps[0]).toMatch(/^delete it: aws cloudformation delete-stack --stack-name app/);
    expect(statusAdvice('app', 'IMPORT_ROLLBACK_COMPLETE', []).retry).toMatch(/import again$/);
    expect(statusAdvice('app', 'IMPORT_ROLLBACK_FAILED', []).meaning).toContain('import failed and its rollback failed too');
  });

  it('a rollback in progress: wait; a stalled update: look at its events, or cancel it', () => {
    expect(statusAdvice('app', 'UPDATE_ROLLBACK_IN_PROGRESS', []).steps).toEqual([
      'wait for the rollback to end (it cannot be stopped), then run claw doctor stacks again',
    ]);
    const update = statusAdvice('app', 'UPDATE_IN_PROGRESS', [], '3h5m');
    expect(update.meaning).toBe('the operation has been running for 3h5m');
    expect(update.steps[1]).toBe('to give up and roll back: aws cloudformation cancel-update-stack --stack-name app');
    // Only an update can be cancelled.
    expect(statusAdvice('app', 'CREATE_IN_PROGRESS', [], '2h').steps).toHaveLength(1);
  });
});
