import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { acquireFileLock, type HeldLock } from '../nix/file-lock.js';
import { readJsonFile, removeFile, writeJsonAtomic } from '../nix/state-file.js';

// The prune journal: the whole plan is written before the first destructive call, and
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

const journalSchema = z.object({
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
  lock(opts: { command: string; now: Date; warn(line: string): void }): Promise<HeldLock>;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9.-]+/g, '_');

/** The journal of one account (`sandbox-` prefixed for the simulated one) and region under $CLAW_HOME/journal. */
export function pruneJournal(home: string, where: { account: string; region: string }): PruneJournal {
  const file = join(home, 'journal', `ami-prune.${safe(where.account)}.${safe(where.region)}.json`);
  const load = async (): Promise<Journal | undefined> => {
    const raw = await readJsonFile(file);
    if (raw === undefined) return undefined;
    const parsed = journalSchema.safeParse(raw);
    if (!parsed.success) throw new UsageError(`${file}: not a claw prune journal`, 'inspect it; delete it only if no prune was interrupted');
    return parsed.data;
  };
  const save = async (journal: Journal) => {
    if (journal.entries.length === 0) await removeFile(file);
    else await writeJsonAtomic(file, journal);
  };
  const update = async (change: (entries: JournalEntry[]) => JournalEntry[]) => {
    const j = await load();
    if (j) await save({ ...j, entries: change(j.entries) });
  };
  return {
    file,
    load,
    begin: async (rules, entries) => save({ version: 2, account: where.account, region: where.region, rules, entries }),
    put: (entry) => update((entries) => entries.map((e) => (e.imageId === entry.imageId ? entry : e))),
    remove: (imageId) => update((entries) => entries.filter((e) => e.imageId !== imageId)),
    lock: async (opts) => {
      await mkdir(dirname(file), { recursive: true });
      return acquireFileLock(`${file}.lock`, opts);
    },
  };
}
