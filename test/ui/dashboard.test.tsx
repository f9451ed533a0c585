import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { RefreshResult } from '../../src/core/dashboard-types.js';
import { DashboardApp } from '../../src/ui/dashboard/app.js';
import { backupData, failedRefresh, goodRefresh, HEAD } from '../helpers/dashboard-fixture.js';
import { fakeDeps, frameWhen, type FakeDeps } from '../helpers/dashboard-deps.js';

// The dashboard as the operator sees it (unstyled frames), driven by keys on stdin,
// with fake services behind it.

const where = { target: 'SANDBOX eu-central-1', sandbox: true, repo: 'fixtures/clawdinators' };
let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

function open(deps: FakeDeps, o: { readonly?: boolean; columns?: number; rows?: number } = {}) {
  const r = render(
    <DashboardApp
      deps={deps}
      where={where}
      intervalMs={10_000}
      readonly={o.readonly ?? false}
      color={false}
      size={{ columns: o.columns ?? 150, rows: o.rows ?? 30 }}
    />,
  );
  unmount = r.unmount;
  const frame = (done: (f: string) => boolean) => frameWhen(r.lastFrame, done);
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await new Promise((res) => setTimeout(res, 5));
    }
  };
  return { ...r, frame, press };
}

const sequence = (...results: RefreshResult[]) => {
  let i = 0;
  return async () => results[Math.min(i++, results.length - 1)]!;
};

