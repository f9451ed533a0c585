import { readAmiInventory, type AmiInventory } from '../aws/ami-inventory.js';
import { explainAwsError } from '../aws/errors.js';
import { ClawError, UsageError } from '../core/errors.js';
import { AMI_ID_RE } from '../core/patterns.js';
import { PRESERVE_TAG, planRetention, type PrunePlan } from '../core/retention.js';
import type { Context } from './context.js';

export function checkAmiId(raw: string, what = 'AMI id'): string {
  if (!AMI_ID_RE.test(raw)) throw new UsageError(`"${raw}" is not an ${what} (ami- and 8 or 17 hex digits)`, 'see `claw ami list` for the ids');
  return raw;
}

/** The --ami flag, else the configured override, with where it came from. */
export function amiOverride(ctx: Context, flag: string | undefined): { imageId: string; origin: string } | undefined {
  if (flag !== undefined) return { imageId: checkAmiId(flag), origin: 'flag --ami' };
  const configured = ctx.config.values.ami;
  return configured ? { imageId: configured, origin: ctx.config.sources.ami.origin } : undefined;
}

/**
 * Read every lookup a retention decision needs. Any failure is reported as the lookup
 * that failed, and nothing is changed: a failed lookup is never an empty fleet.
 */
export async function loadInventory(ctx: Context, amiFlag: string | undefined): Promise<AmiInventory> {
  const override = amiOverride(ctx, amiFlag);
  const clients = await ctx.clients();
  try {
    return await readAmiInventory(clients.ec2, { amiTag: ctx.config.values.amiTag, override });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const explained = err instanceof ClawError ? err : explainAwsError(err, ctx.target);
    if (!explained) throw err;
    explained.message = `lookup failed, nothing was changed: ${explained.message}`;
    throw explained;
  }
}

export function retentionPlan(ctx: Context, inv: AmiInventory, keep: number, minAgeMs: number | undefined): PrunePlan {
  return planRetention({
    images: inv.images.map((i) => ({ imageId: i.imageId, name: i.name, creationDate: i.creationDate, snapshots: i.snapshots, preserved: PRESERVE_TAG in i.tags })),
    inUse: inv.inUse,
    keep,
    minAgeMs,
    latestImageId: inv.latest?.imageId,
    now: ctx.now(),
  });
}
