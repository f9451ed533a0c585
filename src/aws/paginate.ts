import { RemoteError } from '../core/errors.js';

/**
 * Follow NextToken pages to the end and collect the items. A token that repeats is a
 * broken answer, not an endless fleet: fail rather than loop.
 */
export async function collectPages<I extends { NextToken?: string | undefined }, O extends { NextToken?: string | undefined }, T>(
  call: (input: I) => Promise<O>,
  input: I,
  pick: (output: O) => readonly T[] | undefined,
  what: string,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await call({ ...input, ...(token ? { NextToken: token } : {}) });
    items.push(...(pick(page) ?? []));
    token = page.NextToken || undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new RemoteError(`${what}: the pagination token repeated; refusing to loop`);
      seen.add(token);
    }
  } while (token !== undefined);
  return items;
}

/** Split a list into chunks of at most `size` (for APIs that cap filter values). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
