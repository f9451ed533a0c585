import { createHash, type Hash } from 'node:crypto';

// S3 ETag math, so a local file can be compared with a listed object without any
// per-object request. A single-part (PutObject) ETag is the MD5 of the body; a
// multipart one is MD5(concatenated binary part MD5s) + "-" + part count, which
// depends on the part size the uploader chose: we try the likely ones. (SSE-KMS
// objects have ETags that are neither; they compare as changed, never as equal.)
// Hashing is computation, not I/O, so it lives in core.

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part count. */
export const MAX_PARTS = 10_000;
/** claw's own part size (UPLOAD_PART_SIZE), the aws CLI's default, lib-storage's default. */
export const PREFERRED_PART_SIZES = [16 * MiB, 8 * MiB, 5 * MiB] as const;
/**
 * Each candidate part size costs one more MD5 over the whole file, so the search is
 * capped: the preferred sizes, then whole-MiB powers of two, then the smallest whole
 * MiB sizes that give the part count.
 */
export const MAX_PART_SIZE_CANDIDATES = 8;

export interface ParsedEtag {
  /** The hex digest (lower case). */
  hex: string;
  /** Part count for a multipart ETag ("<hex>-N"); undefined for a single-part one. */
  parts: number | undefined;
}

/** `"<32 hex>"` or `"<32 hex>-N"` (quotes optional); undefined for anything else. */
export function parseEtag(etag: string | undefined): ParsedEtag | undefined {
  if (etag === undefined) return undefined;
  const m = /^"?([0-9a-fA-F]{32})(?:-(\d{1,5}))?"?$/.exec(etag.trim());
  if (!m) return undefined;
  const parts = m[2] === undefined ? undefined : Number(m[2]);
  if (parts !== undefined && (parts < 1 || parts > MAX_PARTS)) return undefined;
  return { hex: m[1]!.toLowerCase(), parts };
}

const fits = (size: number, parts: number, partSize: number) => Math.ceil(size / partSize) === parts;

/**
 * The part sizes that could have produced a `parts`-part upload of `size` bytes, most
 * likely first (see MAX_PART_SIZE_CANDIDATES). One part: any size at least `size`.
 */
export function candidatePartSizes(size: number, parts: number): number[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > MAX_PARTS || size < 0) return [];
  if (parts === 1) return [Math.max(size, 1)];
  if (size === 0) return [];
  const out: number[] = [];
  const add = (p: number) => {
    if (out.length < MAX_PART_SIZE_CANDIDATES && p >= MIN_PART_SIZE && fits(size, parts, p) && !out.includes(p)) out.push(p);
  };
  for (const p of PREFERRED_PART_SIZES) add(p);
  // Whole MiB m with (parts-1)*m*MiB < size <= parts*m*MiB.
  const lo = Math.max(5, Math.ceil(size / (parts * MiB)));
  const hi = Math.ceil(size / ((parts - 1) * MiB)) - 1;
  for (let pow = 1; pow <= hi && out.length < MAX_PART_SIZE_CANDIDATES; pow *= 2) if (pow >= lo) add(pow * MiB);
  for (let m = lo; m <= hi && out.length < MAX_PART_SIZE_CANDIDATES; m++) add(m * MiB);
  return out;
}

export interface ContentDigest {
  size: number;
  /** MD5 of the whole content (undefined when not asked for). */
  md5: string | undefined;
  sha256: string | undefined;
  /** Multipart ETag ("<hex>-N", unquoted) by candidate part size. */
  multipart: Map<number, string>;
}

interface PartState {
  size: number;
  filled: number;
  hash: Hash;
  digests: Buffer[];
}

/**
 * The whole MD5 and SHA-256 (each unless turned off) plus the multipart ETag for each
 * given part size, in one pass over the bytes: feed chunks with update(), then
 * digest() once. Every digest is one more hash over every byte: ask for few.
 */
export class ContentHasher {
  private readonly md5: Hash | undefined;
  private readonly sha: Hash | undefined;
  private readonly parts: PartState[];
  private size = 0;

  constructor(partSizes: readonly number[] = [], want: { md5?: boolean; sha256?: boolean } = {}) {
    this.md5 = want.md5 === false ? undefined : createHash('md5');
    this.sha = want.sha256 === false ? undefined : createHash('sha256');
    this.parts = partSizes.map((size) => ({ size, filled: 0, hash: createHash('md5'), digests: [] }));
  }

  update(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    this.md5?.update(chunk);
    this.sha?.update(chunk);
    for (const p of this.parts) {
      let at = 0;
      while (at < chunk.byteLength) {
        const take = Math.min(p.size - p.filled, chunk.byteLength - at);
        p.hash.update(chunk.subarray(at, at + take));
        p.filled += take;
        at += take;
        if (p.filled === p.size) {
          p.digests.push(p.hash.digest());
          p.hash = createHash('md5');
          p.filled = 0;
        }
      }
    }
  }

  digest(): ContentDigest {
    const multipart = new Map<number, string>();
    for (const p of this.parts) {
      const digests = p.filled > 0 || p.digests.length === 0 ? [...p.digests, p.hash.digest()] : p.digests;
      multipart.set(p.size, `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`);
    }
    return { size: this.size, md5: this.md5?.digest('hex'), sha256: this.sha?.digest('hex'), multipart };
  }
}

/**
 * The reads that settle whether a file of `size` bytes has this ETag, each a list of
 * part sizes to compute (an empty list: the whole MD5, for a single-part ETag). For a
 * multipart ETag the first read tries the preferred part sizes, which is all it takes
 * for what claw, the aws CLI or lib-storage uploaded; the other whole-MiB sizes get a
 * second read only when those fail. (Computing them all in one read costs an MD5 per
 * candidate over every byte: a no-change re-sync of 4 x 64 MiB took 3.4 s instead of 0.5 s.)
 * No reads at all: the ETag cannot be reproduced.
 */
export function hashPasses(etag: string | undefined, size: number): number[][] {
  const parsed = parseEtag(etag);
  if (!parsed) return [];
  if (parsed.parts === undefined) return [[]];
  const all = candidatePartSizes(size, parsed.parts);
  const preferred = all.filter((p) => (PREFERRED_PART_SIZES as readonly number[]).includes(p));
  const rest = all.filter((p) => !preferred.includes(p));
  return [preferred, rest].filter((pass) => pass.length > 0);
}

/** Does the content's digest produce this ETag (single-part MD5, or a multipart one for a computed part size)? */
export function etagMatches(etag: string | undefined, digest: ContentDigest): boolean {
  const parsed = parseEtag(etag);
  if (!parsed) return false;
  if (parsed.parts === undefined) return digest.md5 !== undefined && parsed.hex === digest.md5;
  const want = `${parsed.hex}-${parsed.parts}`;
  for (const got of digest.multipart.values()) if (got === want) return true;
  return false;
}

/** The ETag S3 gives `bytes` uploaded in parts of `partSize` (or as one PutObject when partSize is undefined). */
export function etagOf(bytes: Uint8Array, partSize?: number): string {
  const h = new ContentHasher(partSize === undefined ? [] : [partSize], { sha256: false, md5: partSize === undefined });
  h.update(bytes);
  const d = h.digest();
  return partSize === undefined ? d.md5! : d.multipart.get(partSize)!;
}
