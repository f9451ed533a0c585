import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { extract, pack, type Header } from 'tar-stream';
import { AGEKEY_FILE, comparePaths, SECRETS_DIR, type EntryName } from '../core/bootstrap.js';
import { UsageError } from '../core/errors.js';

// Deterministic bundles: tar (tar-stream) compressed with zstd (Node's own zlib). The
// same inputs give the same bytes: entries sorted, mtime 0, owner 0:0 with no names,
// fixed modes, fixed zstd parameters. Only names ever leave this module in errors.

/** One entry to write. Directories end in `/`. */
export interface TarFile {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  data?: Uint8Array;
  linkname?: string;
}

export interface Bundle {
  body: Buffer;
  sha256: string;
  size: number;
  entries: EntryName[];
}

/** Secrets to bundle, by file name (`<stem>.age`), and the agekey; `origin` names where they came from. */
export interface SecretSet {
  files: Map<string, Uint8Array>;
  agekey: Uint8Array | undefined;
  origin: string;
  agekeyOrigin: string;
}

export const SECRET_MODE = 0o400;
export const SECRET_DIR_MODE = 0o700;
export const SEED_MODE = 0o444;
export const SEED_EXEC_MODE = 0o555;
export const SEED_DIR_MODE = 0o755;
const EPOCH = new Date(0);
const ZSTD_LEVEL = 3;
/** A downloaded bundle never expands past this (a zstd bomb is a corrupt bundle). */
const MAX_TAR_BYTES = 4 * 1024 ** 3;

export const sha256Hex = (buf: Uint8Array) => createHash('sha256').update(buf).digest('hex');

function zstd(): { compress: (b: Buffer) => Promise<Buffer>; decompress: (b: Buffer, max: number) => Promise<Buffer> } {
  if (typeof zlib.zstdCompress !== 'function') {
    throw new UsageError(`bootstrap bundles need zstd in Node's zlib: Node.js 22.15 or newer (this is ${process.version})`, "see the README's requirements");
  }
  const c = promisify(zlib.zstdCompress) as (b: Buffer, o: zlib.ZstdOptions) => Promise<Buffer>;
  const d = promisify(zlib.zstdDecompress) as (b: Buffer, o: zlib.ZstdOptions) => Promise<Buffer>;
  const params = { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL, [zlib.constants.ZSTD_c_checksumFlag]: 1 };
  return { compress: (b) => c(b, { params }), decompress: (b, max) => d(b, { maxOutputLength: max }) };
}

/** A plain tar of `files` in path order, every header normalised. Duplicate paths are a bug. */
export async function packTar(files: readonly TarFile[]): Promise<Buffer> {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  sorted.forEach((f, i) => {
    if (i > 0 && sorted[i - 1]!.path === f.path) throw new Error(`packTar: duplicate entry ${f.path}`);
  });
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    p.on('data', (c) => chunks.push(c as Buffer));
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
  });
  for (const f of sorted) {
    const header: Partial<Header> & { name: string } = { name: f.path, type: f.type, mode: f.mode, uid: 0, gid: 0, uname: '', gname: '', mtime: EPOCH };
    if (f.type === 'symlink') header.linkname = f.linkname ?? '';
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (f.type === 'file') p.entry({ ...header, size: f.data?.byteLength ?? 0 }, Buffer.from(f.data ?? new Uint8Array()), cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  return done;
}

/** The entries of a tar, names and types only; the content is read and dropped. */
export async function listTar(tar: Buffer): Promise<EntryName[]> {
  const ex = extract();
  const entries: EntryName[] = [];
  const reading = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      entries.push({ path: h.name, type: h.type ?? 'file', ...(h.type === 'symlink' ? { linkname: h.linkname } : {}) });
      entry.resume();
    }
  })();
  ex.end(tar);
  await reading;
  return entries;
}

export async function buildBundle(files: readonly TarFile[]): Promise<Bundle> {
  const tar = await packTar(files);
  const body = await zstd().compress(tar);
  return { body, sha256: sha256Hex(body), size: body.byteLength, entries: await listTar(tar) };
}

/**
 * Whether `buf` is whole zstd frames, each complete, and nothing after the last. Node's
 * decoder returns what it could of a truncated stream without an error, so a cut-off
 * download would otherwise read as a shorter archive.
 */
