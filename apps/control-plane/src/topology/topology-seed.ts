import { readFile } from 'node:fs/promises';
import { parseTopology } from '@switchyard/contracts';
import { type Inventory, type TopologyImportSummary } from '@switchyard/inventory';

export const SEED_ACTOR = 'system:seed';

/**
 * Loads a topology file when the database holds no scope yet, so a first start shows a data
 * center. Two instances starting together may both import; the import is an idempotent upsert.
 */
export async function seedTopologyIfEmpty(
  inventory: Inventory,
  file: string,
): Promise<TopologyImportSummary | undefined> {
  if (!(await inventory.isEmpty())) return undefined;
  const document = parseTopology(await readFile(file, 'utf8'));
  return inventory.topology.import(document, { actor: SEED_ACTOR });
}
