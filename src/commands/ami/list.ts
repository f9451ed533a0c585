import { PRESERVE_TAG } from '../../core/retention.js';
import { renderAmiList, type AmiRow } from '../../ui/ami-text.js';
import { loadInventory, retentionPlan } from '../../services/ami/inventory.js';
import { terminalWidth, type Context } from '../../cli/context.js';

export async function list(ctx: Context, opts: { keep?: number; json?: boolean; ami?: string; wide?: boolean }): Promise<void> {
  const keep = opts.keep;
  const inv = await loadInventory(ctx, opts.ami);
  const plan = keep === undefined ? undefined : retentionPlan(ctx, inv, keep, undefined);
  const rows: AmiRow[] = plan
    ? plan.images.map((v) =>
        row(
          inv.images.find((i) => i.imageId === v.imageId)!,
          v,
        ),
      )
    : [...inv.images].sort((a, b) => b.creationDate.localeCompare(a.creationDate)).map((i) => row(i, undefined));

  function row(image: AmiRow['image'], verdict: AmiRow['verdict']): AmiRow {
    return { image, usedBy: inv.inUse.get(image.imageId) ?? [], latest: image.imageId === inv.latest?.imageId, preserved: PRESERVE_TAG in image.tags, verdict };
  }

  if (opts.json) {
    ctx.print(
      JSON.stringify(
        {
          latest: inv.latest ?? null,
          ...(keep !== undefined ? { keep } : {}),
          images: rows.map((r) => ({
            imageId: r.image.imageId,
            name: r.image.name ?? null,
            creationDate: r.image.creationDate,
            sizeGiB: r.image.snapshots.reduce((s, x) => s + x.sizeGiB, 0),
            snapshotIds: r.image.snapshotIds,
            sourceS3Key: r.image.tags['source-s3-key'] ?? null,
            gitSha: r.image.tags['clawdinator:git-sha'] ?? null,
            flakeLockSha256: r.image.tags['clawdinator:flake-lock-sha256'] ?? null,
            usedBy: r.usedBy,
            latest: r.latest,
            preserved: r.preserved,
            preserveReason: r.image.tags[PRESERVE_TAG] ?? null,
            ...(r.verdict ? { action: r.verdict.action, reasons: r.verdict.reasons } : {}),
          })),
        },
        null,
        2,
      ),
    );
    return;
  }
  ctx.print(renderAmiList(rows, ctx.now(), ctx.paint, keep !== undefined, opts.wide ? undefined : terminalWidth(ctx)));
}

export async function latest(ctx: Context, opts: { json?: boolean; ami?: string }): Promise<void> {
  const inv = await loadInventory(ctx, opts.ami);
  if (!inv.latest) {
    if (opts.json) ctx.print(JSON.stringify({ imageId: null, why: 'no tagged AMI' }));
    else ctx.print(`no AMI tagged ${ctx.config.values.amiTag} in ${ctx.target.region}; build one with "claw ami build"`);
    return;
  }
  const found = inv.latest;
  ctx.result(opts, found, () => `${found.imageId}  (${found.why})`);
}
