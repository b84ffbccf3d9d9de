/**
 * What a topology import must check against the database before it writes: one site per
 * database, and `allocationConflicts` (the rule the Node-object sync follows) for every node it
 * would move, re-equip or prune. Both run inside the import's transaction, after the import
 * lock, with the nodes concerned locked, so no allocation can land between check and write.
 */
import {
  nodeGpuList,
  TOPOLOGY_DOCUMENT_PATH,
  TopologyValidationError,
  type TopologyDocument,
} from '@switchyard/contracts';
import { allocationConflicts, type HeldGpu, type HeldNode, type NodeTarget } from '../allocation-guard';
import { ConflictError, type InventoryFieldProblem } from '../errors';
import type { Tx } from '../transactions';

/** Refuses (TopologyValidationError on `site.name`) a document of another site than the one the database holds. */
export async function checkOneSite(tx: Tx, document: TopologyDocument): Promise<void> {
  const sites = await tx.$queryRaw<Array<{ name: string }>>`SELECT name FROM scopes WHERE parent_id IS NULL`;
  const other = sites.find((site) => site.name !== document.site.name);
  if (other)
    throw new TopologyValidationError([
      {
        path: 'site.name',
        message:
          `is "${document.site.name}", but this database holds site "${other.name}": one site per database ` +
          `(import a document of "${other.name}", or use another database)`,
      },
    ]);
}

/** Where the document puts things, as the importer computed it. */
export interface DocumentPaths {
  /** Rack name -> `site/hall/row/rack`. */
  readonly rackPaths: ReadonlyMap<string, string>;
  /** Every scope path the document lists. */
  readonly scopePaths: ReadonlySet<string>;
}

/** The nodes (of the document, or all with `prune`) that hold allocations, with their allocated GPUs. */
async function heldNodes(tx: Tx, names: string[], prune: boolean): Promise<HeldNode[]> {
  // Locked first: an allocation's insert waits for the import, so none lands between check and write.
  await tx.$executeRaw`SELECT count(*) FROM (SELECT 1 FROM nodes WHERE ${prune} OR name = ANY(${names}::text[])
                       ORDER BY id FOR UPDATE) AS locked`;
  const nodes = await tx.$queryRaw<Array<{ name: string; rack_path: string; allocations: number }>>`
    SELECT n.name, r.path AS rack_path, count(*)::int AS allocations
    FROM nodes n JOIN scopes r ON r.id = n.rack_id JOIN allocations a ON a.node_id = n.id
    WHERE ${prune} OR n.name = ANY(${names}::text[])
    GROUP BY n.name, r.path ORDER BY n.name`;
  if (nodes.length === 0) return [];
  const gpus = await tx.$queryRaw<
    Array<{ node: string; uuid: string; index: number; product: string; memory_mib: number; allocated_milli: number }>
  >`SELECT n.name AS node, g.uuid, g.index, p.name AS product, g.memory_mib, g.allocated_milli
    FROM gpus g JOIN nodes n ON n.id = g.node_id JOIN gpu_products p ON p.id = g.product_id
    WHERE g.allocated_milli > 0 AND n.name = ANY(${nodes.map((n) => n.name)}::text[])`;
  const byNode = new Map<string, HeldGpu[]>();
  for (const g of gpus) {
    const list = byNode.get(g.node) ?? [];
    list.push({
      uuid: g.uuid,
      index: g.index,
      product: g.product,
      memoryMiB: g.memory_mib,
      allocatedMilli: g.allocated_milli,
    });
    byNode.set(g.node, list);
  }
  return nodes.map((n) => ({
    name: n.name,
    rackPath: n.rack_path,
    allocations: n.allocations,
    gpus: byNode.get(n.name) ?? [],
  }));
}

/**
 * Refuses, with a ConflictError listing every conflict by path (`nodes[3].rack`,
 * `nodes[3].gpus`, or the document itself for what pruning would remove), an import that
 * would change or remove what live allocations hold. Writes nothing.
 */
export async function guardAllocations(
  tx: Tx,
  document: TopologyDocument,
  { rackPaths, scopePaths }: DocumentPaths,
  prune: boolean,
): Promise<void> {
  const names = document.nodes.map((n) => n.name);
  const held = await heldNodes(tx, names, prune);
  if (held.length === 0) return;
  const memory = new Map(document.gpuProducts.map((p) => [p.name, p.memoryMiB]));
  const indexOf = new Map(names.map((name, i) => [name, i]));
  const problems: InventoryFieldProblem[] = [];
  const prunedScopes = new Map<string, number>();
  for (const node of held) {
    const i = indexOf.get(node.name);
    if (i === undefined) {
      for (const c of allocationConflicts(node, null))
        problems.push({
          path: TOPOLOGY_DOCUMENT_PATH,
          message: `node ${node.name} (not in the document, pruned): ${c.message}`,
        });
      const parts = node.rackPath.split('/');
      for (let depth = 2; depth <= parts.length; depth++) {
        const path = parts.slice(0, depth).join('/');
        if (!scopePaths.has(path)) prunedScopes.set(path, (prunedScopes.get(path) ?? 0) + node.allocations);
      }
      continue;
    }
    const docNode = document.nodes[i];
    const target: NodeTarget = {
      rackPath: rackPaths.get(docNode.rack) ?? docNode.rack,
      gpus: nodeGpuList(docNode).map((g) => ({
        uuid: g.uuid,
        product: g.product,
        memoryMiB: memory.get(g.product) ?? 0,
      })),
    };
    for (const c of allocationConflicts(node, target))
      problems.push({
        path: `nodes[${i}].${c.part}`,
        message: `node ${node.name}: ${c.message}`,
      });
  }
  for (const [path, allocations] of prunedScopes)
    problems.push({
      path: TOPOLOGY_DOCUMENT_PATH,
      message: `scope ${path} (not in the document, pruned): its nodes hold ${allocations} allocation(s) and it cannot be removed`,
    });
  if (problems.length === 0) return;
  const count = problems.length;
  throw new ConflictError(
    `the topology would change or remove what live allocations hold (${count} conflict${count === 1 ? '' : 's'}); nothing was written:\n` +
      problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    'held-by-allocations',
    undefined,
    undefined,
    problems,
  );
}
