import { describe, expect, it } from 'vitest';
import { update } from '../../src/core/dashboard-keys.js';
import { FLASH_MS, initialState } from '../../src/core/dashboard-state.js';
import { type DashboardState, type Effect, type KeyPress, type Msg } from '../../src/core/dashboard-types.js';
import { backupData, failedRefresh, fleetData, goodRefresh, HEAD, NOW } from '../helpers/dashboard-fixture.js';

// The dashboard's state machine through its one entry point: messages in, state and effects out.

function run(s: DashboardState, ...msgs: (Msg | string | KeyPress)[]): { state: DashboardState; effects: Effect[] } {
  let state = s;
  const effects: Effect[] = [];
  for (const m of msgs) {
    const msg: Msg = typeof m === 'string' ? { type: 'key', key: { input: m } } : 'type' in m ? m : { type: 'key', key: m };
    const r = update(state, msg);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const loaded = (o: { readonly?: boolean } = {}) =>
  run(
    initialState({ intervalMs: 10_000, readonly: o.readonly ?? false, now: NOW }),
    { type: 'refresh-started', at: NOW },
    { type: 'refreshed', at: NOW, result: goodRefresh() },
  ).state;

describe('dashboard keys and state', () => {
  it('selects the first row once the fleet is read, and moves with j/k, arrows, g/G and pages (clamped)', () => {
    const s = loaded();
    expect(s.selectedKey).toBe('clawdinator-1');
    expect(run(s, 'j', 'j').state.selectedKey).toBe('clawdinator-babelfish');
    expect(run(s, { input: '', down: true }, { input: '', up: true }, 'k').state.selectedKey).toBe('clawdinator-1');
    expect(run(s, 'G').state.selectedKey).toBe('i:i-0d1c3e5a7b9f20c46');
    expect(run(s, 'G', 'j', 'g').state.selectedKey).toBe('clawdinator-1');
    const paged = run(s, { type: 'viewport', pageSize: 2 }, { input: '', pageDown: true });
    expect(paged.state).toMatchObject({ selectedKey: 'clawdinator-babelfish', top: 1 });
    expect(run(paged.state, 'j', { input: '', pageUp: true }).state).toMatchObject({ selectedKey: 'clawdinator-2', top: 1 });
    expect(run(paged.state, 'g').state).toMatchObject({ selectedKey: 'clawdinator-1', top: 0 });
  });

  it('keeps the selection on the same host across refreshes, and on the nearest row when it goes away', () => {
    const s = run(loaded(), 'j', 'j').state;
    const again = run(s, { type: 'refreshed', at: NOW + 10_000, result: goodRefresh() }).state;
    expect(again.selectedKey).toBe('clawdinator-babelfish');
    const fewer = goodRefresh(fleetData(undefined, ['clawdinator-1', 'clawdinator-2']));
    const gone = run(s, { type: 'refreshed', at: NOW + 10_000, result: fewer }).state;
    // babelfish is unregistered now: a different row, so the selection stays at that position
    expect(gone.visible.map((r) => r.key)[2]).toBe('i:i-0c9a2b4d6e8f10a37');
    expect(gone.selectedKey).toBe('i:i-0c9a2b4d6e8f10a37');
  });

  it('keeps the last good rows through a failed refresh and records the failure', () => {
    const s = loaded();
    const failed = run(s, 'r', { type: 'refresh-started', at: NOW + 5_000 }, { type: 'refreshed', at: NOW + 6_000, result: failedRefresh('throttled') });
    expect(failed.effects).toEqual([{ kind: 'refresh' }]);
    expect(failed.state.rows).toBe(s.rows);
    expect(failed.state.fleet).toMatchObject({ at: NOW, error: 'throttled' });
    expect(failed.state.refresh).toMatchObject({ failures: 1, errors: ['throttled'], lastSuccessAt: NOW, inFlight: false });
    expect(run(failed.state, { type: 'refresh-started', at: NOW + 7_000 }, 'r').effects).toEqual([]);
  });

  it('filters as the operator types, keeps the filter on Enter, clears it on Esc', () => {
    const s = loaded();
    const typing = run(s, '/', 'b', 'a', 'b', 'x', { input: '', backspace: true }).state;
    expect(typing.mode.kind).toBe('filter');
    expect(typing.filter).toBe('bab');
    expect(typing.visible.map((r) => r.host)).toEqual(['clawdinator-babelfish']);
    expect(typing.selectedKey).toBe('clawdinator-babelfish');
    const kept = run(typing, { input: '\r', enter: true }).state;
    expect(kept).toMatchObject({ mode: { kind: 'table' }, filter: 'bab' });
    expect(run(kept, { input: '', escape: true }).state.visible).toHaveLength(4);
    expect(run(typing, { input: '', escape: true }).state).toMatchObject({ mode: { kind: 'table' }, filter: '' });
    // q and s are text while filtering, not commands
    expect(run(s, '/', 'q', 's').state).toMatchObject({ filter: 'qs', sort: 'host' });
  });

  it('Esc on a filter goes back to the host selected before it; a filter that matches nothing keeps the selection', () => {
    const s = run(loaded(), 'j', 'j').state;
    expect(s.selectedKey).toBe('clawdinator-babelfish');
    // Typing moves the selection onto what matches...
    const typing = run(s, '/', 's', 'c', 'r').state;
    expect(typing.selectedKey).toBe('i:i-0d1c3e5a7b9f20c46');
    // ...and Esc cancels the filter and the move.
    expect(run(typing, { input: '', escape: true }).state).toMatchObject({ mode: { kind: 'table' }, filter: '', selectedKey: 'clawdinator-babelfish' });
    const none = run(s, '/', 'z', 'z', 'z').state;
    expect(none.visible).toEqual([]);
    expect(none.selectedKey).toBe('clawdinator-babelfish');
    expect(run(none, { input: '', backspace: true }, { input: '', backspace: true }, { input: '', backspace: true }).state.selectedKey).toBe(
      'clawdinator-babelfish',
    );
    expect(run(none, { input: '', escape: true }).state.selectedKey).toBe('clawdinator-babelfish');
    // Enter keeps the filter and the row it selected; Esc in the table then clears the filter, keeping that row.
    const kept = run(typing, { input: '\r', enter: true }).state;
    expect(run(kept, { input: '', escape: true }).state).toMatchObject({ filter: '', selectedKey: 'i:i-0d1c3e5a7b9f20c46' });
  });

  it('S reverses the sort; s moves to the next column in its natural order', () => {
    const s = loaded();
    const rev = run(s, 'S').state;
    expect(rev.sortReversed).toBe(true);
    expect(rev.visible.map((r) => r.host)).toEqual([...s.visible.map((r) => r.host)].reverse());
    expect(rev.selectedKey).toBe(s.selectedKey);
    expect(run(rev, 'S').state.visible.map((r) => r.host)).toEqual(s.visible.map((r) => r.host));
    expect(run(rev, 's').state).toMatchObject({ sort: 'state', sortReversed: false });
  });

  it('cycles the sort column with s', () => {
    const s = run(loaded(), 's').state;
    expect(s.sort).toBe('state');
    expect(run(loaded(), ...Array<string>(7).fill('s')).state.sort).toBe('drift');
    expect(run(loaded(), ...Array<string>(7).fill('s')).state.visible[0]!.host).toBe('clawdinator-babelfish');
  });

  it('opens the detail view on Enter and goes back on Esc', () => {
    const s = run(loaded(), 'j', { input: '\r', enter: true }).state;
    expect(s.mode.kind).toBe('detail');
    expect(run(s, 'j').state).toMatchObject({ mode: { kind: 'detail' }, selectedKey: 'clawdinator-babelfish' });
    expect(run(s, { input: '', escape: true }).state.mode.kind).toBe('table');
  });

  it('d plans a deploy of HEAD, y runs exactly the plan shown, n or Esc leave', () => {
    const asked = run(loaded(), 'd');
    expect(asked.state.mode).toEqual({ kind: 'confirm', host: 'clawdinator-1', plan: { status: 'loading' } });
    expect(asked.effects).toEqual([{ kind: 'plan', host: 'clawdinator-1', rev: HEAD }]);
    expect(run(asked.state, 'y').effects).toEqual([]); // nothing to confirm before the plan is there
    const ready = run(asked.state, { type: 'plan-ready', host: 'clawdinator-1', text: 'warning: x\nPLAN', fingerprint: 'F1', sha: HEAD }).state;
    expect(run(ready, 'n').state.mode.kind).toBe('table');
    expect(run(ready, { input: '', escape: true }).state.mode.kind).toBe('table');
    const go = run(ready, 'y');
    expect(go.effects).toEqual([{ kind: 'deploy', host: 'clawdinator-1', sha: HEAD, fingerprint: 'F1' }]);
    expect(go.state.mode.kind).toBe('rollout');
    expect(go.state.rollout).toMatchObject({ host: 'clawdinator-1', sha: HEAD, status: 'running' });
  });

  it('drops a plan for a dialog the operator left, and shows a failed plan', () => {
    const asked = run(loaded(), 'd').state;
    const left = run(asked, { input: '', escape: true }, { type: 'plan-ready', host: 'clawdinator-1', text: 'P', fingerprint: 'F', sha: HEAD }).state;
    expect(left.mode.kind).toBe('table');
    const failed = run(asked, { type: 'plan-failed', host: 'clawdinator-1', message: 'the deploy lock is held by bob' }).state;
    expect(failed.mode).toMatchObject({ kind: 'confirm', plan: { status: 'error', message: 'the deploy lock is held by bob' } });
    expect(run(failed, 'y').effects).toEqual([]);
  });

  it('asks for the rev when the repo has no HEAD', () => {
    const noHead = { ...goodRefresh(), head: { ok: true as const, value: { rev: null, note: 'not a git checkout' } } };
    const s = run(initialState({ intervalMs: 10_000, readonly: false, now: NOW }), { type: 'refreshed', at: NOW, result: noHead }).state;
    const typing = run(s, 'd', 'a', 'b', 'c', { input: '', backspace: true });
    expect(typing.state.mode).toEqual({ kind: 'rev', host: 'clawdinator-1', text: 'ab' });
    expect(typing.effects).toEqual([]);
    expect(run(s, 'd', { input: '\r', enter: true }).state.flash?.text).toMatch(/type the rev/);
    expect(run(typing.state, { input: '\r', enter: true }).effects).toEqual([{ kind: 'plan', host: 'clawdinator-1', rev: 'ab' }]);
  });

  it('a running deploy cannot be left, only interrupted; once done, it refreshes and Esc goes back', () => {
    const ready = run(loaded(), 'd', { type: 'plan-ready', host: 'clawdinator-1', text: 'P', fingerprint: 'F', sha: HEAD }).state;
    const running = run(ready, 'y').state;
    expect(run(running, 'q').effects).toEqual([]);
    expect(run(running, { input: '', escape: true }).state.mode.kind).toBe('rollout');
    expect(run(running, { input: 'c', ctrl: true }).effects).toEqual([{ kind: 'abort-deploy' }]);
    const ev = run(running, { type: 'rollout-event', at: NOW + 1, event: { type: 'step-started', step: 'deploy clawdinator-1', detail: 'switching' } }).state;
    expect(ev.rollout?.events).toHaveLength(1);
    const done = run(ev, {
      type: 'rollout-done',
      at: NOW + 9_000,
      status: 'failed',
      message: 'deploy failed at clawdinator-1',
      result: ['x'],
      tails: { 'clawdinator-1': ['error: boom'] },
    });
    expect(done.effects).toEqual([{ kind: 'refresh' }]);
    expect(done.state.tails['clawdinator-1']).toEqual(['error: boom']);
    expect(done.state.rollout).toMatchObject({ status: 'failed', finishedAt: NOW + 9_000 });
    const back = run(done.state, { input: '', escape: true }).state;
    expect(back.mode.kind).toBe('table');
    expect(run(back, 'l').state.mode.kind).toBe('rollout');
  });

  it('--readonly disables d and b, saying so', () => {
    const s = loaded({ readonly: true });
    for (const key of ['d', 'b']) {
      const r = run(s, key);
      expect(r.effects).toEqual([]);
      expect(r.state.mode.kind).toBe('table');
      expect(r.state.flash?.text).toMatch(/read-only/);
    }
  });

  it('deploys registry hosts only', () => {
    const s = run(loaded(), 'G').state;
    expect(run(s, 'd').state.flash?.text).toMatch(/not in nix\/instances.json/);
  });

  it('b backs up the selected OpenClaw host of the stack, one at a time, and refreshes when done', () => {
    const none = run(loaded(), 'b');
    expect(none.effects).toEqual([]);
    expect(none.state.flash?.text).toBe('clawdinator-1 has no S3 backup (OpenClaw hosts do: claw tui --stack NAME lists them)');
    const s = run(initialState({ intervalMs: 10_000, readonly: false, now: NOW }), {
      type: 'refreshed',
      at: NOW,
      result: goodRefresh(undefined, backupData()),
    }).state;
    expect(run(s, 'b').state.flash?.text).toBe('clawdinator-1 has no S3 backup: only the OpenClaw hosts of stack lab do');
    const started = run(s, 'G', 'b');
    expect(started.effects).toEqual([{ kind: 'backup', host: 'openclaw-lab' }]);
    expect(started.state.backingUp).toBe('openclaw-lab');
    expect(run(started.state, 'b').effects).toEqual([]);
    const done = run(started.state, { type: 'backup-done', host: 'openclaw-lab', text: 'backup of openclaw-lab done' });
    expect(done.effects).toEqual([{ kind: 'refresh' }]);
    expect(done.state).toMatchObject({ backingUp: null, flash: { text: 'backup of openclaw-lab done' } });
  });

  it('p fetches spot prices; ? shows help; q and Ctrl-C quit; a notice fades', () => {
    const spot = run(loaded(), 'p');
    expect(spot.effects).toEqual([{ kind: 'spot' }]);
    expect(run(spot.state, { type: 'spot-ready', at: NOW, lines: ['a'] }).state.spot).toMatchObject({ status: 'ready', lines: ['a'] });
    expect(run(loaded(), '?').state.mode.kind).toBe('help');
    expect(run(loaded(), '?', '?').state.mode.kind).toBe('table');
    expect(run(loaded(), 'q').effects).toEqual([{ kind: 'quit' }]);
    expect(run(loaded(), 'j', { input: '\r', enter: true }, { input: 'c', ctrl: true }).effects).toEqual([{ kind: 'quit' }]);
    const noticed = run(loaded(), { type: 'notice', text: 'hello' }).state;
    expect(run(noticed, { type: 'tick', now: NOW + FLASH_MS - 1 }).state.flash?.text).toBe('hello');
    expect(run(noticed, { type: 'tick', now: NOW + FLASH_MS }).state.flash).toBeNull();
  });
});