describe('claw tui dashboard', () => {
  it('shows the header, the fleet table with every column, and the panels', async () => {
    const ui = open(fakeDeps({ refresh: sequence(goodRefresh()) }));
    const f = await ui.frame((x) => x.includes('clawdinator-scratch'));
    expect(f).toContain('claw · SANDBOX eu-central-1 · account 123456789012 · repo fixtures/clawdinators · HEAD e3b1c5d7f9a2');
    expect(f).toContain('lock free · refreshed 12:00:00Z · every 10s');
    expect(f).toContain('Fleet: 3 hosts, 1 unregistered · sort: host ↑');
    // The sort column carries its direction (↑ natural order).
    expect(f).toMatch(/^ {2}HOST↑ {18}INSTANCE {13}STATE {4}TYPE {8}AZ {13}AMI {7}REV {14}SSM {14}DRIFT$/m);
    expect(f).toMatch(/^> clawdinator-1 +i-0a3f5c9e2b7d41c08 +running +t3\.large +eu-central-1a +latest +e3b1c5d7 =HEAD +online +ok$/m);
    expect(f).toMatch(
      /^ {2}clawdinator-babelfish +i-0c9a2b4d6e8f10a37 +running +t3\.medium! +eu-central-1a +1 behind +7c2e9a4f !=HEAD +connection-lost +instance-type,ami-behind$/m,
    );
    expect(f).toMatch(/^ {2}clawdinator-scratch +i-0d1c3e5a7b9f20c46 +stopped +t3\.large +eu-central-1a +2 behind +- +online +unregistered$/m);
    expect(f).toContain('AMI retention (keep newest 1)');
    expect(f).toContain('a prune would remove 1 (8 GiB, $0.40/mo):');
    expect(f).toMatch(/ami-07d2f4a6c8e0b1357 {2}16d old {2}clawdinator-nixos-20261107080000/);
    expect(f).toMatch(/3h ago {2}clawdinator-1 {2}e3b1c5d7 {2}success {2}alice@laptop/);
    expect(f.split('\n').at(-1)).toBe('j/k move · Enter detail · / filter · s/S sort · r refresh · d deploy · b backup · p spot · ? help · q quit');
    expect(f.split('\n')).toHaveLength(30);
  });

  it('filters as you type, keeps the filter on Enter and clears it on Esc', async () => {
    const ui = open(fakeDeps({ refresh: sequence(goodRefresh()) }));
    await ui.frame((x) => x.includes('clawdinator-scratch'));
    await ui.press('/', 'b', 'a', 'b');
    let f = await ui.frame((x) => x.includes('/bab_'));
    expect(f).toContain('/bab_   1 of 4 · Enter keep · Esc clear');
    expect(f).toMatch(/^> clawdinator-babelfish /m);
    expect(f).not.toContain('clawdinator-2 ');
    await ui.press('\r');
    f = await ui.frame((x) => x.includes('filter /bab (1 shown)') && x.includes('q quit'));
    expect(f).not.toContain('clawdinator-scratch');
    await ui.press('\u001B');
    f = await ui.frame((x) => !x.includes('filter /'));
    expect(f).toContain('clawdinator-scratch');
  });

  it('takes keys typed faster than one event each (a held j, Esc right before /)', async () => {
    const ui = open(fakeDeps({ refresh: sequence(goodRefresh()) }));
    await ui.frame((x) => x.includes('clawdinator-scratch'));
    await ui.press('jj');
    expect(await ui.frame((x) => /^> clawdinator-babelfish/m.test(x))).toMatch(/^> clawdinator-babelfish/m);
    await ui.press('/', 'x', '\u001B/');
    const f = await ui.frame((x) => x.includes('/_'));
    expect(f).toContain('/_   4 of 4');
  });

  it('cycles the sort column with s', async () => {
    const ui = open(fakeDeps({ refresh: sequence(goodRefresh()) }));
    await ui.frame((x) => x.includes('clawdinator-scratch'));
    await ui.press('s', 's', 's', 's', 's', 's', 's');
    const f = await ui.frame((x) => x.includes('sort: drift'));
    const hosts = f
      .split('\n')
      .filter((l) => /^[> ] clawdinator-/.test(l))
      .map((l) => l.slice(2).split(' ')[0]);
    expect(hosts).toEqual(['clawdinator-babelfish', 'clawdinator-scratch', 'clawdinator-1', 'clawdinator-2']);
  });

  it('opens the detail of the selected host on Enter, and Esc goes back', async () => {
    const ui = open(fakeDeps({ refresh: sequence(goodRefresh()) }));
    await ui.frame((x) => x.includes('clawdinator-scratch'));
    await ui.press('\r');
    let f = await ui.frame((x) => x.includes('tags ('));
    expect(f).toContain('clawdinator-1  (in nix/instances.json)');
    expect(f).toMatch(/^instance +i-0a3f5c9e2b7d41c08$/m);
    expect(f).toMatch(/^launched +2026-11-21T12:00:00\.000Z \(2d ago\)$/m);
    expect(f).toMatch(/^rev +e3b1c5d7f9a24680bd13579ace02468bdf13579a \(the repo HEAD\)$/m);
    expect(f).toMatch(/^deployed at +2026-11-23T09:00:00\.000Z \(3h ago\)$/m);
    expect(f).toMatch(/^last deploy +success e3b1c5d7f9a2 3h ago by alice@laptop: deploy clawdinator-1: success$/m);
    expect(f).toContain('  clawdinator:rev = e3b1c5d7f9a24680bd13579ace02468bdf13579a');
    await ui.press('j');
    expect(await ui.frame((x) => x.includes('clawdinator-2  (in'))).toContain('clawdinator-2  (in nix/instances.json)');
    await ui.press('j');
    f = await ui.frame((x) => x.includes('clawdinator-babelfish  (in'));
    expect(f).toMatch(/^drift +runs t3\.medium, registry wants t3\.large; AMI ami-0a91c3e5f7b2d4086 is 1 behind latest ami-0e4b7d2c9a1f35b60$/m);
    expect(f).toMatch(/^last deploy +none recorded$/m);
    await ui.press('\u001B');
    f = await ui.frame((x) => x.includes('Fleet:'));
    expect(f).toMatch(/^> clawdinator-babelfish/m);
  });

  it('d shows the plan in a dialog, y runs it and the rollout is drawn live', async () => {
    let finish: (() => void) | undefined;
    let asked: { fingerprint: string } | undefined;
    const deps = fakeDeps({
      refresh: sequence(goodRefresh()),
      planDeploy: async (host, rev) => ({ text: `warning: sandbox\ndeploy: ${host}\nrev:    ${rev}`, fingerprint: `F-${rev}`, sha: rev! }),
      runDeploy: (o) =>
        new Promise((resolve) => {
          asked = o;
          o.emit({ type: 'step-finished', step: 'nix eval', outcome: 'ok' });
          o.emit({ type: 'step-started', step: 'deploy clawdinator-1', detail: 'switching' });
          finish = () =>
            resolve({
              status: 'succeeded',
              message: `deploy of ${o.sha.slice(0, 12)} succeeded on ${o.host}`,
              result: ['clawdinator-1  succeeded  3s'],
              tails: {},
            });
        }),
    });
    const ui = open(deps);
    await ui.frame((x) => x.includes('clawdinator-scratch'));
    await ui.press('d');
    let f = await ui.frame((x) => x.includes('Deploy clawdinator-1 to'));
    expect(f).toContain('warning: sandbox');
    expect(f).toContain(`rev:    ${HEAD}`);
    expect(f).toContain(`Deploy clawdinator-1 to ${HEAD}?  y deploy · n/Esc cancel`);
    await ui.press('y');
    f = await ui.frame((x) => x.includes('switching'));
    // The run asked for is the plan the dialog showed.
    expect(asked?.fingerprint).toBe(`F-${HEAD}`);
    expect(f).toContain('deploy clawdinator-1 -> e3b1c5d7f9a2: running');
    expect(f).toContain('nix eval: ok');
    expect(f).toMatch(/^deploy clawdinator-1 switching · 0s$/m);
    await ui.press('q');
    expect(await ui.frame((x) => x.includes('a deploy is running'))).toContain('a deploy is running: wait for it to finish, or Ctrl-C to interrupt it');
    finish!();
    f = await ui.frame((x) => x.includes(': succeeded'));
    expect(f).toContain('deploy of e3b1c5d7f9a2 succeeded on clawdinator-1');
    expect(f).toContain('clawdinator-1  succeeded  3s');
    // the deploy is followed by a refresh, so the table shows what it changed
    await frameWhen(
      () => String(deps.calls.filter((c) => c === 'refresh').length),
      (n) => n === '2',
    );
    expect(deps.calls).toEqual(['refresh', 'planDeploy', 'runDeploy', 'refresh']);
  });

  it('keeps the last good data through a failed refresh, marked STALE with its age, with the error in a banner', async () => {
    const deps = fakeDeps({ refresh: sequence(goodRefresh(), failedRefresh('cannot reach https://ec2.eu-central-1.amazonaws.com')) });
    const ui = open(deps);
    await ui.frame((x) => x.includes('clawdinator-scratch'));
    deps.clock.now += 30_000;
    await ui.press('r');
    const f = await ui.frame((x) => x.includes('refresh failed'));
    expect(f).toContain(
      '! refresh failed: cannot reach https://ec2.eu-central-1.amazonaws.com · STALE: showing data from 12:00:00Z (30s old) · retrying in 20s',
    );
    expect(f).toContain('Fleet: 3 hosts, 1 unregistered · sort: host ↑ STALE 30s');
    expect(f).toContain('AMI retention (keep newest 1) STALE 30s');
    expect(f).toContain('Recent deploys STALE 30s');
    expect(f).toMatch(/^> clawdinator-1 +i-0a3f5c9e2b7d41c08 +running/m);
    expect(f).toContain('refreshed 12:00:00Z · every 10s');
    expect(f.split('\n')).toHaveLength(30);
  });

  it('a first refresh that partly failed: the rows it read are on screen, and the header says it was partly read (never "no good refresh yet")', async () => {
    const partial = { ...goodRefresh(), lock: { ok: false as const, error: 'throttled' }, history: { ok: false as const, error: 'throttled' } };
    const deps = fakeDeps({ refresh: sequence(partial, failedRefresh('throttled')) });
    const ui = open(deps);
    let f = await ui.frame((x) => x.includes('clawdinator-scratch') && x.includes('refresh failed'));
    expect(f).toContain('lock ? · partly refreshed 12:00:00Z · every 10s');
    expect(f).toContain('! refresh failed: throttled · STALE: showing data from 12:00:00Z (0s old)');
    expect(f).not.toMatch(/no good refresh yet|no data yet/);
    deps.clock.now += 30_000;
    await ui.press('r');
    f = await ui.frame((x) => x.includes('(30s old)'));
    expect(f).toContain('Fleet: 3 hosts, 1 unregistered · sort: host ↑ STALE 30s');
    expect(f).toContain('partly refreshed 12:00:00Z');
    expect(f).not.toMatch(/no good refresh yet|no data yet/);
  });

  it('the header says when the sandbox injects faults, from the refresh that met them', async () => {
    const on = { ...goodRefresh(), faults: { rate: 0.2, attempts: 1, seed: 7 } };
    const deps = fakeDeps({ refresh: sequence(goodRefresh(), on, { ...goodRefresh(), faults: null }) });
    const ui = open(deps);
    let f = await ui.frame((x) => x.includes('clawdinator-scratch'));
    expect(f).not.toContain('FAULTS');
    await ui.press('r');
    f = await ui.frame((x) => x.includes('FAULTS'));
    expect(f).toContain(' · FAULTS ON: 20 % of requests fail, no retries (seed 7)');
    await ui.press('r');
    f = await ui.frame((x) => !x.includes('FAULTS'));
    expect(f).toContain('lock free · refreshed');
  });

  it('never crashes on a refresh that fails from the start: says so and shows no data as data', async () => {
    const ui = open(
      fakeDeps({
        refresh: async () => {
          throw new Error('no AWS credentials found');
        },
      }),
    );
    const f = await ui.frame((x) => x.includes('refresh failed'));
    expect(f).toContain('! refresh failed: no AWS credentials found · no data yet · retrying in 20s');
    expect(f).toContain('could not read the fleet: no AWS credentials found');
    expect(f).toContain('lock ?');
    expect(f).toContain('account ?');
  });

  it('with a backup stack: its OpenClaw host with backup freshness, b backs it up and the table refreshes', async () => {
    let done: ((text: string) => void) | undefined;
    const deps = fakeDeps({
      refresh: sequence(goodRefresh(undefined, backupData(12 * 60_000)), goodRefresh(undefined, backupData(0))),
      backup: (host) => new Promise((resolve) => (done = (text) => resolve(`${text} ${host}`))),
    });
    const ui = open(deps);
    let f = await ui.frame((x) => x.includes('openclaw-lab'));
    expect(f).toContain('Fleet: 3 hosts, 1 unregistered, 1 OpenClaw (stack lab) · sort: host');
    expect(f).toMatch(/ SSM +BACKUP +DRIFT$/m);
    expect(f).toMatch(/^ {2}openclaw-lab +i-07e1a3c5b9d2f4068 +running +t4g\.medium +eu-central-1c +- +- +- +12m ago +ok$/m);
    expect(f).toMatch(/^ {2}clawdinator-2 .* online +- +ok$/m);
    await ui.press('G', '\r');
    f = await ui.frame((x) => x.includes('tags ('));
    expect(f).toContain('openclaw-lab  (OpenClaw host with S3 backups)');
    expect(f).toMatch(/^backup +stack lab: s3:\/\/openclaw-lab-backup-lab-123456789012\/latest\/ last changed 2026-11-23T11:48:00\.000Z \(12m ago\), fresh$/m);
    await ui.press('\u001B', 'b');
    f = await ui.frame((x) => x.includes('backing up openclaw-lab') || x.includes('starting its backup unit'));
    expect(f).toMatch(/backup openclaw-lab: starting its backup unit now|backing up openclaw-lab …/);
    done!('backup done:');
    expect(await ui.frame((x) => x.includes('backup done: openclaw-lab'))).toContain('backup done: openclaw-lab');
    f = await ui.frame((x) => /openclaw-lab .* 0s ago +ok$/m.test(x));
    expect(f).toMatch(/openclaw-lab .* 0s ago +ok$/m);
    expect(deps.calls).toEqual(['refresh', 'backup', 'refresh']);
  });

  it('--readonly leaves the actions out and refuses them', async () => {
    const ui = open(fakeDeps({ refresh: sequence(goodRefresh()) }), { readonly: true });
    let f = await ui.frame((x) => x.includes('clawdinator-scratch'));
    expect(f).toContain('READ-ONLY');
    expect(f).not.toContain('d deploy');
    await ui.press('d');
    f = await ui.frame((x) => x.includes('read-only (--readonly): deploy is disabled'));
    expect(f).toContain('Fleet:');
  });
});
