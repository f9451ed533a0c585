import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FullSha, HostId } from '../../src/core/deploy-target.js';
import { UsageError } from '../../src/core/errors.js';
import { FULL_SHA_RE, HOSTNAME_RE } from '../../src/core/patterns.js';
import {
  LOG_MARKER,
  SSM_OUTPUT_LIMIT,
  TEMPLATES,
  asFlakeBase,
  flakeRef,
  healthCommands,
  parseHealthOutput,
  parsePollOutput,
  NIXOS_VERSION_MARKER,
  parseRevisionOutput,
  parseSwitchOutput,
  pollCommands,
  recordCommands,
  ssmComment,
  switchCommands,
  type FlakeBase,
} from '../../src/core/ssm-script.js';

const REV = '3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345' as FullSha;
const HOST = 'clawdinator-1' as HostId;
const BASE = 'github:openclaw/clawdinators' as FlakeBase;
const UNIT = `claw-switch-${REV}`;

describe('command builders', () => {
  it('switch: detached systemd-run of nixos-rebuild switch at the pinned flake', () => {
    const cmds = switchCommands({ host: HOST, rev: REV, flakeBase: BASE });
    expect(cmds).toHaveLength(TEMPLATES.switch.length);
    expect(cmds.at(-1)).toBe(
      `systemd-run --unit ${UNIT} --remain-after-exit --setenv=HOME=/root --setenv=PATH=/run/current-system/sw/bin ` +
        `'--setenv=NIX_CONFIG=experimental-features = nix-command flakes' ` +
        `/run/current-system/sw/bin/nixos-rebuild switch --accept-flake-config --flake 'github:openclaw/clawdinators/${REV}#clawdinator-1'`,
    );
    expect(cmds[2]).toBe(`if [ "$running" = ${UNIT}.service ]; then echo 'claw: ${UNIT} already running'; exit 0; fi`);
    expect(cmds.join('\n')).not.toMatch(/\{(unit|flake)\}/);
  });

  it('git+https bases pin the rev as a query', () => {
    expect(flakeRef({ host: HOST, rev: REV, flakeBase: asFlakeBase('git+https://git.example.org/ops/clawdinators') })).toBe(
      `git+https://git.example.org/ops/clawdinators?rev=${REV}#clawdinator-1`,
    );
  });

  it('refuses flake bases a host cannot fetch at a rev, or that carry extra syntax', () => {
    for (const bad of ['path:/srv/clawdinators', 'github:openclaw/clawdinators/main', "github:o/r';reboot;'", 'github:o/r#x', 'git+https://h/p?ref=x', '']) {
      expect(() => asFlakeBase(bad), bad).toThrow(UsageError);
    }
  });

  it('poll, health and record are fixed templates (record: the rev only)', () => {
    expect(pollCommands(REV)).toEqual([
      `systemctl show -p LoadState,ActiveState,SubState,Result,ExecMainStatus ${UNIT}`,
      `echo '${LOG_MARKER}'`,
      `journalctl -u ${UNIT} -n 20 --no-pager -o cat 2>/dev/null || true`,
    ]);
    expect(healthCommands()).toEqual(['systemctl is-active clawdinator || true']);
    expect(recordCommands(REV)).toEqual([
      'set -eu',
      'install -d -m 0755 /var/lib/clawd/deploy',
      'date -Is > /var/lib/clawd/deploy/last-switch.time',
      `echo ${REV} > /var/lib/clawd/deploy/last-switch.rev`,
      'echo "configurationRevision=$(cat /run/current-system/configurationRevision 2>/dev/null || true)"',
      `echo '${NIXOS_VERSION_MARKER}'`,
      'nixos-version --json 2>/dev/null || true',
    ]);
    expect(() => recordCommands('HEAD; reboot' as FullSha)).toThrow(UsageError);
  });

  it('the comment names the full rev and stays within 100 characters', () => {
    expect(ssmComment('switch', HOST, REV)).toBe(`claw switch ${REV} clawdinator-1`);
    const long = 'h'.repeat(63) as HostId;
    expect(ssmComment('record', long, REV)).toHaveLength(100);
    expect(ssmComment('record', long, REV)).toContain(REV);
  });
});

