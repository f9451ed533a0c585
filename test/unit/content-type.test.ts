import { describe, expect, it } from 'vitest';
import { contentTypeFor, parseMimeTypes } from '../../src/core/content-type.js';

// The Content-Type of an upload, as the aws CLI's Python guesses it: mimetypes'
// built-in table, the machine's mime.types on top, compression suffixes as encodings.

describe('contentTypeFor', () => {
  it.each([
    ['latest/config.json', 'application/json'],
    ['latest/CONFIG.JSON', 'application/json'],
    ['latest/page.html', 'text/html'],
    ['a/b/notes.txt', 'text/plain'],
    ['backup.tar.gz', 'application/x-tar'],
    ['backup.tgz', 'application/x-tar'],
    ['image.svgz', 'image/svg+xml'],
    ['only.gz', undefined],
    ['Makefile', undefined],
    ['.bashrc', undefined],
    ['dir.d/noext', undefined],
    ['data.unknownext', undefined],
  ])('%s -> %s', (key, type) => {
    expect(contentTypeFor(key)).toBe(type);
  });

  it("the machine's mime.types add to the built-in table and win over it", () => {
    const machine = parseMimeTypes(
      '# comment\napplication/vnd.sqlite3\t\tsqlite sqlite3\ntext/markdown md markdown\n\napplication/x-custom-json json # override\n',
    );
    expect(machine).toEqual({
      '.sqlite': 'application/vnd.sqlite3',
      '.sqlite3': 'application/vnd.sqlite3',
      '.md': 'text/markdown',
      '.markdown': 'text/markdown',
      '.json': 'application/x-custom-json',
    });
    expect(contentTypeFor('openclaw.sqlite', machine)).toBe('application/vnd.sqlite3');
    expect(contentTypeFor('workspace/AGENTS.MD', machine)).toBe('text/markdown');
    expect(contentTypeFor('x.json', machine)).toBe('application/x-custom-json');
    expect(contentTypeFor('openclaw.sqlite')).toBeUndefined();
  });
});
