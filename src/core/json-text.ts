import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { UsageError } from './errors.js';

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

const REASONS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'comments are not allowed',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

function firstDuplicateKey(root: Node | undefined): Node | undefined {
  // Depth first, in document order, without recursion.
  const stack: Node[] = root ? [root] : [];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const key = prop.children?.[0];
        if (key && typeof key.value === 'string') {
          if (seen.has(key.value)) return key;
          seen.add(key.value);
        }
      }
    }
    for (const child of [...(node.children ?? [])].reverse()) stack.push(child);
  }
  return undefined;
}

/** Deeper than any file claw reads needs: a limit that keeps the parsers (which recurse) far from the stack's end. */
export const MAX_JSON_DEPTH = 64;

/** The offset where nesting first goes deeper than `max`, or -1 (a scan that never recurses). */
export function tooDeepAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

/**
 * Strict JSON with a message that names the file, line and column; duplicate keys
 * (which JSON.parse silently collapses to the last one) are errors too, and so is
 * nesting deeper than MAX_JSON_DEPTH.
 */
export function parseJsonText(text: string, file: string, fix: string): unknown {
  const deep = tooDeepAt(text, MAX_JSON_DEPTH);
  if (deep >= 0) {
    const { line, column } = lineColumn(text, deep);
    throw new UsageError(`${file}:${line}:${column}: nested more than ${MAX_JSON_DEPTH} levels deep`, fix);
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) {
    const { line, column } = lineColumn(text, first.offset);
    const code = printParseErrorCode(first.error);
    throw new UsageError(`${file}:${line}:${column}: invalid JSON: ${REASONS[code] ?? code}`, fix);
  }
  const dup = firstDuplicateKey(tree);
  if (dup) {
    const { line, column } = lineColumn(text, dup.offset);
    throw new UsageError(`${file}:${line}:${column}: duplicate key "${String(dup.value)}"`, fix);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: invalid JSON: ${(err as Error).message}`, fix);
  }
}

/** One line for the first zod issue: `path: message`. */
const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text (a string)',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

export function describeIssue(issue: z.core.$ZodIssue): { path: string; message: string } {
  const path = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'is missing';
  else if (issue.code === 'invalid_type' && /^Invalid input/.test(issue.message))
    message = `must be ${EXPECTED[String(issue.expected)] ?? String(issue.expected)}`;
  else if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return { path, message };
}
