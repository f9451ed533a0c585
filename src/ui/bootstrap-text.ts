import { formatBytes } from '../core/bytes.js';
import { BUNDLE_FILE, planCounts, type BundleAction, type BundleKind, type HostPlan, type Violation } from '../core/bootstrap.js';
import type { Styler } from './style.js';
import { renderTable } from './table.js';

// `claw bootstrap upload|verify` as plain text. Only names, sizes and checksums: the
// data behind these types never holds a secret's content.

/** What `verify` found for one host. */
export interface VerifiedHost {
  host: string;
  prefix: string;
  ok: boolean;
  bundles: {
    bundle: BundleKind;
    key: string;
    sha256: string | null;
    metadataSha256: string | null;
    size: number | null;
    entries: number | null;
    ok: boolean;
    violations: Violation[];
  }[];
}

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : '-');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const ACTION_COLOR: Record<BundleAction, 'green' | 'yellow' | 'red' | 'dim'> = { create: 'green', update: 'yellow', unchanged: 'dim', refused: 'red' };

/** The plan: one row per host and bundle, what happens to it and why. */
export function renderUploadPlan(
  bucket: string,
  source: { origin: string; agekeyOrigin: string },
  plans: readonly (HostPlan & { files: string[] })[],
  paint: Styler,
): string {
  const out = [
    paint('bold', `Bootstrap bundles for s3://${bucket}`),
    paint('dim', `secrets from ${source.origin}, agekey from ${source.agekeyOrigin}, repo seeds from repo-seeds/`),
    '',
  ];
  const rows: string[][] = [];
  for (const p of plans) {
    for (const b of p.bundles) {
      const detail =
        b.action === 'refused'
          ? b.reason
          : `${formatBytes(b.size)}${b.bundle === 'secrets' ? `, ${plural(p.files.filter((f) => f.startsWith('secrets/')).length, 'secret')}` : ''}${b.action === 'unchanged' ? '' : `; ${b.reason}`}`;
      rows.push([`  ${p.host}`, BUNDLE_FILE[b.bundle], paint(ACTION_COLOR[b.action], b.action), short(b.sha256), detail]);
    }
  }
  out.push(renderTable(['  HOST', 'BUNDLE', 'ACTION', 'SHA256', 'DETAIL'], rows));
  const n = planCounts(plans);
  out.push('', `plan: ${plural(n.upload, 'bundle')} to upload, ${n.unchanged} unchanged${n.refused ? `, ${plural(n.refused, 'host')} refused` : ''}`);
  return out.join('\n');
}

export function uploadSummary(plans: readonly HostPlan[], written: number, paint: Styler): string {
  const n = planCounts(plans);
  const refused = n.refused ? paint('red', `; ${plural(n.refused, 'host')} refused, nothing uploaded for ${n.refused === 1 ? 'it' : 'them'}`) : '';
  if (written === 0 && !n.refused) return paint('green', `nothing to upload: every bundle is unchanged (${n.unchanged})`);
  return `${paint('green', `uploaded ${plural(written, 'bundle')}`)}, ${n.unchanged} unchanged${refused}`;
}

/** The one-line error for refused hosts: each host with the files at fault. */
export function refusalSummary(refused: readonly HostPlan[], dryRun: boolean): string {
  const what = refused.map((p) => `${p.host} (${p.violations.map((v) => v.message).join('; ')})`).join(', ');
  return `${dryRun ? 'dry run: would refuse' : 'refused'} the bootstrap upload for ${what}`;
}

export function renderVerify(bucket: string, results: readonly VerifiedHost[], paint: Styler): string {
  const rows = results.flatMap((r) =>
    r.bundles.map((b) => [
      `  ${r.host}`,
      BUNDLE_FILE[b.bundle],
      b.ok ? paint('green', 'ok') : paint('red', 'FAILED'),
      short(b.sha256),
      b.entries === null ? '-' : String(b.entries),
      b.ok ? (b.size === null ? '' : formatBytes(b.size)) : b.violations.map((v) => v.message).join('; '),
    ]),
  );
  return [paint('bold', `Bootstrap bundles in s3://${bucket}`), '', renderTable(['  HOST', 'BUNDLE', 'RESULT', 'SHA256', 'ENTRIES', 'DETAIL'], rows)].join(
    '\n',
  );
}

export function verifySummary(results: readonly VerifiedHost[], paint: Styler): string {
  const bad = results.filter((r) => !r.ok).length;
  const line = `${plural(results.length, 'host')} verified: ${results.length - bad} ok, ${bad} failed`;
  return paint(bad ? 'red' : 'green', line);
}
