import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../fs/file-lock.js';

// Runs of claw on this machine that hold something shared (the deploy lock, a backup
// bucket's unfinished-overwrite marker) get a random id, recorded with their pid under
// $CLAW_HOME/runs/<id>.json before the shared object is written. Only an object carrying
// an id this machine recorded, whose pid is no longer alive here, was left by a claw that
// died here: a user@host and a pid prove nothing (another machine can have the same name).

export interface LocalRun {
  id: string;
  /** Forget the run (its shared object is gone). */
  end(): void;
}

const ID_RE = /^[0-9a-f-]{36}$/;
/** Records of dead runs are dropped after this long (their objects have long expired). */
const KEEP_DEAD_MS = 30 * 24 * 3600_000;

const dirOf = (home: string) => join(home, 'runs');

export function startLocalRun(home: string, kind: string, now: Date = new Date()): LocalRun {
  const dir = dirOf(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  prune(dir, now);
  const id = randomUUID();
  const file = join(dir, `${id}.json`);
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, kind, startedAt: now.toISOString() })}\n`, { flag: 'wx', mode: 0o600 });
  return {
    id,
    end: () => {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}

/** Was run `id` started on this machine by a claw whose process is gone? */
export function deadLocalRun(home: string, id: string): boolean {
  if (!ID_RE.test(id)) return false;
  try {
    const v = JSON.parse(readFileSync(join(dirOf(home), `${id}.json`), 'utf8')) as { pid?: unknown };
    return typeof v.pid === 'number' && v.pid !== process.pid && !pidAlive(v.pid);
  } catch {
    return false;
  }
}

function prune(dir: string, now: Date): void {
  for (const name of readdirSync(dir)) {
    const id = name.replace(/\.json$/, '');
    try {
      if (ID_RE.test(id) && now.getTime() - statSync(join(dir, name)).mtimeMs > KEEP_DEAD_MS && deadLocalRun(join(dir, '..'), id)) unlinkSync(join(dir, name));
    } catch {
      // another claw pruned it
    }
  }
}
