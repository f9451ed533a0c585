import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { RefusedError } from '../core/errors.js';
import { TEMP_DIR } from '../core/sync-location.js';
import { pidAlive } from './file-lock.js';
import { openRegular } from './regular-file.js';

// Where downloads land before they are verified and renamed into place: a folder of
// claw's own at the top of the pull's target, `.claw-tmp/`, marked as claw's, with one
// `run-<random>/` folder per run holding its owner (pid, host). So no file of the user's
// can ever be taken for one of claw's temporary files, and claw removes only folders of
// runs that are over: its own at the end, and those of killed runs on this host (shown
// in the plan first). A `.claw-tmp` that is not claw's is never written to or removed.

export { TEMP_DIR };

const MARKER = 'CLAW-TEMPORARY';
const MARKER_TEXT = 'claw: temporary files of downloads under way; claw removes them. Delete this folder only when no claw pull runs.\n';
const RUN_RE = /^run-[0-9a-f]{16}$/;
/** A run folder whose owner file is missing or unreadable this long after it was made was killed while starting. */
const UNOWNED_GRACE_MS = 10 * 60_000;

export type TempState =
  | { kind: 'absent' }
  /** claw's: the run folders of killed runs on this host (relative to the root), and how many are live or another host's. */
  | { kind: 'ours'; stale: string[]; others: number }
  | { kind: 'foreign'; why: string };

interface Owner {
  pid: number;
  host: string;
  startedAt: string;
}

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const { handle } = await openRegular(file, { follow: false });
    try {
      const v = JSON.parse(await handle.readFile('utf8')) as Partial<Owner>;
      return typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string' ? (v as Owner) : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function isMarker(file: string): Promise<boolean> {
  const owner = await openRegular(file, { follow: false }).catch(() => undefined);
  if (!owner) return false;
  try {
    return (await owner.handle.readFile('utf8')) === MARKER_TEXT;
  } finally {
    await owner.handle.close();
  }
}

/** What is at `<root>/.claw-tmp`: nothing, claw's own (with the folders of killed runs), or something claw must not touch. */
export async function inspectTemp(root: string, o: { hostname?: string; isAlive?: (pid: number) => boolean; now?: Date } = {}): Promise<TempState> {
  const dir = join(root, TEMP_DIR);
  const st = await lstat(dir).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? undefined : Promise.reject(err)));
  if (!st) return { kind: 'absent' };
  if (st.isSymbolicLink()) return { kind: 'foreign', why: 'it is a symbolic link' };
  if (!st.isDirectory()) return { kind: 'foreign', why: 'it is not a folder' };
  if (!(await isMarker(join(dir, MARKER)))) return { kind: 'foreign', why: `it has no ${MARKER} file of claw's` };
  const host = o.hostname ?? osHostname();
  const alive = o.isAlive ?? pidAlive;
  const now = (o.now ?? new Date()).getTime();
  const stale: string[] = [];
  let others = 0;
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.name === MARKER) continue;
    if (!d.isDirectory() || !RUN_RE.test(d.name)) return { kind: 'foreign', why: `it holds ${d.name}, which claw did not make` };
    const owner = await readOwner(join(dir, d.name, 'owner.json'));
    const made = (await lstat(join(dir, d.name))).mtimeMs;
    const dead = owner ? owner.host === host && !alive(owner.pid) : now - made > UNOWNED_GRACE_MS;
    if (dead) stale.push(`${TEMP_DIR}/${d.name}`);
    else others++;
  }
  return { kind: 'ours', stale: stale.sort(), others };
}

/** The refusal for a `.claw-tmp` that is not claw's. */
export const foreignTemp = (root: string, why: string) =>
  new RefusedError(
    `${join(root, TEMP_DIR)} is not claw's temporary folder (${why}); claw will not write into it or remove it`,
    `move ${join(root, TEMP_DIR)} elsewhere, then run the pull again`,
  );

export interface TempArea {
  /** A new temporary file path inside this run's folder. */
  file(): string;
  /** Remove this run's folder (and `.claw-tmp` when nothing else is left in it). */
  finish(): Promise<void>;
}

/** Open this run's folder under `<root>/.claw-tmp/` (created on first use). */
export async function openTempArea(root: string, o: { hostname?: string; now?: Date } = {}): Promise<TempArea> {
  const dir = join(root, TEMP_DIR);
  // The target itself is made when missing (the operator named it); everything below it is checked.
  await mkdir(root, { recursive: true });
  await mkdir(dir).catch((err: unknown) => (codeOf(err) === 'EEXIST' ? undefined : Promise.reject(err)));
  const state = await inspectTempShape(dir);
  if (state === 'symlink') throw foreignTemp(root, 'it is a symbolic link or not a folder');
  if (state === 'unmarked') {
    await writeFile(join(dir, MARKER), MARKER_TEXT, { flag: 'wx' }).catch((err: unknown) => (codeOf(err) === 'EEXIST' ? undefined : Promise.reject(err)));
  }
  if (!(await isMarker(join(dir, MARKER)))) throw foreignTemp(root, `it has no ${MARKER} file of claw's`);
  const run = join(dir, `run-${randomBytes(8).toString('hex')}`);
  await mkdir(run);
  const owner: Owner = { pid: process.pid, host: o.hostname ?? osHostname(), startedAt: (o.now ?? new Date()).toISOString() };
  await writeFile(join(run, 'owner.json'), `${JSON.stringify(owner)}\n`, { flag: 'wx' });
  return {
    file: () => join(run, randomBytes(8).toString('hex')),
    finish: async () => {
      await rm(run, { recursive: true, force: true });
      await removeIfEmpty(dir);
    },
  };
}

async function inspectTempShape(dir: string): Promise<'symlink' | 'unmarked' | 'marked'> {
  const st = await lstat(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) return 'symlink';
  const names = await readdir(dir);
  return names.includes(MARKER) ? 'marked' : names.length === 0 ? 'unmarked' : 'marked';
}

/** `.claw-tmp` holding only its marker is removed; a run that started meanwhile keeps it (its marker put back). */
async function removeIfEmpty(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => undefined);
  if (!names || names.some((n) => n !== MARKER)) return;
  await unlink(join(dir, MARKER)).catch(() => undefined);
  await rmdir(dir).catch(async (err: unknown) => {
    if (codeOf(err) === 'ENOTEMPTY' || codeOf(err) === 'EEXIST') await writeFile(join(dir, MARKER), MARKER_TEXT, { flag: 'wx' }).catch(() => undefined);
  });
}

/** Remove the folders of killed runs the plan showed (each checked to be a run folder first). */
export async function removeStaleRuns(root: string, stale: readonly string[]): Promise<void> {
  for (const rel of stale) {
    const name = rel.slice(TEMP_DIR.length + 1);
    if (!rel.startsWith(`${TEMP_DIR}/`) || !RUN_RE.test(name)) continue;
    const path = join(root, TEMP_DIR, name);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isDirectory()) await rm(path, { recursive: true, force: true });
  }
  await removeIfEmpty(join(root, TEMP_DIR));
}
