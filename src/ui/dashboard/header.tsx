import { Box, Text } from 'ink';
import { memo } from 'react';
import { formatAgo, nextDelayMs, staleness, type RefreshClock, type Section } from '../../core/dashboard-refresh.js';
import type { HeadData, SandboxFaults } from '../../core/dashboard-types.js';
import { describeLock, type LockState } from '../../core/lock.js';
import { useTone } from './theme.js';

// The top of the dashboard: where claw looks (account, profile, region or SANDBOX),
// the repo and its HEAD, the deploy lock, when the data was read, and, when the last
// refresh failed, a banner saying so and how old the data on screen is.

export interface Where {
  /** `SANDBOX eu-central-1`, or `profile ops · eu-central-1`. */
  target: string;
  sandbox: boolean;
  /** The repo as the operator knows it (relative to the working directory or ~). */
  repo: string;
}

export const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)}Z`;

function lockText(s: Section<LockState>, now: number): { text: string; tone?: 'green' | 'yellow' | 'red' | undefined } {
  const v = s.value;
  if (!v) return { text: s.error ? 'lock ?' : 'lock …' };
  if (v.kind === 'free') return { text: 'lock free', tone: 'green' };
  if (v.kind === 'unreadable') return { text: `lock unreadable (${v.reason})`, tone: 'red' };
  return { text: `lock held by ${describeLock(v.lock, new Date(now))}`, tone: 'yellow' };
}

export interface HeaderProps {
  where: Where;
  account: string | null;
  head: Section<HeadData>;
  lock: Section<LockState>;
  refresh: RefreshClock;
  now: number;
  intervalMs: number;
  readonly: boolean;
  /** The sandbox's fault injection, when on. */
  faults?: SandboxFaults | null | undefined;
  /** When the newest data on screen was read, even by a refresh that partly failed (null: nothing yet). */
  dataAt: number | null;
}

/** `claw sandbox faults` on, in a few words. */
const faultsText = (f: SandboxFaults) =>
  `FAULTS ON: ${Math.round(f.rate * 100)} % of requests fail, ${f.attempts === 1 ? 'no retries' : `${f.attempts} tries`} (seed ${f.seed})`;

export const Header = memo(function Header({ where, account, head, lock, refresh, now, intervalMs, readonly, faults, dataAt }: HeaderProps) {
  const tone = useTone();
  const headText = head.value ? (head.value.rev ? `HEAD ${head.value.rev.slice(0, 12)}` : `HEAD - (${head.value.note})`) : 'HEAD ?';
  const acct = account ? `account ${account}` : 'account ?';
  const lk = lockText(lock, now);
  const lockStale = lock.value && staleness(lock, now, intervalMs).stale ? ' (stale)' : '';
  // The age only from a minute on: a fresh dashboard has nothing to redraw every second.
  const ago = (t: number) => (now - t >= 60_000 ? ` (${formatAgo(now - t)} ago)` : '');
  // What is on screen and when it was read; a refresh that partly failed still brought data (the banner says what failed).
  const read =
    refresh.lastSuccessAt !== null && (dataAt === null || dataAt <= refresh.lastSuccessAt)
      ? `refreshed ${clock(refresh.lastSuccessAt)}${ago(refresh.lastSuccessAt)}`
      : dataAt !== null
        ? `partly refreshed ${clock(dataAt)}${ago(dataAt)}`
        : refresh.lastAttemptAt !== null && !refresh.inFlight
          ? 'nothing read yet'
          : 'loading…';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>claw</Text>
        {' · '}
        <Text color={tone(where.sandbox ? 'cyan' : undefined)} bold={where.sandbox}>
          {where.target}
        </Text>
        {` · ${acct} · repo ${where.repo} · ${headText}`}
      </Text>
      <Text wrap="truncate-end">
        <Text color={tone(lk.tone)}>{lk.text + lockStale}</Text>
        {` · ${read} · every ${Math.round(intervalMs / 1000)}s${refresh.inFlight ? ' · refreshing' : ''}`}
        {readonly ? <Text color={tone('yellow')}> · READ-ONLY</Text> : null}
        {faults ? (
          <Text color={tone('red')} bold>
            {` · ${faultsText(faults)}`}
          </Text>
        ) : null}
      </Text>
    </Box>
  );
});

/** One red line while the latest refresh failed: the error, the age of what is shown, the next try. */
export const ErrorBanner = memo(function ErrorBanner({ refresh, now, intervalMs, dataAt }: Pick<HeaderProps, 'refresh' | 'now' | 'intervalMs' | 'dataAt'>) {
  const tone = useTone();
  if (refresh.errors.length === 0) return null;
  const more = refresh.errors.length > 1 ? ` (+${refresh.errors.length - 1} more)` : '';
  const shown = dataAt !== null ? `STALE: showing data from ${clock(dataAt)} (${formatAgo(now - dataAt)} old)` : 'no data yet';
  const next =
    refresh.inFlight || refresh.lastAttemptAt === null
      ? 'retrying now'
      : `retrying in ${formatAgo(Math.max(0, refresh.lastAttemptAt + nextDelayMs(intervalMs, refresh.failures) - now))}`;
  return (
    <Text wrap="truncate-end" color={tone('red')} bold>
      {`! refresh failed: ${refresh.errors[0]}${more} · ${shown} · ${next}`}
    </Text>
  );
});
