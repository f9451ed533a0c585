import { z } from 'zod';

// The prune journal's shape (nix/prune-journal.ts keeps it on disk), and what a prune
// reports. The whole plan is written before the first destructive call, and
// each image's snapshot ids stay in it (and on a tag on the snapshots) until they are
// deleted, so an interrupted prune can always be finished as planned. One journal per
// AWS account and region (the account from STS: two endpoints or profiles can be one
// account, and one endpoint can serve many), held under a file lock while a prune runs.

export const PRUNED_FROM_TAG = 'clawdinator:pruned-from';

const entrySchema = z.object({
  imageId: z.string(),
  name: z.string().nullable(),
  snapshotIds: z.array(z.string()),
  /** GiB per snapshot id, for the "freed" figure of a resumed run. */
  sizes: z.record(z.string(), z.number()).default({}),
  /** planned: untouched; pending: snapshots tagged, deregistration may have been sent; deregistered: only the snapshots are left. */
  stage: z.enum(['planned', 'pending', 'deregistered']),
  at: z.string(),
});

/** The rules the plan was made with: every guard is re-read against them before each destructive call. */
const rulesSchema = z.object({
  keep: z.number().int().min(1),
  minAgeMs: z.number().nonnegative().nullable(),
  amiTag: z.string(),
  override: z.object({ imageId: z.string(), origin: z.string() }).nullable(),
});

export const journalSchema = z.object({
  version: z.literal(2),
  account: z.string(),
  region: z.string(),
  rules: rulesSchema,
  entries: z.array(entrySchema),
});

export type JournalEntry = z.infer<typeof entrySchema>;
export type PruneRules = z.infer<typeof rulesSchema>;
export type Journal = z.infer<typeof journalSchema>;

export interface PruneJournal {
  file: string;
  /** The journal of an unfinished prune, or undefined when there is none. */
  load(): Promise<Journal | undefined>;
  /** Write the whole plan (replacing nothing: only called when there is no journal). */
  begin(rules: PruneRules, entries: JournalEntry[]): Promise<void>;
  put(entry: JournalEntry): Promise<void>;
  remove(imageId: string): Promise<void>;
  /** One prune at a time per account and region on this machine. */
  lock(opts: { command: string; now: Date; warn(line: string): void }): Promise<{ file: string; release(): Promise<void> }>;
}

export type ImageOutcome = 'pruned' | 'already-gone' | 'kept' | 'left-registered';
export type SnapshotOutcome = 'deleted' | 'already-gone' | 'kept';

export interface PruneResult {
  images: { imageId: string; outcome: ImageOutcome; detail?: string }[];
  snapshots: { snapshotId: string; outcome: SnapshotOutcome; detail?: string }[];
  freedGiB: number;
}

export interface ResumePlan {
  journal: Journal | undefined;
  /** Image id -> its snapshots tagged `clawdinator:pruned-from` (the image's entry is not in this journal). */
  orphans: Map<string, { snapshotIds: string[]; sizes: Record<string, number> }>;
}
