import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupAlive } from '../../src/fs/file-lock.js';
import { openSandbox } from '../../src/sandbox/index.js';
import { BIN, ROOT, runClaw, tempDir } from '../helpers/claw.js';

// `claw migrate` from the built binary, on runbooks of local commands (run, check, wait,
// manual) in a temp folder: state under $CLAW_HOME/runbooks/<name>/, or the git repo's
// .claw/ when the runbook is in one. Each step appends to `trace`, so the order and the
// number of times each ran are visible.

interface Bench {
  dir: string;
  home: string;
  file: string;
  trace(): string[];
  claw(args: string[], env?: Record<string, string>): ReturnType<typeof runClaw>;
  state(): Record<string, unknown> | undefined;
}

function bench(yaml: string, o: { git?: boolean; name?: string } = {}): Bench {
  const dir = tempDir('claw-migrate-');
  const home = tempDir('claw-migrate-home-');
  if (o.git) mkdirSync(join(dir, '.git'));
  const file = join(dir, 'rb.yaml');
  writeFileSync(file, yaml);
  const stateFile = o.git ? join(dir, '.claw', 'runbooks', o.name ?? 'demo', 'state.json') : join(home, '.claw', 'runbooks', o.name ?? 'demo', 'state.json');
  return {
    dir,
    home,
    file,
    trace: () => (existsSync(join(dir, 'trace')) ? readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n') : []),
    claw: (args, env = {}) => runClaw(args, { cwd: dir, env: { HOME: home, ...env } }),
    state: () => (existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>) : undefined),
  };
}

const sh = (script: string) => `[sh, -c, ${JSON.stringify(script)}]`;
const echo = (word: string) => sh(`echo ${word} >> trace`);

const DEMO = `name: demo
description: a runbook of local commands
preflight:
  - { id: pre-sh, kind: check, argv: [sh, -c, 'true'] }
phases:
  - id: A
    title: prepare
    reversible: true
    steps:
      - { id: a-first, kind: run, argv: ${echo('a-first')} }
      - id: a-ready
        kind: check
        argv: ${sh('echo checking ready; echo "ready is missing" >&2; test -e ready')}
      - { id: a-wait, kind: wait, argv: [test, -e, ready], interval: 1s, timeout: 5s }
    rollback:
      - { id: a-undo, kind: run, argv: ${echo('a-undo')} }
  - id: B
    title: hand over
    reversible: true
    steps:
      - { id: b-copy, kind: run, argv: ${echo('b-copy')} }
      - id: b-login
        kind: manual
        title: log in
        instructions: |
          Log the bot in on the new host.
    rollback:
      - { id: b-undo, kind: run, argv: ${echo('b-undo')} }
  - id: C
    title: cut over
    reversible: false
    disruptive: true
    steps:
      - { id: c-switch, kind: run, argv: ${echo('c-switch')} }
  - id: D
    title: tidy up
    reversible: true
    steps:
      - { id: d-tidy, kind: run, argv: ${echo('d-tidy')} }
    rollback:
      - { id: d-undo, kind: run, argv: ${echo('d-undo')} }
`;

