import { describe, expect, it } from 'vitest';
import { ageDays, couldNotRun, doctorDocument, fail, isTooOld, ok, orderChecks, verdict, warn } from '../../src/core/doctor.js';

// src/core/doctor.ts: results, their fixed order, the verdict and the exit code.

describe('doctor results', () => {
  it('ok carries no fix; warn and fail carry theirs', () => {
    expect(ok('lock', 'free')).toEqual({ id: 'lock', status: 'ok', summary: 'free', fix: null });
    expect(warn('ami', 'old', 'claw ami build')).toEqual({ id: 'ami', status: 'warn', summary: 'old', fix: 'claw ami build' });
    expect(fail('ssm', 'lost', 'reboot')).toEqual({ id: 'ssm', status: 'fail', summary: 'lost', fix: 'reboot' });
  });

  it('a check that could not run is a failure naming the first line of why', () => {
    expect(couldNotRun('lock', 'deploy lock', 'AccessDenied: no\nstack...')).toEqual({
      id: 'lock',
      status: 'fail',
      summary: 'deploy lock: could not check (AccessDenied: no)',
      fix: expect.stringContaining('claw doctor again'),
    });
    expect(couldNotRun('lock', 'deploy lock', '', 'do this').summary).toBe('deploy lock: could not check (unknown error)');
    expect(couldNotRun('lock', 'deploy lock', 'x', 'do this').fix).toBe('do this');
  });
});

describe('orderChecks', () => {
  it('puts groups in the fixed order whatever order they finished in, keeping order within a group', () => {
    const done = [
      ok('backup:lab', ''),
      ok('tool:git', ''),
      ok('repo', ''),
      ok('credentials', ''),
      ok('backup:dev', ''),
      ok('tool:nix', ''),
      ok('ssm', ''),
      ok('region', ''),
      ok('instances', ''),
    ];
    expect(orderChecks(done).map((r) => r.id)).toEqual([
      'credentials',
      'region',
      'instances',
      'ssm',
      'tool:git',
      'tool:nix',
      'repo',
      'backup:lab',
      'backup:dev',
    ]);
  });

  it('puts unknown groups last', () => {
    expect(orderChecks([ok('zzz', ''), ok('lock', '')]).map((r) => r.id)).toEqual(['lock', 'zzz']);
  });
});

describe('verdict and exit code', () => {
  it('warnings alone pass; any failure fails', () => {
    const warned = [ok('a', ''), warn('b', '', 'f')];
    expect(verdict(warned)).toEqual({ ok: true, counts: { ok: 1, warn: 1, fail: 0 } });
    const failed = [...warned, fail('c', '', 'f')];
    expect(verdict(failed)).toEqual({ ok: false, counts: { ok: 1, warn: 1, fail: 1 } });
    expect(verdict([]).ok).toBe(true);
  });

  it('the JSON document holds exactly id, status, summary, fix, in order, and ok', () => {
    const doc = doctorDocument([fail('ssm', 's', 'f'), ok('credentials', 'c')]);
    expect(doc).toEqual({
      checks: [
        { id: 'credentials', status: 'ok', summary: 'c', fix: null },
        { id: 'ssm', status: 'fail', summary: 's', fix: 'f' },
      ],
      ok: false,
    });
  });
});

describe('AMI age', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('counts whole days, never negative', () => {
    expect(ageDays('2026-11-21T13:00:00Z', now)).toBe(1);
    expect(ageDays('2026-11-21T12:00:00Z', now)).toBe(2);
    expect(ageDays('2026-11-24T12:00:00Z', now)).toBe(0);
  });
  it('is too old only past the limit', () => {
    const day = 86_400_000;
    expect(isTooOld('2026-11-16T12:00:00Z', now, 7 * day)).toBe(false);
    expect(isTooOld('2026-11-16T11:59:59Z', now, 7 * day)).toBe(true);
  });
});