describe('injection is impossible (property)', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.constantFrom('x;reboot', '$(id)', '`id`', "a'b", 'a b', 'a\nb', 'clawdinator-1#x', '-rf', ''),
    fc.stringMatching(/^[a-z0-9-]{1,70}$/),
    fc.stringMatching(/^[0-9a-fA-F]{38,42}$/),
    fc.stringMatching(/^[0-9a-f]{40}$/),
    fc.stringMatching(/^[0-9a-f]{40}$/).map((s) => `${s}\n`),
  );

  it('arbitrary host/rev either throw UsageError before anything is built or appear only validated', () => {
    fc.assert(
      fc.property(anyText, anyText, (host, rev) => {
        let cmds: string[];
        try {
          cmds = switchCommands({ host: host as HostId, rev: rev as FullSha, flakeBase: BASE });
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          expect(HOSTNAME_RE.test(host) && FULL_SHA_RE.test(rev)).toBe(false);
          return;
        }
        expect(HOSTNAME_RE.test(host) && FULL_SHA_RE.test(rev)).toBe(true);
        // Put the placeholders back: what remains is the template, byte for byte.
        const back = cmds.map((l) => l.split(`${BASE}/${rev}#${host}`).join('{flake}').split(`claw-switch-${rev}`).join('claw-switch-{rev}'));
        expect(back).toEqual(TEMPLATES.switch.map((l) => l.replaceAll('{unit}', 'claw-switch-{rev}')));
      }),
      { numRuns: 1000 },
    );
  });

  it('poll and comment builders refuse anything but a full SHA and a host name', () => {
    const outcome = (f: () => unknown) => {
      try {
        return f();
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return 'refused';
      }
    };
    fc.assert(
      fc.property(anyText, anyText, (host, rev) => {
        const poll = outcome(() => pollCommands(rev as FullSha));
        if (FULL_SHA_RE.test(rev)) expect(poll).toEqual(TEMPLATES.poll.map((l) => l.replaceAll('{unit}', `claw-switch-${rev}`)));
        else expect(poll).toBe('refused');
        const comment = outcome(() => ssmComment('poll', host as HostId, rev as FullSha));
        if (FULL_SHA_RE.test(rev) && HOSTNAME_RE.test(host)) expect(comment).toBe(`claw poll ${rev} ${host}`.slice(0, 100));
        else expect(comment).toBe('refused');
      }),
      { numRuns: 500 },
    );
  });
});

