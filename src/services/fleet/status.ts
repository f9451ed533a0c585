import { readFleet } from '../../aws/fleet.js';
import { buildStatus, type StatusReport } from '../../core/fleet.js';
import type { ServiceDeps } from '../deps.js';

// The fleet as it is against nix/instances.json: `claw status`, and the dashboard's
// fallback when there is no terminal.

export async function fleetStatus(deps: ServiceDeps): Promise<StatusReport> {
  const registry = deps.registry();
  const snapshot = await readFleet(await deps.clients(), deps.config.values, (line) => deps.log.warn(line));
  return buildStatus(registry, snapshot);
}
