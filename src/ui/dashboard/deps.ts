import type { ClawEvent } from '../../core/events.js';
import type { RefreshResult } from '../../core/dashboard-types.js';

// What the dashboard needs from the world: the command passes real services (or a
// test passes fakes). Every call may fail; the shell turns failures into messages.

export interface DashboardDeps {
  /** One batched read; `account` asks for the account id too (until it is known). */
  refresh(o: { account: boolean }): Promise<RefreshResult>;
  planDeploy(host: string, rev: string | undefined): Promise<{ text: string; fingerprint: string; sha: string }>;
  runDeploy(o: { host: string; sha: string; fingerprint: string; signal: AbortSignal; emit: (e: ClawEvent) => void }): Promise<{
    status: 'succeeded' | 'failed' | 'interrupted';
    message: string;
    result: string[];
    tails: Record<string, string[]>;
  }>;
  spot(): Promise<string[]>;
  /** Back up the host now; resolves to the notice to show. */
  backup(host: string): Promise<string>;
  /** One line for an error (AWS explained, claw's own messages as they are). */
  describe(err: unknown): string;
  now(): number;
}