export function zstdFramesComplete(buf: Uint8Array): boolean {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at < buf.byteLength) {
    if (at + 8 > buf.byteLength) return false;
    const magic = view.getUint32(at, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // skippable frame: magic, size, data
      at += 8 + view.getUint32(at + 4, true);
      continue;
    }
    if (magic !== 0xfd2fb528) return false;
    const fhd = buf[at + 4]!;
    const single = (fhd >> 5) & 1;
    const fcs = [single, 2, 4, 8][fhd >> 6]!;
    at += 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + fcs;
    for (let last = 0; !last;) {
      if (at + 3 > buf.byteLength) return false;
      const header = buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16);
      const type = (header >> 1) & 3;
      if (type === 3) return false;
      last = header & 1;
      at += 3 + (type === 1 ? 1 : header >>> 3);
    }
    at += (fhd >> 2) & 1 ? 4 : 0;
  }
  return at === buf.byteLength;
}

/** A downloaded body's entries, or why it is not a zstd tar (a fixed phrase, never content). */
export async function readBundle(body: Uint8Array): Promise<EntryName[] | { corrupt: string }> {
  const { decompress } = zstd();
  if (!zstdFramesComplete(body)) return { corrupt: 'not a zstd stream, or truncated' };
  let tar: Buffer;
  try {
    tar = await decompress(Buffer.from(body), MAX_TAR_BYTES);
  } catch {
    return { corrupt: 'not a zstd stream, or truncated' };
  }
  try {
    const entries = await listTar(tar);
    return entries.length ? entries : { corrupt: 'an empty archive' };
  } catch {
    return { corrupt: 'not a tar archive, or truncated' };
  }
}

/** clawdinator.agekey, the secrets/ folder and the chosen `<name>.age` files. */
export function secretsTarFiles(set: SecretSet, include: readonly string[]): TarFile[] {
  const out: TarFile[] = [{ path: SECRETS_DIR, type: 'directory', mode: SECRET_DIR_MODE }];
  if (set.agekey) out.push({ path: AGEKEY_FILE, type: 'file', mode: SECRET_MODE, data: set.agekey });
  for (const name of include) {
    const data = set.files.get(name);
    if (data) out.push({ path: `${SECRETS_DIR}${name}`, type: 'file', mode: SECRET_MODE, data });
  }
  return out;
}

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export const SECRETS_PATH = join('nix', 'age-secrets');
export const AGEKEY_PATH = join('nix', 'keys', AGEKEY_FILE);
export const SEEDS_PATH = 'repo-seeds';

/** The repo's agekey (nix/keys/clawdinator.agekey), undefined when missing. */
export const readRepoAgekey = (root: string) => readOptional(join(root, AGEKEY_PATH));

/** nix/age-secrets/*: every regular file at the top level (the caller picks the `.age` ones). */
export async function readRepoSecrets(root: string): Promise<SecretSet> {
  const dir = join(root, SECRETS_PATH);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new UsageError(
      `${SECRETS_PATH}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'run from the clawdinators repo (or --repo DIR), or use --from-s3',
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const name of names.sort(comparePaths)) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) files.set(name, await readFile(path));
  }
  return { files, agekey: await readRepoAgekey(root), origin: SECRETS_PATH, agekeyOrigin: AGEKEY_PATH };
}

/** repo-seeds/, recursively: files 0444 (0555 when executable), folders 0755, symlinks as links. */
export async function readRepoSeeds(root: string): Promise<TarFile[]> {
  const base = join(root, SEEDS_PATH);
  const out: TarFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(base, rel));
    } catch (err) {
      throw new UsageError(
        `${join(SEEDS_PATH, rel)}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'the repo seeds bundle is built from repo-seeds/ in the repo',
      );
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = join(base, path);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        out.push({ path: `${path}/`, type: 'directory', mode: SEED_DIR_MODE });
        await walk(path);
      } else if (st.isFile()) out.push({ path, type: 'file', mode: st.mode & 0o111 ? SEED_EXEC_MODE : SEED_MODE, data: await readFile(abs) });
      else if (st.isSymbolicLink()) out.push({ path, type: 'symlink', mode: 0o777, linkname: await readlink(abs) });
      else throw new UsageError(`${join(SEEDS_PATH, path)} is not a file, folder or symlink`, 'remove it from repo-seeds/');
    }
  };
  await walk('');
  return out;
}
