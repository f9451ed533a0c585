import { SandboxUnsupportedError } from '../core/errors.js';

// EC2 `Filters`: filters are ANDed, the values of one filter ORed; values may use the
// wildcards `*` (any run) and `?` (one character), `\` escapes them. `tag:<key>` matches
// that tag's value, `tag-key` any tag key. Any other name must be listed by the
// operation; an unlisted one throws instead of being ignored.

export interface Ec2Filter {
  Name?: string | undefined;
  Values?: string[] | undefined;
}

export interface FilterSpec<T> {
  /** Filter name -> the item's values for it. */
  fields: Record<string, (item: T) => readonly string[]>;
  tags: (item: T) => Record<string, string>;
}

export function wildcardToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += escapeRe(pattern[++i]!);
    } else if (c === '*') {
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else {
      out += escapeRe(c);
    }
  }
  return new RegExp(`^${out}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

type Predicate<T> = (item: T) => boolean;

function anyValue(values: readonly string[], patterns: RegExp[]): boolean {
  return values.some((v) => patterns.some((p) => p.test(v)));
}

export function compileFilters<T>(operation: string, filters: Ec2Filter[] | undefined, spec: FilterSpec<T>): Predicate<T> {
  const predicates: Predicate<T>[] = (filters ?? []).map((f) => {
    const name = f.Name;
    if (name === undefined || name === '') throw new SandboxUnsupportedError(`${operation}: a filter without Name`);
    const patterns = (f.Values ?? []).map(wildcardToRegExp);
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      return (item) => {
        const value = spec.tags(item)[key];
        return value !== undefined && anyValue([value], patterns);
      };
    }
    if (name === 'tag-key') return (item) => anyValue(Object.keys(spec.tags(item)), patterns);
    const field = spec.fields[name];
    if (!field) {
      const known = ['tag:<key>', 'tag-key', ...Object.keys(spec.fields)].join(', ');
      throw new SandboxUnsupportedError(`${operation} does not implement filter "${name}" (supported: ${known})`);
    }
    return (item) => anyValue(field(item), patterns);
  });
  return (item) => predicates.every((p) => p(item));
}