describe('output parsers', () => {
  const show = (over: Record<string, string> = {}) =>
    Object.entries({
      Result: 'success',
      ExecMainStatus: '0',
      LoadState: 'loaded',
      ActiveState: 'active',
      SubState: 'running',
      ...over,
    })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
  const withLog = (head: string, lines: string[]) => `${head}\n${LOG_MARKER}\n${lines.join('\n')}\n`;

  it('running, in any property order, with the last log lines', () => {
    const p = parsePollOutput(withLog(show(), ['building the system configuration...', 'copying path \x1b[1m/nix/store/abc\x1b[0m']));
    expect(p).toMatchObject({ state: 'running', activeState: 'active', subState: 'running', reason: null, truncated: false });
    expect(p.log).toEqual(['building the system configuration...', 'copying path /nix/store/abc']);
    expect(parsePollOutput(show({ ActiveState: 'activating', SubState: 'start' })).state).toBe('running');
  });

  it('succeeded: remain-after-exit keeps active/exited with status 0', () => {
    expect(parsePollOutput(withLog(show({ SubState: 'exited' }), ['Done. The new configuration is /nix/store/x'])).state).toBe('succeeded');
    expect(parsePollOutput(show({ ActiveState: 'inactive', SubState: 'dead' })).state).toBe('succeeded');
  });

  it('failed: the result and exit status in one line, the log tail for the operator', () => {
    const out = withLog(show({ ActiveState: 'failed', SubState: 'failed', Result: 'exit-code', ExecMainStatus: '1' }), [
      'error: builder for /nix/store/x.drv failed with exit code 1',
      'warning: error(s) occurred while switching to the new configuration',
    ]);
    const p = parsePollOutput(out);
    expect(p).toMatchObject({ state: 'failed', result: 'exit-code', exitStatus: 1 });
    expect(p.reason).toBe('nixos-rebuild switch failed (result exit-code, exit status 1)');
    expect(p.log.at(-1)).toMatch(/^warning: error/);
    expect(parsePollOutput(show({ ActiveState: 'inactive', SubState: 'dead', ExecMainStatus: '15' })).reason).toBe(
      'nixos-rebuild switch was stopped before it finished',
    );
  });

  it('missing unit, and unreadable output (an agent restart ate it) as unknown', () => {
    expect(parsePollOutput(show({ LoadState: 'not-found', ActiveState: 'inactive', SubState: 'dead' })).state).toBe('missing');
    expect(parsePollOutput('').state).toBe('unknown');
    expect(parsePollOutput('Failed to connect to bus: No such file or directory\n').state).toBe('unknown');
  });

  it('output cut at 24,000 characters: state still read, the partial last line dropped, flagged truncated', () => {
    const lines = Array.from(
      { length: 400 },
      (_, i) => `copying path '/nix/store/${String(i).padStart(4, '0')}-${'x'.repeat(60)}' from 'https://cache.nixos.org'...`,
    );
    const full = withLog(show({ ActiveState: 'failed', SubState: 'failed', Result: 'exit-code', ExecMainStatus: '1' }), lines);
    const cut = full.slice(0, SSM_OUTPUT_LIMIT);
    const p = parsePollOutput(cut);
    expect(p).toMatchObject({ state: 'failed', truncated: true });
    expect(p.log).toHaveLength(20);
    const lastWhole = cut.slice(0, cut.lastIndexOf('\n')).split('\n').at(-1)!;
    expect(p.log.at(-1)).toBe(lastWhole);
  });

  it('switch output: started, already running, busy with another rev, or unknown', () => {
    expect(parseSwitchOutput(`Running as unit: ${UNIT}.service; invocation ID: 0f3c`)).toEqual({ status: 'started' });
    expect(parseSwitchOutput(`claw: ${UNIT} already running\n`)).toEqual({ status: 'already-running' });
    const other = `claw-switch-${'a'.repeat(40)}.service`;
    expect(parseSwitchOutput(`claw: another switch is running: ${other}\n`)).toEqual({ status: 'busy', other });
    expect(parseSwitchOutput('')).toEqual({ status: 'unknown' });
  });

  it('health: only `active` is healthy', () => {
    expect(parseHealthOutput('active\n')).toEqual({ healthy: true, state: 'active' });
    expect(parseHealthOutput('activating\n')).toEqual({ healthy: false, state: 'activating' });
    expect(parseHealthOutput('failed\n')).toEqual({ healthy: false, state: 'failed' });
    expect(parseHealthOutput('')).toEqual({ healthy: false, state: 'unknown' });
  });

  const answer = (file: string, version: string | undefined) =>
    `configurationRevision=${file}\n${version === undefined ? '' : `${NIXOS_VERSION_MARKER}\n${version}\n`}`;
  const versionJson = (rev?: string) => JSON.stringify({ ...(rev && { configurationRevision: rev }), nixosVersion: '25.05.20260101.abc (Warbler)' });

  it('revision from the file: equal, mismatch (shown cleaned), missing', () => {
    expect(parseRevisionOutput(answer(REV, versionJson()), REV)).toEqual({ status: 'equal', source: 'file' });
    expect(parseRevisionOutput(answer('b'.repeat(40), versionJson()), REV)).toEqual({ status: 'mismatch', actual: 'b'.repeat(40), source: 'file' });
    expect(parseRevisionOutput(answer(`${REV}-dirty`, versionJson()), REV)).toEqual({ status: 'mismatch', actual: `${REV}-dirty`, source: 'file' });
    expect(parseRevisionOutput(answer('\x1b[31mevil\x07', versionJson()), REV)).toEqual({ status: 'mismatch', actual: 'evil', source: 'file' });
    expect(parseRevisionOutput(answer('', versionJson()), REV)).toEqual({ status: 'missing' });
    expect(parseRevisionOutput('', REV)).toEqual({ status: 'missing' });
    expect(() => parseRevisionOutput(answer(REV, undefined), 'HEAD' as FullSha)).toThrow(UsageError);
  });

  it('revision from nixos-version --json only when the file is empty or absent (upstream order)', () => {
    // A stock NixOS host with system.configurationRevision: no file, nixos-version knows it.
    expect(parseRevisionOutput(answer('', versionJson(REV)), REV)).toEqual({ status: 'equal', source: 'nixos-version' });
    expect(parseRevisionOutput(answer('', versionJson('c'.repeat(40))), REV)).toEqual({ status: 'mismatch', actual: 'c'.repeat(40), source: 'nixos-version' });
    // The file wins over nixos-version when both speak.
    expect(parseRevisionOutput(answer('d'.repeat(40), versionJson(REV)), REV)).toEqual({ status: 'mismatch', actual: 'd'.repeat(40), source: 'file' });
    // Not JSON (cut, or older): the field as upstream's sed would find it; nothing there is missing.
    expect(parseRevisionOutput(answer('', `{"configurationRevision":"${REV}","nixosVersion":"25`), REV)).toEqual({ status: 'equal', source: 'nixos-version' });
    expect(parseRevisionOutput(answer('', 'nixos-version: unrecognized option'), REV)).toEqual({ status: 'missing' });
    expect(parseRevisionOutput(answer('', '{"configurationRevision": 42}'), REV)).toEqual({ status: 'missing' });
  });
});
