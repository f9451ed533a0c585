// Text from outside (S3 keys, tags, host output, a lock holder's name) reaches a terminal
// only with its control characters made visible: a `\r` could overwrite a plan line, an
// escape sequence clear the screen or retitle the window. Applied where claw writes
// human-readable text; JSON output escapes them by itself.

/** C0 controls but tab and newline, DEL, and the C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** claw's own colouring: exactly the SGR sequences src/ui/style.ts emits (bold, dim, red, green, yellow, cyan, gray and their resets). */
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[(?:1|2|22|31|32|33|36|39|90)m/g;

const visible = (c: string): string => {
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\u001b') return '\\e';
  if (c === '\b') return '\\b';
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
};

// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Every control character (newlines and tabs included) shown as an escape: for one field of one line. */
export function escapeField(s: string): string {
  return s.replace(ANY_CONTROL, visible);
}

/** A field of one line (a table cell) that may carry claw's own colour: every other control character escaped. */
export function escapeCell(s: string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(SGR)) {
    out += s.slice(last, m.index).replace(ANY_CONTROL, visible) + m[0];
    last = m.index + m[0].length;
  }
  return out + s.slice(last).replace(ANY_CONTROL, visible);
}

/**
 * Text about to be written to a terminal or log: newlines and tabs stay; every other
 * control character is shown as an escape, except claw's own colour sequences when
 * `keepColour` (output going to a terminal that claw colours).
 */
export function terminalSafe(text: string, keepColour = false): string {
  if (!keepColour) return text.replace(CONTROL, visible);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SGR)) {
    out += text.slice(last, m.index).replace(CONTROL, visible) + m[0];
    last = m.index + m[0].length;
  }
  return out + text.slice(last).replace(CONTROL, visible);
}

/**
 * A value read from outside, every string in it (object keys included) made safe for one
 * line of a terminal and any password in a URL redacted: for views (the dashboard) that
 * draw fields of such data directly. Dates and other non-plain objects pass unchanged.
 */
export function displayable<T>(value: T, redact: (s: string) => string = (s) => s): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return escapeField(redact(v));
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [escapeField(k), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