describe('claw migrate plan', () => {
  it('shows the example runbook: phases A-E, what is reversible and disruptive, the rollback steps', async () => {
    const r = await runClaw(['migrate', 'plan', join(ROOT, 'fixtures/runbooks/orchestrator-to-vm.yaml')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^orchestrator-to-vm: /);
    expect(r.stdout).toMatch(/^D {2}Cut over +reversible, disruptive \(asks first\)$/m);
    expect(r.stdout).toMatch(/^E {2}Decommission the old host +not reversible$/m);
    expect(r.stdout).toMatch(/^ {5}d-undo-start-old +run +start the bot on the old host again: ssh orchestrator-pi/m);
    expect(r.stdout).toMatch(/^ {3}c-hand-over-key +manual +operator: hand over the Tailscale auth key$/m);
    const json = JSON.parse((await runClaw(['migrate', 'plan', join(ROOT, 'fixtures/runbooks/orchestrator-to-vm.yaml'), '--json'])).stdout) as {
      phases: { id: string; reversible: boolean; disruptive: boolean }[];
    };
    expect(json.phases.map((p) => [p.id, p.reversible, p.disruptive])).toEqual([
      ['A', true, false],
      ['B', true, false],
      ['C', true, false],
      ['D', true, true],
      ['E', false, false],
    ]);
  });

  it.each([
    ['malformed YAML', 'name: demo\ndescription: x: y\nphases: []\n', /^error: rb\.yaml:2:14: invalid YAML: Nested mappings are not allowed/m],
    [
      'an unknown step kind',
      DEMO.replace('{ id: b-copy, kind: run,', '{ id: b-copy, kind: shell,'),
      /^error: rb\.yaml:21:29: phase B › step b-copy: unknown step kind "shell" \(expected run, ssm, check, wait or manual\)$/m,
    ],
    [
      'a shell string for argv',
      DEMO.replace(`argv: ${echo('c-switch')}`, 'argv: "echo hi; reboot"'),
      /^error: rb\.yaml:34:42: phase C › step c-switch › argv: must be a list of arguments/m,
    ],
  ])('%s: exit 2 naming the line, nothing run or written', async (_name, yaml, message) => {
    const b = bench(yaml);
    for (const verb of ['plan', 'run', 'status']) {
      const r = await b.claw(['migrate', verb, 'rb.yaml']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^hint: fix the runbook/m);
    }
    expect(b.trace()).toEqual([]);
    expect(existsSync(join(b.home, '.claw', 'runbooks'))).toBe(false);
  });

  it('a missing file is exit 2', async () => {
    const r = await runClaw(['migrate', 'plan', 'nope.yaml']);
    expect(r).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/^error: runbook nope\.yaml: no such file$/m) });
  });
});

