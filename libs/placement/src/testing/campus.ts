import { generateTopology, type TopologyDocument } from '@switchyard/contracts';
import type { ClusterInput, GpuInput, NodeInput, ScopeInput } from '../model';

/**
 * A topology document (the YAML users import) as the engine's input, scopes named by their
 * topology names. The control plane gets the same shape from the database; this path lets the
 * benchmark and tests use the very presets `switchyard topology generate` writes.
 */
export function clusterFromTopology(doc: TopologyDocument): ClusterInput {
  const site = doc.site.name;
  const scopes: ScopeInput[] = [
    {
      id: site,
      kind: 'site',
      parentId: null,
      capacityWatts: doc.site.capacityWatts,
      oversubscription: doc.site.oversubscriptionRatio,
    },
  ];
  for (const hall of doc.halls) {
    scopes.push({
      id: hall.name,
      kind: 'hall',
      parentId: site,
      capacityWatts: hall.capacityWatts,
      oversubscription: hall.oversubscriptionRatio,
    });
    for (const row of hall.rows) {
      scopes.push({
        id: row.name,
        kind: 'row',
        parentId: hall.name,
        capacityWatts: row.capacityWatts,
        oversubscription: row.oversubscriptionRatio,
      });
      for (const rack of row.racks)
        scopes.push({
          id: rack.name,
          kind: 'rack',
          parentId: row.name,
          capacityWatts: rack.capacityWatts,
          oversubscription: rack.oversubscriptionRatio,
        });
    }
  }
  const products = new Map(
    doc.gpuProducts.map((p): [string, GpuInput] => [
      p.name,
      {
        memoryMiB: p.memoryMiB,
        tdpWatts: p.tdpWatts,
        minLimitWatts: p.minPowerLimitWatts,
        maxLimitWatts: p.maxPowerLimitWatts,
      },
    ]),
  );
  const nodes = doc.nodes.map((n): NodeInput => {
    const listed =
      n.gpus === undefined
        ? []
        : Array.isArray(n.gpus)
          ? n.gpus.map((g) => g.product)
          : Array<string>(n.gpus.count).fill(n.gpus.product);
    const product = listed[0] ?? null;
    return {
      id: n.name,
      scopeId: n.rack,
      cpuMilli: n.cpuMilli,
      memoryMiB: n.memoryMiB,
      idleWatts: n.idleWatts,
      maxWatts: n.maxWatts,
      gpuProduct: product,
      gpus: listed.map((name) => {
        const spec = products.get(name);
        if (!spec) throw new RangeError(`node ${n.name}: unknown GPU product ${name}`);
        return spec;
      }),
    };
  });
  return { scopes, nodes };
}

/**
 * The campus the project is sized for, the same preset `switchyard topology generate
 * campus-200mw` writes and the e2e benchmark imports: 200 MW site, 15 halls x 25 rows x 10
 * racks x 4 nodes = 15,000 nodes of 8 H200-class GPUs (120,000 GPUs), 40 kW racks; rows and
 * halls are budgeted below their children, so power, not only GPUs, binds in the tree.
 */
export function campus200mw(): ClusterInput {
  return clusterFromTopology(generateTopology('campus-200mw'));
}
