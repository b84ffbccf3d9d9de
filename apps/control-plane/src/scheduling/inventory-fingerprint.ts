import { createHash } from 'node:crypto';
import type { ClusterInventory } from './scheduling-ports';

/**
 * A digest of what the engine is built from (scopes with budgets and overrides, nodes with
 * their GPUs, readiness and cordon, tenants with quotas) and of the product catalog, so an
 * inventory refresh that changed nothing keeps the engine and retries nothing. GPU UUIDs are
 * left out: they are read from the current inventory at each decision, not from the engine.
 * One serialisation and one hash: tens of milliseconds at campus scale, against a rebuild of
 * several hundred.
 */
export function inventoryFingerprint(inventory: ClusterInventory): string {
  const hash = createHash('sha1');
  hash.update(JSON.stringify(inventory.cluster));
  for (const [name, product] of [...inventory.products].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    hash.update(`\n${name}:${product.memoryMiB}:${product.tdpWatts}`);
  return hash.digest('hex');
}
