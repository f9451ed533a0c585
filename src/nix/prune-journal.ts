import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { journalSchema, type Journal, type JournalEntry, type PruneJournal } from '../core/prune-journal.js';
import { acquireFileLock } from '../fs/file-lock.js';
import { readJsonFile, removeFile, writeJsonAtomic } from '../fs/json-file.js';

// The prune journal on disk: one per AWS account and region under $CLAW_HOME/journal,
// written atomically, held under a file lock while a prune runs (core/prune-journal.ts).

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
