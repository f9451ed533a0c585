import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { drive, driveRollback, type DriverDeps } from '../../src/commands/migrate/driver.js';
import { InterruptedError } from '../../src/core/errors.js';
import { planRollback, planRun, resumePoint } from '../../src/core/runbook-plan.js';
import type { Phase, Runbook, Step } from '../../src/core/runbook-schema.js';
import { approve, emptyState, stateSchema, type RunbookState } from '../../src/core/runbook-state.js';

// Property: whatever state was last written when claw died (any cut point of a run or a
// rollback, including mid-step, after a failure, an interruption or a manual pause),
// resuming from it finishes the job: every step not done in that state runs, in order,
// none that was done runs again, and the step cut off mid-way runs first. The driver
// and the state machine are the real ones; the steps, the store and the operator are fakes.

const logDir = mkdtempSync(join(tmpdir(), 'claw-runbook-prop-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

type Fault = 'none' | 'fail' | 'interrupt';
interface Shape {
  phases: { steps: ('run' | 'manual')[]; disruptive: boolean }[];
  faults: Fault[];
}

const shapeArb: fc.Arbitrary<Shape> = fc
  .array(
    fc.record({ steps: fc.array(fc.constantFrom<'run' | 'manual'>('run', 'run', 'run', 'manual'), { minLength: 1, maxLength: 4 }), disruptive: fc.boolean() }),
    { minLength: 1, maxLength: 4 },
  )
  .chain((phases) => {
    const count = phases.reduce((n, p) => n + p.steps.length + 1, 0);
    return fc.record({
      phases: fc.constant(phases),
      faults: fc.array(fc.constantFrom<Fault>('none', 'none', 'fail', 'interrupt'), { minLength: count, maxLength: count }),
    });
  });

function runbookOf(shape: Shape): Runbook {
  const step = (id: string, kind: 'run' | 'manual'): Step =>
    kind === 'manual'
      ? { id, title: undefined, kind, instructions: 'by hand' }
      : { id, title: undefined, kind, argv: ['true'], cwd: undefined, env: {}, timeoutMs: undefined };
  const phases: Phase[] = shape.phases.map((p, i) => ({
    id: `P${i}`,
    title: `phase ${i}`,
    reversible: true,
    disruptive: p.disruptive,
    steps: p.steps.map((k, j) => step(`p${i}s${j}`, k)),
    rollback: [step(`p${i}undo`, 'run')],
  }));
  return { name: 'prop', description: 'prop', preflight: [], phases };
}

/** One claw process after another over the same store, as an operator would run them. */
function world(rb: Runbook, faults: Map<string, Fault>) {
  const writes: RunbookState[] = [];
  const executed: string[] = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const tried = new Set<string>();
  const deps: DriverDeps = {
    rb,
    save: async (s) => void writes.push(structuredClone(s)),
    logFile: (id) => join(logDir, `${id}.log`),
    now: () => new Date((clock += 1000)),
    runStep: async (step) => {
      executed.push(step.id);
      const fault = faults.get(step.id) ?? 'none';
      // Each fault hits the first attempt only, so the operator's next run gets past it.
      if (fault !== 'none' && !tried.has(step.id)) {
        tried.add(step.id);
        if (fault === 'interrupt') throw new InterruptedError();
        return { ok: false, exitCode: 3, error: 'exit code 3' };
      }
      return { ok: true, exitCode: 0 };
    },
    confirmPhase: async () => undefined,
    manual: async () => false,
    events: { emit: () => undefined },
    info: () => undefined,
    resumeHint: 'claw migrate run prop.yaml',
  };
  /** The operator: approve what waits, run again after a failure or Ctrl-C, until nothing is left. */
  const operator = async (start: RunbookState, mode: 'run' | 'rollback'): Promise<RunbookState> => {
    let state = start;
    for (let round = 0; round < 200; round++) {
      const waiting = Object.entries(state.steps).find(([, r]) => r.status === 'waiting');
      if (waiting) {
        state = approve(rb, state, waiting[0], deps.now(), undefined);
        await deps.save(state);
        continue;
      }
      if (mode === 'run' ? state.completedAt !== undefined : state.rollback === undefined && round > 0) return state;
      try {
        if (mode === 'run') state = (await drive(deps, state, planRun(rb, state).steps)).state;
        else state = (await driveRollback(deps, state, planRollback(rb, state, {}))).state;
      } catch {
        state = writes.at(-1)!;
      }
    }
    throw new Error('the operator gave up');
  };
  return { writes, executed, deps, operator };
}

/** Commands steps in forward order (manual ones are the operator's, not executed). */
const forwardCommands = (rb: Runbook) =>
  rb.phases
    .flatMap((p) => p.steps)
    .filter((s) => s.kind !== 'manual')
    .map((s) => s.id);
const dedupe = (xs: string[]) => xs.filter((x, i) => x !== xs[i - 1]);

describe('state written at any cut point resumes correctly', () => {
  it('forward: every step not done runs once more in order, none done runs again, the cut-off one first', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.nat(), async (shape, pick) => {
        const rb = runbookOf(shape);
        const ids = rb.phases.flatMap((p) => [...p.steps, ...p.rollback]).map((s) => s.id);
        const faults = new Map(ids.map((id, i) => [id, shape.faults[i] ?? 'none']));
        const first = world(rb, faults);
        const done = await first.operator(emptyState(rb, { file: '/prop.yaml', hash: 'h', now: new Date(0) }), 'run');
        expect(done.completedAt).toBeDefined();
        expect(dedupe(first.executed)).toEqual(forwardCommands(rb));

        // Claw died right after write number `cut`: that is all the next claw finds.
        const cut = pick % first.writes.length;
        const persisted = stateSchema.parse(JSON.parse(JSON.stringify(first.writes[cut])));
        const second = world(rb, new Map());
        const resumed = await second.operator(persisted, 'run');
        expect(resumed.completedAt).toBeDefined();
        const notDone = forwardCommands(rb).filter((id) => persisted.steps[id]?.status !== 'done');
        expect(second.executed).toEqual(notDone);
        const cutOff = Object.entries(persisted.steps).find(([, r]) => r.status === 'running');
        if (cutOff) expect(second.executed[0]).toBe(cutOff[0]);
        expect(resumePoint(rb, resumed)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('rollback: resumed from any cut point, every phase ends rolled back and no undo step runs twice', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.nat(), async (shape, pick) => {
        const rb = runbookOf(shape);
        const undo = rb.phases.map((p) => p.rollback[0]!.id);
        const faults = new Map(undo.map((id, i) => [id, shape.faults[i] ?? 'none']));
        const first = world(rb, faults);
        const complete = await first.operator(emptyState(rb, { file: '/prop.yaml', hash: 'h', now: new Date(0) }), 'run');
        const before = first.writes.length;
        const rolled = await first.operator(complete, 'rollback');
        expect(rolled.rollback).toBeUndefined();
        expect(resumePoint(rb, rolled)?.step.id).toBe(rb.phases[0]!.steps[0]!.id);

        const cut = before + (pick % (first.writes.length - before));
        const persisted = stateSchema.parse(JSON.parse(JSON.stringify(first.writes[cut])));
        const second = world(rb, new Map());
        const resumed = await second.operator(persisted, 'rollback');
        expect(resumed.rollback).toBeUndefined();
        for (const p of rb.phases) expect(p.steps.every((s) => resumed.steps[s.id] === undefined)).toBe(true);
        // Undo steps run latest phase first; ones done (in a phase not yet marked rolled back) are not repeated.
        const pendingUndo = [...rb.phases]
          .reverse()
          .filter((p) => p.steps.some((s) => persisted.steps[s.id] !== undefined))
          .map((p) => p.rollback[0]!.id)
          .filter((id) => persisted.steps[id]?.status !== 'done');
        expect(second.executed).toEqual(pendingUndo);
      }),
      { numRuns: 150 },
    );
  });
});
