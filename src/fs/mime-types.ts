import { readFile } from 'node:fs/promises';
import { MIME_TYPES_FILES, parseMimeTypes } from '../core/content-type.js';

// The machine's mime.types, read once per process and only by an upload (push): what the
// aws CLI's Python adds to its built-in table on this machine. Missing files are skipped.

let table: Promise<Record<string, string>> | undefined;

export function machineMimeTypes(): Promise<Record<string, string>> {
  table ??= (async () => {
    const into: Record<string, string> = {};
    for (const file of MIME_TYPES_FILES) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) parseMimeTypes(text, into);
    }
    return into;
  })();
  return table;
}
