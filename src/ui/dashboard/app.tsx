import { useApp, useInput, useWindowSize, type Key } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { update } from '../../core/dashboard-keys.js';
import { nextTickMs } from '../../core/dashboard-clock.js';
import { nextDelayMs } from '../../core/dashboard-refresh.js';
import { initialState } from '../../core/dashboard-state.js';
import { type DashboardState, type Effect, type KeyPress, type Msg } from '../../core/dashboard-types.js';
import type { ClawEvent } from '../../core/events.js';
import type { DashboardDeps } from './deps.js';
import type { Where } from './header.js';
import { DashboardScreen, layout } from './screen.js';
import { ColorContext } from './theme.js';

// The shell: holds the state, turns keys into messages, runs the effects `update`
// asks for (refresh, plan, deploy, spot, backup, quit) and feeds their results back.
// Timers: the next refresh (interval, backed off on failure) and the clock, set for
// the next moment a time label on screen changes (1 s at most); nothing else runs.

export const toKeyPress = (input: string, key: Key): KeyPress => ({
  input,
  up: key.upArrow,
  down: key.downArrow,
  pageUp: key.pageUp,
  pageDown: key.pageDown,
  home: key.home,
  end: key.end,
  enter: key.return,
  escape: key.escape,
  backspace: key.backspace || key.delete,
  ctrl: key.ctrl,
});

/**
 * The key presses in one input event. A held key or fast typing arrives as one chunk
 * (`jjj`), and Esc typed just before a key as Meta+key: both are split into the
 * presses the operator made.
 */
export function keyPresses(input: string, key: Key): KeyPress[] {
  const special =
    key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.home || key.end || key.return || key.escape || key.backspace || key.delete || key.ctrl;
  if (key.meta && !special && input.length === 1) return [{ input: '', escape: true }, { input }];
  if (special || [...input].length <= 1) return [toKeyPress(input, key)];
  return [...input].map((ch) => (ch === '\r' || ch === '\n' ? { input: '', enter: true } : { input: ch }));
}

export interface DashboardAppProps {
  deps: DashboardDeps;
  where: Where;
  intervalMs: number;
  readonly: boolean;
  color: boolean;
  /** Ends the dashboard from outside (the process got SIGINT or SIGTERM). */
  signal?: AbortSignal | undefined;
  /** Fixed size (tests); the terminal's otherwise, following resizes. */
  size?: { columns: number; rows: number } | undefined;
}

