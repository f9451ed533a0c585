import { readAmiInventory, retentionOf, type AmiInventory } from '../../aws/ami-inventory.js';
import { explainAwsError } from '../../aws/errors.js';
import { ClawError, UsageError } from '../../core/errors.js';
import { AMI_ID_RE } from '../../core/patterns.js';
import type { PrunePlan } from '../../core/retention.js';
import type { ServiceDeps } from '../deps.js';

// The AMIs a retention decision is made on: the --ami override, every lookup read (a
// failed one is never an empty fleet), and the retention plan over them.

export function checkAmiId(raw: string, what = 'AMI id'): string {
  if (!AMI_ID_RE.test(raw)) throw new UsageError(`"${raw}" is not an ${what} (ami- and 8 or 17 hex digits)`, 'see `claw ami list` for the ids');
  return raw;
}

/** The --ami flag, else the configured override, with where it came from. */
export function amiOverride(deps: Pick<ServiceDeps, 'config'>, flag: string | undefined): { imageId: string; origin: string } | undefined {
  if (flag !== undefined) return { imageId: checkAmiId(flag), origin: 'flag --ami' };
  const configured = deps.config.values.ami;
  return configured ? { imageId: configured, origin: deps.config.sources.ami.origin } : undefined;
}

/**
 * Read every lookup a retention decision needs. Any failure is reported as the lookup
 * that failed, and nothing is changed: a failed lookup is never an empty fleet.
 */
export async function loadInventory(deps: Pick<ServiceDeps, 'config' | 'clients' | 'target'>, amiFlag: string | undefined): Promise<AmiInventory> {
  const override = amiOverride(deps, amiFlag);
  const clients = await deps.clients();
  try {
    return await readAmiInventory(clients.ec2, { amiTag: deps.config.values.amiTag, override });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const explained = err instanceof ClawError ? err : explainAwsError(err, deps.target);
    if (!explained) throw err;
    explained.message = `lookup failed, nothing was changed: ${explained.message}`;
    throw explained;
  }
}

export function retentionPlan(deps: Pick<ServiceDeps, 'now'>, inv: AmiInventory, keep: number, minAgeMs: number | undefined): PrunePlan {
  return retentionOf(inv, { keep, minAgeMs, now: deps.now() });
}
