import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { update } from '../../src/core/dashboard-keys.js';
import { initialState } from '../../src/core/dashboard-state.js';
import { type DashboardState, type Msg } from '../../src/core/dashboard-types.js';
import type { FleetInstance } from '../../src/core/fleet.js';
import { DashboardScreen, layout } from '../../src/ui/dashboard/screen.js';
import { ColorContext } from '../../src/ui/dashboard/theme.js';
import { fleetData, goodRefresh, HEAD, INSTANCES, NOW } from '../helpers/dashboard-fixture.js';

// Each view of the dashboard as a pure frame of a state: exact size, what it says.

const where = { target: 'profile ops · eu-central-1', sandbox: false, repo: '~/src/clawdinators' };
const fold = (s: DashboardState, ...msgs: Msg[]) => msgs.reduce((acc, m) => update(acc, m).state, s);
const key = (input: string, extra: object = {}): Msg => ({ type: 'key', key: { input, ...extra } });
const start = () => initialState({ intervalMs: 10_000, readonly: false, now: NOW });
const loaded = (result = goodRefresh()) => fold(start(), { type: 'refreshed', at: NOW, result });

function frame(state: DashboardState, columns = 120, rows = 30): string[] {
  const r = render(<DashboardScreen state={state} where={where} width={columns} height={rows} />);
  const lines = r.lastFrame()!.split('\n');
  r.unmount();
  return lines;
}

