import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from './errors.js';
import { describeIssue } from './json-text.js';
import { runbookSchema, STEP_KINDS, toRunbook, type RawRunbook, type Runbook } from './runbook-schema.js';

// Runbook text -> Runbook. Every problem is one UsageError `file:line:col: where: what`,
// the line found from the YAML node behind zod's issue path (LineCounter + node ranges).

const FIX = 'fix the runbook (fixtures/runbooks/ has a complete example; `claw migrate plan FILE` checks it)';

type Path = readonly PropertyKey[];

class Located {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly raw: unknown,
  ) {}

  position(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${line}:${col}`;
  }

  at(path: Path, key?: string): string {
    return this.position(this.offset(path, key));
  }

  /** Where the node at `path` starts, or the nearest ancestor that exists (a missing key points at its map). */
  offset(path: Path, key?: string): number {
    const p = path.map((s) => (typeof s === 'symbol' ? String(s) : s)) as (string | number)[];
    if (key !== undefined) {
      const map = p.length ? this.doc.getIn(p, true) : this.doc.contents;
      if (isMap(map)) {
        const pair = map.items.find((i) => isScalar(i.key) && i.key.value === key);
        if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
    }
    for (;;) {
      const node = p.length ? this.doc.getIn(p, true) : this.doc.contents;
      if (isNode(node) && node.range) return node.range[0];
      if (!p.length) return 0;
      p.pop();
    }
  }

  value(path: Path): unknown {
    let v = this.raw;
    for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg as never] : undefined;
    return v;
  }

  /** `phase B › step b-apply › argv`: ids where the file has them, else positions. */
  describe(path: Path): string {
    const parts: string[] = [];
    let value: unknown = this.raw;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const parent = path[i - 1];
      value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[seg as never] : undefined;
      if (typeof seg === 'number') {
        const itemId = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
        const what = parent === 'phases' ? 'phase' : parent === 'rollback' ? 'rollback step' : parent === 'preflight' ? 'preflight check' : 'step';
        parts.pop();
        parts.push(typeof itemId === 'string' && itemId !== '' ? `${what} ${itemId}` : `${what} #${seg + 1}`);
      } else parts.push(String(seg));
    }
    return parts.join(' › ');
  }
}

function issueText(issue: z.core.$ZodIssue, at: Located): { where: string; what: string; offset: number } {
  const path = issue.path;
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator === 'kind') {
    const node = path.slice(0, -1);
    const step = at.value(node);
    const kind = step !== null && typeof step === 'object' ? (step as { kind?: unknown }).kind : undefined;
    const expected = `expected ${STEP_KINDS.slice(0, -1).join(', ')} or ${STEP_KINDS.at(-1)}`;
    if (kind === undefined) return { where: at.describe(node), what: `"kind" is missing (${expected})`, offset: at.offset(node) };
    return { where: at.describe(node), what: `unknown step kind ${JSON.stringify(kind)} (${expected})`, offset: at.offset(path) };
  }
  if (issue.code === 'unrecognized_keys') {
    const { message } = describeIssue(issue);
    return { where: at.describe(path), what: message, offset: at.offset(path, issue.keys[0]) };
  }
  const { message } = describeIssue(issue);
  const missing = message === 'is missing';
  const key = path.at(-1);
  return {
    where: at.describe(missing ? path.slice(0, -1) : path),
    what: missing && typeof key === 'string' ? `"${key}" is missing` : message,
    offset: missing ? at.offset(path.slice(0, -1)) : at.offset(path),
  };
}

function fail(file: string, pos: string, where: string, what: string): never {
  throw new UsageError(`${file}:${pos}: ${where ? `${where}: ` : ''}${what}`, FIX);
}

/** Cross-field rules zod cannot see: unique ids, rollback only where reversible, preflight = checks. */
function checkRules(rb: RawRunbook, file: string, at: Located): void {
  const seen = new Map<string, string>();
  const claim = (id: string, path: Path, what: string) => {
    const prev = seen.get(id);
    if (prev !== undefined)
      fail(file, at.at([...path, 'id']), at.describe(path), `id "${id}" is already used by ${prev}; every id in a runbook must be unique`);
    seen.set(id, what);
  };
  rb.phases.forEach((p, i) => claim(p.id, ['phases', i], `phase ${p.id}`));
  (rb.preflight ?? []).forEach((s, i) => {
    claim(s.id, ['preflight', i], `preflight check ${s.id}`);
    if (s.kind !== 'check')
      fail(file, at.at(['preflight', i, 'kind']), at.describe(['preflight', i]), `preflight steps must be checks (kind: check), not ${s.kind}`);
  });
  rb.phases.forEach((p, i) => {
    p.steps.forEach((s, j) => claim(s.id, ['phases', i, 'steps', j], `step ${s.id}`));
    (p.rollback ?? []).forEach((s, j) => claim(s.id, ['phases', i, 'rollback', j], `rollback step ${s.id}`));
    const hasRollback = (p.rollback ?? []).length > 0;
    if (p.reversible && !hasRollback)
      fail(
        file,
        at.at(['phases', i, 'reversible']),
        at.describe(['phases', i]),
        'is reversible but has no rollback steps (add them, or set reversible: false)',
      );
    if (!p.reversible && p.rollback !== undefined)
      fail(
        file,
        at.at(['phases', i], 'rollback'),
        at.describe(['phases', i]),
        'has rollback steps but is not reversible (set reversible: true, or remove them)',
      );
  });
}

/** Parse and validate a runbook; `file` is the path as shown to the operator. */
export function parseRunbook(text: string, file: string): Runbook {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lines.linePos(err.pos[0]);
    const what = err.code === 'DUPLICATE_KEY' ? 'a key appears twice in one map' : err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    fail(file, `${line}:${col}`, '', `invalid YAML: ${what}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    fail(file, '1:1', '', `invalid YAML: ${(e as Error).message}`);
  }
  if (raw === null || raw === undefined) fail(file, '1:1', '', 'the runbook is empty');
  if (typeof raw !== 'object' || Array.isArray(raw)) fail(file, '1:1', '', 'expected a map with name, description and phases');
  const at = new Located(doc, lines, raw);
  const parsed = runbookSchema.safeParse(raw);
  if (!parsed.success) {
    // zod lists issues in its own order; the operator reads the file from the top.
    const first = parsed.error.issues.map((i) => issueText(i, at)).sort((a, b) => a.offset - b.offset)[0]!;
    fail(file, at.position(first.offset), first.where, first.what);
  }
  checkRules(parsed.data, file, at);
  return toRunbook(parsed.data);
}
