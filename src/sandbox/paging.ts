import { createHash } from 'node:crypto';

// Opaque pagination tokens. A token holds a cursor (the last id or key returned, so a
// page boundary survives inserts and deletes) and a fingerprint of the request it
// belongs to: reusing it with other parameters is an error, as it is on AWS.

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** A short hash of the request without its paging parameters. */
export function requestFingerprint(input: object, pagingKeys: readonly string[]): string {
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => !pagingKeys.includes(k)));
  return createHash('sha256')
    .update(JSON.stringify(canonical(rest)))
    .digest('hex')
    .slice(0, 16);
}

interface TokenBody<C> {
  v: 1;
  op: string;
  fp: string;
  c: C;
}

export function encodeToken<C>(op: string, fp: string, cursor: C): string {
  const body: TokenBody<C> = { v: 1, op, fp, c: cursor };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The cursor inside `token`, or undefined when it is not a token for this request. */
export function decodeToken<C>(op: string, fp: string, token: string): C | undefined {
  try {
    const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody<C>>;
    if (body.v !== 1 || body.op !== op || body.fp !== fp || body.c === undefined) return undefined;
    return body.c;
  } catch {
    return undefined;
  }
}

/**
 * One page of `items` (sorted by `idOf`): the items after `after`, at most `max` of
 * them, and the cursor to continue from when more remain.
 */
export function pageAfter<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  after: string | undefined,
  max: number | undefined,
): { page: T[]; next: string | undefined } {
  const rest = after === undefined ? [...items] : items.filter((i) => idOf(i) > after);
  if (max === undefined || rest.length <= max) return { page: rest, next: undefined };
  const page = rest.slice(0, max);
  return { page, next: idOf(page[page.length - 1]!) };
}
