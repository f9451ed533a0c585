// `claw doctor` as data: one result per check (ok / warn / fail with its fix), the
// fixed order they are shown in, the verdict and the exit code. No I/O: the checks
// themselves live in src/commands/doctor-checks*.ts.

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable id, e.g. `credentials`, `tool:nix`, `backup:lab`. */
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  summary: string;
  /** One line: what to do about it; null when the check passed. */
  fix: string | null;
}

export const ok = (id: string, summary: string): CheckResult => ({ id, status: 'ok', summary, fix: null });
export const warn = (id: string, summary: string, fix: string): CheckResult => ({ id, status: 'warn', summary, fix });
export const fail = (id: string, summary: string, fix: string): CheckResult => ({ id, status: 'fail', summary, fix });

/** The groups in the order an operator reads them: who am I, what should be, what is, the local side. */
export const CHECK_ORDER = [
  'credentials',
  'region',
  'registry',
  'secrets',
  'images-bucket',
  'ami',
  'instances',
  'ssm',
  'host-amis',
  'lock',
  'tool',
  'repo',
  'backup',
] as const;

const groupOf = (id: string) => id.split(':')[0]!;
const rank = (id: string) => {
  const i = (CHECK_ORDER as readonly string[]).indexOf(groupOf(id));
  return i === -1 ? CHECK_ORDER.length : i;
};

/** Fixed order whatever order the concurrent checks finished in: by group, then as given within a group. */
export function orderChecks(results: readonly CheckResult[]): CheckResult[] {
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.id) - rank(b.r.id) || a.i - b.i)
    .map(({ r }) => r);
}

/**
 * A check that could not run (an API refused, a file unreadable) is a failure that says
 * why, never a crash of the whole doctor. Only the first line of the reason is kept.
 */
export function couldNotRun(id: string, what: string, reason: string, fix?: string): CheckResult {
  const line = reason.split('\n')[0]!.trim() || 'unknown error';
  return fail(id, `${what}: could not check (${line})`, fix ?? 'fix the cause above and run claw doctor again (--verbose shows each AWS call)');
}

export interface DoctorVerdict {
  ok: boolean;
  counts: Record<CheckStatus, number>;
}

export function verdict(results: readonly CheckResult[]): DoctorVerdict {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const r of results) counts[r.status]++;
  return { ok: counts.fail === 0, counts };
}

/** The `--json` document. */
export function doctorDocument(results: readonly CheckResult[]): { checks: CheckResult[]; ok: boolean } {
  const checks = orderChecks(results).map(({ id, status, summary, fix }) => ({ id, status, summary, fix }));
  return { checks, ok: verdict(checks).ok };
}

/** Whole days between `created` and `now` (0 for the future under clock skew). */
export function ageDays(created: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(created)) / 86_400_000));
}

/** Is an AMI created at `created` older than the allowed age? */
export const isTooOld = (created: string, now: Date, maxAgeMs: number): boolean => now.getTime() - Date.parse(created) > maxAgeMs;