export function DashboardApp({ deps, where, intervalMs, readonly, color, signal, size }: DashboardAppProps) {
  const { exit } = useApp();
  const terminal = useWindowSize();
  const { columns, rows } = size ?? terminal;
  const [state, setState] = useState(() => initialState({ intervalMs, readonly, now: deps.now() }));
  const ref = useRef<DashboardState>(state);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const clockTimer = useRef<{ timer: NodeJS.Timeout; due: number } | undefined>(undefined);
  const deploying = useRef<AbortController | undefined>(undefined);
  const live = useRef(true);
  // The effect runner and the clock are plain functions of refs and props that never
  // change; dispatch and the timers reach them through this ref, set after each render.
  const act = useRef<{ run(e: Effect): void; tickAfter(delay: number): void; schedule(): void }>(undefined as never);

  const dispatch = useCallback((msg: Msg) => {
    if (!live.current) return;
    const { state: next, effects } = update(ref.current, msg);
    ref.current = next;
    setState(next);
    for (const e of effects) act.current.run(e);
    act.current.tickAfter(nextTickMs(next));
  }, []);

  // One timer for the clock: set for the next moment a time label on screen changes.
  const tickAfter = (delay: number) => {
    const due = deps.now() + delay;
    if (clockTimer.current && clockTimer.current.due <= due) return;
    clearTimeout(clockTimer.current?.timer);
    const handle = setTimeout(() => {
      clockTimer.current = undefined;
      dispatch({ type: 'tick', now: deps.now() });
    }, delay);
    clockTimer.current = { timer: handle, due };
  };

  const schedule = () => {
    clearTimeout(timer.current);
    const r = ref.current.refresh;
    const due = (r.lastAttemptAt ?? deps.now()) + nextDelayMs(intervalMs, r.failures);
    timer.current = setTimeout(() => act.current.run({ kind: 'refresh' }), Math.max(0, due - deps.now()));
  };

  const run = (e: Effect): void => {
    const fail = (err: unknown) => deps.describe(err);
    switch (e.kind) {
      case 'refresh': {
        if (ref.current.refresh.inFlight) return;
        clearTimeout(timer.current);
        dispatch({ type: 'refresh-started', at: deps.now() });
        const account = ref.current.account === null;
        void deps
          .refresh({ account })
          .catch((err: unknown) => {
            const error = fail(err);
            const bad = { ok: false as const, error };
            return { fleet: bad, retention: bad, lock: bad, history: bad, head: bad };
          })
          .then((result) => {
            dispatch({ type: 'refreshed', at: deps.now(), result });
            if (live.current) act.current.schedule();
          });
        return;
      }
      case 'plan':
        void deps.planDeploy(e.host, e.rev).then(
          (p) => dispatch({ type: 'plan-ready', host: e.host, text: p.text, fingerprint: p.fingerprint, sha: p.sha }),
          (err: unknown) => dispatch({ type: 'plan-failed', host: e.host, message: fail(err) }),
        );
        return;
      case 'deploy': {
        const controller = new AbortController();
        deploying.current = controller;
        const emit = (event: ClawEvent) => dispatch({ type: 'rollout-event', event, at: deps.now() });
        void deps
          .runDeploy({ host: e.host, sha: e.sha, fingerprint: e.fingerprint, signal: controller.signal, emit })
          .catch((err: unknown) => ({ status: 'failed' as const, message: fail(err), result: [], tails: {} }))
          .then((o) => {
            deploying.current = undefined;
            dispatch({ type: 'rollout-done', at: deps.now(), ...o });
          });
        return;
      }
      case 'abort-deploy':
        deploying.current?.abort();
        return;
      case 'spot':
        void deps.spot().then(
          (lines) => dispatch({ type: 'spot-ready', at: deps.now(), lines }),
          (err: unknown) => dispatch({ type: 'spot-failed', at: deps.now(), message: fail(err) }),
        );
        return;
      case 'backup':
        void deps.backup(e.host).then(
          (text) => dispatch({ type: 'backup-done', host: e.host, text }),
          (err: unknown) => dispatch({ type: 'backup-done', host: e.host, text: `backup of ${e.host} failed: ${fail(err)}` }),
        );
        return;
      case 'quit':
        live.current = false;
        exit();
        return;
    }
  };

  useEffect(() => {
    act.current = { run, tickAfter, schedule };
  });

  useEffect(() => {
    act.current.run({ kind: 'refresh' });
    return () => {
      live.current = false;
      clearTimeout(clockTimer.current?.timer);
      clearTimeout(timer.current);
      deploying.current?.abort();
    };
  }, []);

  useEffect(() => {
    const stop = () => act.current.run({ kind: 'quit' });
    signal?.addEventListener('abort', stop, { once: true });
    return () => signal?.removeEventListener('abort', stop);
  }, [signal]);

  const pageSize = Math.max(1, layout(rows, state.refresh.errors.length > 0).table - 2);
  useEffect(() => {
    if (pageSize !== ref.current.pageSize) dispatch({ type: 'viewport', pageSize });
  }, [pageSize, dispatch]);

  useInput((input, key) => {
    for (const k of keyPresses(input, key)) dispatch({ type: 'key', key: k });
  });

  return (
    <ColorContext.Provider value={color}>
      <DashboardScreen state={state} where={where} width={columns} height={rows} />
    </ColorContext.Provider>
  );
}
