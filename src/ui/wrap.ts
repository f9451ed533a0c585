// Word wrap for boxed text the dashboard lays out itself (it needs the line count to
// size the box): break at spaces (the spaces inside a line are kept as written), a word
// longer than the width is cut into pieces, and continuation lines keep the line's
// indentation plus two spaces, so they read as one.

/** `text` as lines of at most `width` characters (width at least 8). */
export function wrapLine(text: string, width: number): string[] {
  const w = Math.max(8, width);
  if (text.length <= w) return [text];
  const indent = /^ */.exec(text)![0];
  const more = `${indent}  `.slice(0, Math.floor(w / 2));
  const out: string[] = [];
  let line = indent;
  let fresh = true; // nothing but indentation on the line yet
  const flush = () => {
    out.push(line.trimEnd());
    line = more;
    fresh = true;
  };
  // Words with the spaces before them: "flake:", "  github:..." keeps its two spaces.
  for (const [, gap = '', word = ''] of text.slice(indent.length).matchAll(/( *)(\S+)/g)) {
    let sep = fresh ? '' : gap;
    let rest = word;
    if (!fresh && line.length + sep.length + rest.length > w) {
      flush();
      sep = '';
    }
    // Too long even for a line of its own: as much as fits, the rest on the next lines.
    while (line.length + sep.length + rest.length > w) {
      const room = w - line.length - sep.length;
      line += sep + rest.slice(0, room);
      rest = rest.slice(room);
      flush();
      sep = '';
    }
    line += sep + rest;
    fresh = false;
  }
  if (!fresh) out.push(line.trimEnd());
  return out;
}

export const wrapLines = (lines: readonly string[], width: number): string[] => lines.flatMap((l) => wrapLine(l, width));