describe('dashboard views', () => {
  it('fills exactly the terminal on a small one, every line cut to its width, without the panels', () => {
    const lines = frame(loaded(), 60, 15);
    expect(lines).toHaveLength(15);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    expect(lines.join('\n')).not.toContain('AMI retention');
    expect(lines[14]).toMatch(/^j\/k move · Enter detail/);
    // the least telling columns give way; host, state and drift stay
    expect(lines[3]).toBe('  HOST↑                  STATE    AMI       DRIFT');
    expect(lines[6]).toBe('  clawdinator-babelfish  running  1 behind  instance-type,a…');
    expect(layout(15, false)).toEqual({ banner: 0, table: 12, panels: 0, main: 12 });
  });

  it('draws only the rows that fit, scrolled to the selection, however large the fleet', () => {
    const many: FleetInstance[] = Array.from({ length: 500 }, (_, i) => ({
      ...INSTANCES[0]!,
      instanceId: `i-${(0x10000000 + i).toString(16)}`,
      name: `host-${String(i).padStart(3, '0')}`,
      tags: {},
    }));
    const s = fold(
      loaded({
        ...goodRefresh(),
        fleet: {
          ok: true,
          value: fleetData(
            many,
            many.map((i) => i.name!),
          ),
        },
      }),
      { type: 'viewport', pageSize: layout(30, false).table - 2 },
      key('G'),
    );
    const lines = frame(s);
    expect(lines).toHaveLength(30);
    expect(lines.join('\n')).toContain('Fleet: 500 hosts, 0 unregistered');
    const shown = lines.filter((l) => /^[> ] host-/.test(l));
    expect(shown).toHaveLength(layout(30, false).table - 2);
    expect(shown.at(-1)).toMatch(/^> host-499 /);
  });

  it('shows the rev prompt when there is no HEAD to deploy', () => {
    const noHead = { ...goodRefresh(), head: { ok: true as const, value: { rev: null, note: 'not a git checkout' } } };
    const s = fold(loaded(noHead), key('d'), key('0'), key('1'));
    const text = frame(s).join('\n');
    expect(text).toContain('deploy clawdinator-1: the repo has no HEAD to deploy (not a git checkout)');
    expect(text).toContain('rev: 01_');
    expect(text).toContain('HEAD - (not a git checkout)');
  });

  it('shows a plan that cannot be made as the reason, and the way back', () => {
    const s = fold(loaded(), key('d'), { type: 'plan-failed', host: 'clawdinator-1', message: 'the deploy lock is held by bob@ci (pid 7), deploying all' });
    const text = frame(s).join('\n');
    expect(text).toContain('cannot deploy clawdinator-1: the deploy lock is held by bob@ci (pid 7), deploying all');
    expect(text).toContain('Esc back');
    expect(text).not.toContain('y deploy');
  });

  it('the deploy dialog wraps a long message inside its box: every word shown, nothing past the edge', () => {
    const message =
      'SSM cannot reach clawdinator-1 (i-0a3f5c9e2b7d41c08: connection-lost); the SSM agent must be online on every target: leave the host out of the target or repair its agent. Nothing was sent';
    const s = fold(loaded(), key('d'), { type: 'plan-failed', host: 'clawdinator-1', message });
    const lines = frame(s, 60, 24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    // The box's lines, borders and padding off, put back together: the whole message.
    const inside = lines.filter((l) => l.startsWith('│')).map((l) => l.slice(2, -2).trim());
    expect(inside.join(' ')).toBe(`cannot deploy clawdinator-1: ${message} Esc back`);
    expect(inside.length).toBeGreaterThan(3);
  });

  it('the table header marks the sort column and its direction; S reverses it', () => {
    const s = fold(loaded(), key('s'), key('S'));
    const lines = frame(s);
    const text = lines.join('\n');
    expect(text).toContain('sort: state ↓');
    expect(text).toMatch(/^ {2}HOST {2,}(INSTANCE {2,})?STATE↓ /m);
    const hosts = lines.filter((l) => /^[> ] clawdinator-/.test(l)).map((l) => l.slice(2).split(' ')[0]);
    // running rows after the stopped one, reversed: the natural order (state, then host) backwards.
    expect(hosts).toEqual(['clawdinator-scratch', 'clawdinator-babelfish', 'clawdinator-2', 'clawdinator-1']);
  });

  it('shows a failed rollout with its outcome, and the failing output tail in the host detail', () => {
    const s = fold(
      loaded(),
      key('d'),
      { type: 'plan-ready', host: 'clawdinator-1', text: 'P', fingerprint: 'F', sha: HEAD },
      key('y'),
      { type: 'rollout-event', at: NOW, event: { type: 'step-started', step: 'deploy clawdinator-1', detail: 'switching' } },
      { type: 'rollout-event', at: NOW + 4_000, event: { type: 'step-finished', step: 'deploy clawdinator-1', outcome: 'failed', detail: 'switch failed' } },
      {
        type: 'rollout-done',
        at: NOW + 5_000,
        status: 'failed',
        message: 'deploy failed at clawdinator-1: switch failed',
        result: ['clawdinator-1  failed  4s  switch failed', '    | error: builder failed'],
        tails: { 'clawdinator-1': ['error: builder failed'] },
      },
    );
    const text = frame(s).join('\n');
    expect(text).toContain('deploy clawdinator-1 -> e3b1c5d7f9a2: failed (5s)');
    expect(text).toContain('deploy clawdinator-1: failed (switch failed)');
    expect(text).toContain('deploy failed at clawdinator-1: switch failed');
    expect(text).toContain('    | error: builder failed');
    expect(text).toContain('Esc back to the fleet');
    const detail = frame(fold(s, key('', { escape: true }), key('', { enter: true }))).join('\n');
    expect(detail).toContain('output tail of the deploy from this dashboard');
    expect(detail).toContain('  | error: builder failed');
  });

  it('shows spot prices when asked, and a failure to read them', () => {
    const asked = fold(loaded(), key('p'));
    expect(frame(asked).join('\n')).toContain('spot prices: asking EC2 …');
    const ready = fold(asked, { type: 'spot-ready', at: NOW, lines: ['AZ             InstanceType', 'eu-central-1b  t4g.small'] });
    expect(frame(ready).join('\n')).toContain('spot prices at 12:00:00Z · r again · Esc back\nAZ             InstanceType\neu-central-1b  t4g.small');
    const failed = fold(ready, key('r'), { type: 'spot-failed', at: NOW, message: 'OptInRequired' });
    expect(frame(failed).join('\n')).toContain('spot prices: could not read them: OptInRequired');
  });

  it('colours the rows only when colour is on (NO_COLOR, --no-color and pipes turn it off)', () => {
    const draw = (color: boolean) => {
      const r = render(
        <ColorContext.Provider value={color}>
          <DashboardScreen state={loaded()} where={where} width={120} height={30} />
        </ColorContext.Provider>,
      );
      const text = r.lastFrame()!;
      r.unmount();
      return text;
    };
    const coloured = draw(true)
      .split('\n')
      .find((l) => l.includes('clawdinator-1 '))!;
    expect(coloured).toContain(`\u001b[32mrunning`);
    expect(draw(false)).not.toContain('\u001b[');
  });

  it('counts the other errors of a failed refresh in the banner, and shows a held deploy lock', () => {
    const held = {
      kind: 'held' as const,
      etag: '"e"',
      lock: {
        id: 'x',
        holder: 'bob@ci',
        pid: 7,
        target: 'all',
        rev: HEAD,
        acquiredAt: new Date(NOW - 300_000).toISOString(),
        expiresAt: new Date(NOW + 1_500_000).toISOString(),
      },
    };
    const s = fold(
      loaded({ ...goodRefresh(), lock: { ok: true, value: held } }),
      { type: 'refresh-started', at: NOW + 10_000 },
      {
        type: 'refreshed',
        at: NOW + 11_000,
        result: {
          ...goodRefresh(),
          lock: { ok: true, value: held },
          history: { ok: false, error: 'AccessDenied' },
          retention: { ok: false, error: 'Throttling' },
        },
      },
    );
    const text = frame(s).join('\n');
    expect(text).toContain('! refresh failed: Throttling (+1 more)');
    expect(text).toContain('lock held by bob@ci (pid 7), deploying all at e3b1c5d7f9a2, for 5m, expires in 24m');
    expect(text).toContain('Recent deploys STALE 11s');
    expect(text).not.toMatch(/Fleet:.*STALE/);
  });
});
