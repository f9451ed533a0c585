import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { readJsonFile, removeFile, writeJsonAtomic } from '../nix/state-file.js';

// The prune journal: before an image is deregistered, its snapshot ids are written
// here (and tagged on the snapshots), so an interrupted prune can always finish.

export const PRUNED_FROM_TAG = 'clawdinator:pruned-from';

const entrySchema = z.object({
  imageId: z.string(),
  name: z.string().nullable(),
  snapshotIds: z.array(z.string()),
  stage: z.enum(['pending', 'deregistered']),
  at: z.string(),
});
const journalSchema = z.object({ version: z.literal(1), entries: z.array(entrySchema) });
export type JournalEntry = z.infer<typeof entrySchema>;

export interface PruneJournal {
  file: string;
  entries(): Promise<JournalEntry[]>;
  put(entry: JournalEntry): Promise<void>;
  remove(imageId: string): Promise<void>;
}

/** One journal per account target (sandbox, endpoint or region) under $CLAW_HOME/journal. */
export function pruneJournal(home: string, target: string): PruneJournal {
  const file = join(home, 'journal', `ami-prune.${target.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`);
  const load = async (): Promise<JournalEntry[]> => {
    const raw = await readJsonFile(file);
    if (raw === undefined) return [];
    const parsed = journalSchema.safeParse(raw);
    if (!parsed.success) throw new UsageError(`${file}: not a claw prune journal`, 'inspect it; delete it only if no prune was interrupted');
    return parsed.data.entries;
  };
  const save = async (entries: JournalEntry[]) => {
    if (entries.length === 0) await removeFile(file);
    else await writeJsonAtomic(file, { version: 1, entries });
  };
  return {
    file,
    entries: load,
    put: async (entry) => save([...(await load()).filter((e) => e.imageId !== entry.imageId), entry]),
    remove: async (imageId) => save((await load()).filter((e) => e.imageId !== imageId)),
  };
}