describe('claw migrate run, approve, status', () => {
  it('a failing check stops the run (exit 1, its log tail) and the next run starts there; a manual step waits (exit 0) until approved; then complete', async () => {
    const b = bench(DEMO);
    const dry = await b.claw(['migrate', 'run', 'rb.yaml', '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/^starting at A\/a-first; 7 steps to run:/);
    expect(dry.stdout).toContain('dry run: nothing was run and no state was written');
    expect(b.state()).toBeUndefined();

    const failed = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/^error: check A\/a-ready failed with exit code 1$/m);
    expect(failed.stderr).toContain('  | ready is missing');
    expect(failed.stderr).toMatch(/^hint: its log: .*logs\/a-ready\.log; fix the cause, then claw migrate run rb\.yaml starts again at a-ready$/m);
    expect(b.trace()).toEqual(['a-first']);
    const log = readFileSync(join(b.home, '.claw/runbooks/demo/logs/a-ready.log'), 'utf8');
    expect(log).toMatch(/attempt 1: check a-ready[\s\S]*checking ready[\s\S]*=== failed: exit code 1 ===/);
    const status = JSON.parse((await b.claw(['migrate', 'status', 'rb.yaml', '--json'])).stdout) as {
      next: { action: string; step: string; reason: string };
      phases: { steps: { id: string; status: string; exitCode: number | null; attempts: number; logFile: string | null }[] }[];
    };
    expect(status.next).toMatchObject({ action: 'run', step: 'a-ready', reason: 'retry' });
    expect(status.phases[0]!.steps[1]).toMatchObject({
      id: 'a-ready',
      status: 'failed',
      exitCode: 1,
      attempts: 1,
      logFile: expect.stringMatching(/a-ready\.log$/),
    });

    writeFileSync(join(b.dir, 'ready'), '');
    const waiting = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(waiting.exitCode).toBe(0);
    expect(waiting.stdout).toMatch(/^retrying \(it failed last time\) A\/a-ready/);
    expect(waiting.stdout).toMatch(/^waiting for operator: b-login \(log in\)$/m);
    expect(waiting.stdout).toMatch(/^ {2}Log the bot in on the new host\.$/m);
    expect(waiting.stdout).toMatch(/^when it is done: claw migrate approve rb\.yaml b-login \[--note TEXT\]$/m);
    expect(b.trace()).toEqual(['a-first', 'b-copy']);

    const again = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('waiting for operator: b-login');
    expect(b.trace()).toEqual(['a-first', 'b-copy']);

    expect((await b.claw(['migrate', 'approve', 'rb.yaml', 'b-copy'])).exitCode).toBe(2);
    const approved = await b.claw(['migrate', 'approve', 'rb.yaml', 'b-login', '--note', 'logged in as the bot']);
    expect(approved).toMatchObject({ exitCode: 0, stdout: 'approved b-login (phase B): logged in as the bot; to go on: claw migrate run rb.yaml\n' });

    const refused = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/^error: phase C \(cut over\) is disruptive: refusing to start it without a terminal$/m);
    expect(b.trace()).toEqual(['a-first', 'b-copy']);

    const done = await b.claw(['migrate', 'run', 'rb.yaml', '--yes']);
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toMatch(/^runbook demo complete: 4 phases, 7 steps done$/m);
    expect(b.trace()).toEqual(['a-first', 'b-copy', 'c-switch', 'd-tidy']);

    const nothing = await b.claw(['migrate', 'run', 'rb.yaml', '--yes']);
    expect(nothing.exitCode).toBe(0);
    expect(nothing.stdout).toMatch(/^runbook demo is complete \(since .*\); nothing to do$/m);
    expect(b.trace()).toEqual(['a-first', 'b-copy', 'c-switch', 'd-tidy']);

    const final = JSON.parse((await b.claw(['migrate', 'status', 'rb.yaml', '--json'])).stdout) as {
      complete: boolean;
      next: { action: string };
      phases: { status: string; steps: { id: string; note: string | null }[] }[];
    };
    expect(final.complete).toBe(true);
    expect(final.next.action).toBe('none');
    expect(final.phases.map((p) => p.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(final.phases[1]!.steps[1]).toMatchObject({ id: 'b-login', note: 'logged in as the bot' });
    const text = await b.claw(['migrate', 'status', 'rb.yaml']);
    expect(text.stdout).toMatch(/^ {3}b-login +manual +done +1 /m);
    expect(text.stdout).toMatch(/^next: nothing: the runbook is complete$/m);
  });

  const KILLABLE = `name: demo
description: kill me
phases:
  - id: A
    title: only
    reversible: false
    steps:
      - { id: s1, kind: run, argv: ${echo('s1')} }
      - { id: s2, kind: run, argv: ${sh('echo s2-start >> trace; if [ ! -e once ]; then touch once; sleep 20; fi; echo s2-end >> trace')} }
      - { id: s3, kind: run, argv: ${echo('s3')} }
`;

  /** claw run in the background, once its step s2 has started (the `once` file exists). */
  async function runningInS2(b: Bench) {
    const child = spawn(process.execPath, [BIN, 'migrate', 'run', 'rb.yaml'], {
      cwd: b.dir,
      env: { PATH: process.env.PATH, HOME: b.home, CLAW_HOME: join(b.home, '.claw'), NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stderr })),
    );
    for (let i = 0; i < 200 && !existsSync(join(b.dir, 'once')); i++) await new Promise((r) => setTimeout(r, 50));
    return { child, exited };
  }

  it('kill -9 during a step: the next run takes over the stale lock and runs that step again, not the ones before', async () => {
    const b = bench(KILLABLE);
    const { child, exited } = await runningInS2(b);
    // Meanwhile: one writer at a time; status reads freely and says who holds it.
    const busy = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(busy.exitCode).toBe(3);
    expect(busy.stderr).toMatch(new RegExp(`^error: locked by pid ${child.pid} on this host since .* \\(claw migrate run\\)$`, 'm'));
    const held = JSON.parse((await b.claw(['migrate', 'status', 'rb.yaml', '--json'])).stdout) as { lock: { pid: number; stale: boolean } };
    expect(held.lock).toMatchObject({ pid: child.pid, stale: false });

    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    const s2 = (b.state()!.steps as Record<string, { status: string; process?: { pid: number } }>).s2!;
    expect(s2.status).toBe('running');

    // The step's command outlived claw (a group of its own): status says so, a run refuses (test/e2e/migrate-kill.test.ts).
    const during = await b.claw(['migrate', 'status', 'rb.yaml']);
    expect(during.stdout).toMatch(
      new RegExp(`^next: step A/s2 is still running from an earlier claw \\(process group ${s2.process!.pid}\\): wait for it to finish, or stop it`, 'm'),
    );
    process.kill(-s2.process!.pid, 'SIGKILL');
    for (let i = 0; i < 200 && groupAlive(s2.process!.pid); i++) await new Promise((r) => setTimeout(r, 20));

    const status = await b.claw(['migrate', 'status', 'rb.yaml']);
    expect(status.stdout).toMatch(/stale lock: pid \d+ \(claw migrate run\) is no longer running/);
    expect(status.stdout).toMatch(/^next: re-run the interrupted step A\/s2: claw migrate run rb\.yaml$/m);

    const r = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^warning: removing a stale lock: pid \d+ \(claw migrate run, since .*\) is no longer running on this host$/m);
    expect(r.stderr).toContain('step A/s2 was interrupted mid-way last time; running it again');
    expect(r.stdout).toMatch(/^re-running \(it was interrupted mid-way\) A\/s2; 2 steps to run:/);
    expect(b.trace()).toEqual(['s1', 's2-start', 's2-start', 's2-end', 's3']);
    expect((b.state()!.steps as Record<string, { attempts: number }>).s2!.attempts).toBe(2);
    expect(existsSync(join(b.home, '.claw/runbooks/demo/lock'))).toBe(false);
  });

  it('Ctrl-C during a step: exit 130, the step recorded interrupted and the lock released; the next run re-runs it', async () => {
    const b = bench(KILLABLE);
    const { child, exited } = await runningInS2(b);
    child.kill('SIGINT');
    const end = await exited;
    expect(end.code).toBe(130);
    expect(end.stderr).toMatch(/^interrupted$/m);
    expect((b.state()!.steps as Record<string, { status: string }>).s2!.status).toBe('interrupted');
    expect(existsSync(join(b.home, '.claw/runbooks/demo/lock'))).toBe(false);
    const r = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('step A/s2 was interrupted mid-way last time; running it again');
    expect(r.stderr).not.toContain('stale lock');
    expect(b.trace()).toEqual(['s1', 's2-start', 's2-start', 's2-end', 's3']);
  });

  it('--until stops after a step; --restart asks first (refused without a terminal) and starts over', async () => {
    const b = bench(DEMO.replace(/ {6}- id: b-login[\s\S]*?new host\.\n/, ''));
    writeFileSync(join(b.dir, 'ready'), '');
    expect((await b.claw(['migrate', 'run', 'rb.yaml', '--until', 'A'])).stdout).toMatch(/^stopped after A \(--until\); to go on: claw migrate run rb\.yaml$/m);
    expect(b.trace()).toEqual(['a-first']);
    const restart = await b.claw(['migrate', 'run', 'rb.yaml', '--restart', '--until', 'a-first']);
    expect(restart.exitCode).toBe(3);
    expect(restart.stderr).toMatch(/^error: refusing without a terminal: Start runbook demo over from the first step\?/m);
    expect((await b.claw(['migrate', 'run', 'rb.yaml', '--restart', '--yes', '--until', 'a-first'])).exitCode).toBe(0);
    expect(b.trace()).toEqual(['a-first', 'a-first']);
  });

  it('a runbook changed since its state was written is refused (exit 3) until --accept-changes', async () => {
    const b = bench(DEMO);
    await b.claw(['migrate', 'run', 'rb.yaml']);
    writeFileSync(
      b.file,
      DEMO.replace('title: hand over', 'title: hand over the key').replace(
        `      - { id: b-copy, kind: run, argv: ${echo('b-copy')} }\n`,
        `      - { id: b-copy, kind: run, argv: ${echo('b-copy')} }\n      - { id: b-new, kind: run, argv: ${echo('b-new')} }\n`,
      ),
    );
    const refused = await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/^error: rb\.yaml changed since its state was written \(steps added b-new\); nothing was run$/m);
    expect(refused.stderr).toMatch(/then pass --accept-changes/);
    const status = JSON.parse((await b.claw(['migrate', 'status', 'rb.yaml', '--json'])).stdout) as {
      changed: boolean;
      changes: { added: string[] };
      next: { action: string };
    };
    expect(status).toMatchObject({ changed: true, changes: { added: ['b-new'] }, next: { action: 'accept-changes' } });
    writeFileSync(join(b.dir, 'ready'), '');
    const accepted = await b.claw(['migrate', 'run', 'rb.yaml', '--accept-changes']);
    expect(accepted.exitCode).toBe(0);
    expect(accepted.stderr).toMatch(/^warning: accepting the changed runbook \(steps added b-new\)$/m);
    expect(b.trace()).toEqual(['a-first', 'b-copy', 'b-new']);
  });

  it('keeps the state in the git repo holding the runbook', async () => {
    const b = bench(DEMO, { git: true });
    await b.claw(['migrate', 'run', 'rb.yaml']);
    expect(b.state()).toMatchObject({ name: 'demo', file: b.file });
    expect(readFileSync(join(b.dir, '.claw', '.gitignore'), 'utf8')).toContain('*');
    expect(existsSync(join(b.dir, '.claw/runbooks/demo/logs/a-first.log'))).toBe(true);
  });
});

