import { UsageError } from '../../core/errors.js';
import { PRESERVE_TAG } from '../../core/retention.js';
import { checkAmiId } from '../../services/ami/inventory.js';
import type { Context } from '../../cli/context.js';

async function ownImage(ctx: Context, imageId: string) {
  const { ec2 } = await ctx.clients();
  try {
    const out = await ec2.describeImages({ ImageIds: [imageId], Owners: ['self'] });
    const image = out.Images?.find((i) => i.ImageId === imageId);
    if (image) return { ec2, image };
  } catch (err) {
    if (!['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable', 'InvalidAMIID.Malformed'].includes((err as Error).name)) throw err;
  }
  throw new UsageError(`AMI ${imageId} not found among this account's images in ${ctx.target.region}`, 'see `claw ami list`');
}

export async function preserve(ctx: Context, id: string, opts: { reason?: string; dryRun?: boolean }): Promise<void> {
  const imageId = checkAmiId(id);
  const reason = opts.reason ?? `preserved with claw on ${ctx.now().toISOString().slice(0, 10)}`;
  if (reason.length > 256 || !/^[\p{L}\p{N}\s_.:/=+\-@]*$/u.test(reason)) {
    throw new UsageError('--reason must be at most 256 letters, digits, spaces and _ . : / = + - @ (an EC2 tag value)');
  }
  const { ec2 } = await ownImage(ctx, imageId);
  ctx.log.info(`plan: tag ${imageId} ${PRESERVE_TAG}="${reason}" so no prune removes it`);
  if (opts.dryRun) return;
  await ec2.createTags({ Resources: [imageId], Tags: [{ Key: PRESERVE_TAG, Value: reason }] });
  ctx.print(`${imageId} preserved (${reason})`);
}

export async function unpreserve(ctx: Context, id: string, opts: { dryRun?: boolean }): Promise<void> {
  const imageId = checkAmiId(id);
  const { ec2, image } = await ownImage(ctx, imageId);
  if (!image.Tags?.some((t) => t.Key === PRESERVE_TAG)) {
    ctx.print(`${imageId} was not preserved; nothing to do`);
    return;
  }
  ctx.log.info(`plan: remove ${PRESERVE_TAG} from ${imageId}; prune may then remove it`);
  if (opts.dryRun) return;
  await ec2.deleteTags({ Resources: [imageId], Tags: [{ Key: PRESERVE_TAG }] });
  ctx.print(`${imageId} no longer preserved`);
}
