import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { parseRunbook } from '../../src/core/runbook-parse.js';
import { ROOT } from '../helpers/claw.js';

// The runbook file: the fixture is valid and realistic; every malformed input is one
// UsageError naming the file, line and column, and what to fix.

const FIXTURE = join(ROOT, 'fixtures/runbooks/orchestrator-to-vm.yaml');

function error(text: string): string {
  try {
    parseRunbook(text, 'rb.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

const HEAD = 'name: demo\ndescription: a demo\nphases:\n';

describe('parseRunbook: the fixture', () => {
  const rb = parseRunbook(readFileSync(FIXTURE, 'utf8'), 'orchestrator-to-vm.yaml');

  it('has phases A to E: provision, apply the config, stage, cut over, decommission', () => {
    expect(rb.name).toBe('orchestrator-to-vm');
    expect(rb.phases.map((p) => p.id)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(rb.phases.map((p) => p.title)).toEqual([
      'Provision the VM',
      'Apply its NixOS config',
      'Stage the workspace',
      'Cut over',
      'Decommission the old host',
    ]);
  });

  it('has checks, waits, ssm and manual steps (hand over a key, log in), preflight checks', () => {
    const kinds = new Set(rb.phases.flatMap((p) => p.steps.map((s) => s.kind)));
    expect([...kinds].sort()).toEqual(['check', 'manual', 'run', 'ssm', 'wait']);
    const manual = rb.phases
      .flatMap((p) => p.steps)
      .filter((s) => s.kind === 'manual')
      .map((s) => s.id);
    expect(manual).toEqual(expect.arrayContaining(['c-hand-over-key', 'd-login']));
    expect(rb.preflight.length).toBeGreaterThan(0);
    expect(rb.preflight.every((s) => s.kind === 'check')).toBe(true);
  });

  it('marks the cut-over disruptive, gives every reversible phase rollback steps, and the decommission none', () => {
    expect(rb.phases.filter((p) => p.disruptive).map((p) => p.id)).toEqual(['D']);
    for (const p of rb.phases) expect(p.rollback.length > 0).toBe(p.reversible);
    expect(rb.phases.find((p) => p.id === 'E')!.reversible).toBe(false);
  });

  it('turns durations into milliseconds and fills defaults', () => {
    const wait = rb.phases[0]!.steps.find((s) => s.id === 'a-wait-ssm')!;
    expect(wait).toMatchObject({ kind: 'wait', intervalMs: 30_000, timeoutMs: 20 * 60_000, cwd: '..' });
    const ssm = rb.phases[1]!.steps.find((s) => s.id === 'b-health')!;
    expect(ssm).toMatchObject({ kind: 'ssm', host: 'clawdinator-3', timeoutMs: 600_000 });
  });
});

describe('parseRunbook: errors with file:line:col', () => {
  it('malformed YAML', () => {
    expect(error('name: demo\ndescription: x: y\nphases: []\n')).toBe('rb.yaml:2:14: invalid YAML: Nested mappings are not allowed in compact mappings');
    expect(error('name: demo\n\tdescription: x\n')).toBe('rb.yaml:2:1: invalid YAML: Tabs are not allowed as indentation');
  });

  it('a key twice in one map', () => {
    expect(error('name: a\nname: b\n')).toMatch(/^rb\.yaml:2:1: invalid YAML: a key appears twice/);
  });

  it('an unknown step kind, with the line of the kind', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        kind: shell\n        argv: [x]\n`;
    expect(error(text)).toBe('rb.yaml:9:15: phase A › step s1: unknown step kind "shell" (expected run, ssm, check, wait or manual)');
  });

  it('a step without a kind, at the step', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        argv: [x]\n`;
    expect(error(text)).toMatch(/^rb\.yaml:8:9: .*step s1: "kind" is missing \(expected run, ssm, check, wait or manual\)$/);
  });

  it('a missing field points at its map', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        kind: run\n`;
    expect(error(text)).toMatch(/^rb\.yaml:8:9: phase A › step s1: "argv" is missing$/);
  });

  it('a shell string instead of argv', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        kind: run\n        argv: systemctl restart x\n`;
    expect(error(text)).toMatch(/^rb\.yaml:10:15: .*step s1 › argv: must be a list of arguments/);
  });

  it('an unknown key, at the key', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        kind: run\n        argv: [x]\n        shell: true\n`;
    expect(error(text)).toMatch(/^rb\.yaml:11:9: .*step s1: unknown key "shell"$/);
  });

  it('a bad duration', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        kind: wait\n        argv: [x]\n        timeout: 5 minutes\n`;
    expect(error(text)).toMatch(/^rb\.yaml:11:18: .*timeout: is not a duration/);
  });

  it('an ssm host that is not a hostname', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - id: s1\n        kind: ssm\n        host: "x;reboot"\n        commands: [uptime]\n`;
    expect(error(text)).toMatch(/^rb\.yaml:10:15: .*host: is not a valid hostname/);
  });

  it('a duplicate step id, at the second one', () => {
    const text = `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps:\n      - { id: s1, kind: run, argv: [x] }\n      - { id: s1, kind: run, argv: [y] }\n`;
    expect(error(text)).toMatch(/^rb\.yaml:9:15: .*: id "s1" is already used by step s1/);
  });

  it('a reversible phase without rollback steps, and rollback steps on a phase that is not reversible', () => {
    expect(error(`${HEAD}  - id: A\n    title: t\n    reversible: true\n    steps: [{ id: s1, kind: run, argv: [x] }]\n`)).toMatch(
      /^rb\.yaml:6:17: phase A: is reversible but has no rollback steps/,
    );
    expect(
      error(
        `${HEAD}  - id: A\n    title: t\n    reversible: false\n    steps: [{ id: s1, kind: run, argv: [x] }]\n    rollback: [{ id: u1, kind: run, argv: [x] }]\n`,
      ),
    ).toMatch(/^rb\.yaml:8:5: phase A: has rollback steps but is not reversible/);
  });

  it('a preflight step that is not a check', () => {
    const text = `name: demo\ndescription: d\npreflight:\n  - { id: p1, kind: run, argv: [x] }\nphases:\n  - id: A\n    title: t\n    reversible: false\n    steps: [{ id: s1, kind: run, argv: [x] }]\n`;
    expect(error(text)).toMatch(/^rb\.yaml:4:\d+: preflight check p1: preflight steps must be checks/);
  });

  it('an empty file, a list, a name that cannot be a folder', () => {
    expect(error('')).toBe('rb.yaml:1:1: the runbook is empty');
    expect(error('- a\n')).toMatch(/^rb\.yaml:1:1: expected a map/);
    expect(error('name: ../../etc\ndescription: d\nphases: []\n')).toMatch(/^rb\.yaml:1:7: name: is not a valid name/);
  });

  it('reports the first problem in the file, whatever order zod found them in', () => {
    const text = `name: demo\ndescription: d\nbogus: 1\nphases:\n  - id: A\n    title: t\n    reversible: false\n    steps: [{ id: s1, kind: nope }]\n`;
    expect(error(text)).toMatch(/^rb\.yaml:3:1: unknown key "bogus"$/);
  });
});