describe('claw migrate rollback', () => {
  async function completed(): Promise<Bench> {
    const b = bench(DEMO);
    writeFileSync(join(b.dir, 'ready'), '');
    await b.claw(['migrate', 'run', 'rb.yaml']);
    await b.claw(['migrate', 'approve', 'rb.yaml', 'b-login']);
    expect((await b.claw(['migrate', 'run', 'rb.yaml', '--yes'])).exitCode).toBe(0);
    return b;
  }

  it('runs the rollback steps of completed phases latest first; refuses to cross a phase that is not reversible without --force', async () => {
    const b = await completed();
    const before = b.trace();
    const noTty = await b.claw(['migrate', 'rollback', 'rb.yaml', '--to', 'D']);
    expect(noTty.exitCode).toBe(3);
    expect(noTty.stderr).toMatch(/^error: refusing without a terminal: Roll back phase D of runbook demo\?$/m);

    const cross = await b.claw(['migrate', 'rollback', 'rb.yaml', '--yes']);
    expect(cross.exitCode).toBe(3);
    expect(cross.stderr).toMatch(/^error: rolling back to phase A would cross phase C \(cut over\), which is not reversible; nothing was run$/m);
    expect(cross.stderr).toMatch(/^hint: --to D stops before it; --force skips its undo/m);
    expect(b.trace()).toEqual(before);

    const dry = await b.claw(['migrate', 'rollback', 'rb.yaml', '--force', '--dry-run']);
    expect(dry.stdout).toMatch(/^rollback to phase A \(latest phase first\): D, C, B, A$/m);
    expect(dry.stdout).toMatch(/^ {2}C {2}cut over: not reversible: nothing to run/m);
    expect(b.trace()).toEqual(before);

    const d = await b.claw(['migrate', 'rollback', 'rb.yaml', '--to', 'D', '--yes']);
    expect(d.exitCode).toBe(0);
    expect(d.stdout).toMatch(/^rolled back phase D; the next run starts at D\/d-tidy: claw migrate run rb\.yaml$/m);
    expect(b.trace()).toEqual([...before, 'd-undo']);

    const all = await b.claw(['migrate', 'rollback', 'rb.yaml', '--force', '--yes']);
    expect(all.exitCode).toBe(0);
    expect(all.stderr).toMatch(/phase C is not reversible: its changes stay; claw forgets it ran \(--force\)/);
    expect(b.trace()).toEqual([...before, 'd-undo', 'b-undo', 'a-undo']);
    const status = JSON.parse((await b.claw(['migrate', 'status', 'rb.yaml', '--json'])).stdout) as {
      complete: boolean;
      next: { step: string };
      phases: { status: string }[];
    };
    expect(status.complete).toBe(false);
    expect(status.phases.map((p) => p.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back']);
    expect(status.next.step).toBe('a-first');
  });
});

describe('claw migrate with an ssm step (sandbox Run Command)', () => {
  it("runs the runbook's lines on the host's instance and keeps the output in the step's log; an unreachable host fails the step", async () => {
    const b = bench(`name: demo
description: ssm
phases:
  - id: A
    title: remote
    reversible: false
    steps:
      - id: a-health
        kind: ssm
        host: clawdinator-1
        commands: ["echo 'hello from the host'", systemctl is-active clawdinator]
      - id: a-lost
        kind: ssm
        host: clawdinator-babelfish
        commands: [systemctl is-active clawdinator]
`);
    // babelfish's SSM connection cut in the sandbox account before the run.
    const sbx = await openSandbox({ home: join(b.home, '.claw'), seedDir: join(ROOT, 'fixtures', 'sandbox') });
    await sbx.admin.setPingStatus('i-0c9a2b4d6e8f10a37', 'ConnectionLost');
    const r = await b.claw(['--sandbox', 'migrate', 'run', 'rb.yaml']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: step A\/a-lost failed \(SSM cannot reach clawdinator-babelfish \(i-[0-9a-f]+: connection-lost\)\)$/m);
    expect(r.stderr).toMatch(/fix the cause, then claw --sandbox migrate run rb\.yaml starts again at a-lost$/m);
    const log = readFileSync(join(b.home, '.claw/sandbox/runbooks/demo/logs/a-health.log'), 'utf8');
    expect(log).toMatch(/ssm: clawdinator-1 is i-[0-9a-f]+; sending 2 command lines\nhello from the host\nactive\n=== done in/);
  });
});
