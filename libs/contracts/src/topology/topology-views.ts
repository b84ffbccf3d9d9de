/** Read-only views of a validated topology that importers and simulators all need. */
import { deriveGpuUuid } from './gpu-uuid';
import type {
  TopologyDocument,
  TopologyGpuEntry,
  TopologyHall,
  TopologyNode,
  TopologyRack,
  TopologyRow,
} from './topology.schema';

/** The GPUs of a node as an explicit list sorted by index (UUIDs derived for `{ product, count }`). */
export function nodeGpuList(node: TopologyNode): TopologyGpuEntry[] {
  const gpus = node.gpus;
  if (!gpus) return [];
  if (Array.isArray(gpus)) return [...gpus].sort((a, b) => a.index - b.index);
  return Array.from({ length: gpus.count }, (_, index) => ({
    index,
    uuid: deriveGpuUuid(node.name, index),
    product: gpus.product,
  }));
}

/** Where a rack sits in the scope tree. */
export interface RackLocation {
  readonly hall: TopologyHall;
  readonly row: TopologyRow;
  readonly rack: TopologyRack;
}

/** Rack name -> its hall, row and rack. */
export function rackLocations(document: TopologyDocument): Map<string, RackLocation> {
  const locations = new Map<string, RackLocation>();
  for (const hall of document.halls) {
    for (const row of hall.rows) {
      for (const rack of row.racks) locations.set(rack.name, { hall, row, rack });
    }
  }
  return locations;
}

/** Counts a person checks first. */
export interface TopologySummary {
  readonly halls: number;
  readonly rows: number;
  readonly racks: number;
  readonly nodes: number;
  readonly gpus: number;
  readonly siteCapacityWatts: number;
  /** Sum of node maxWatts: what the IT load could draw with every node at full power. */
  readonly nodeMaxWatts: number;
}

export function summarizeTopology(document: TopologyDocument): TopologySummary {
  let rows = 0;
  let racks = 0;
  for (const hall of document.halls) {
    rows += hall.rows.length;
    for (const row of hall.rows) racks += row.racks.length;
  }
  let gpus = 0;
  let nodeMaxWatts = 0;
  for (const node of document.nodes) {
    gpus += !node.gpus ? 0 : Array.isArray(node.gpus) ? node.gpus.length : node.gpus.count;
    nodeMaxWatts += node.maxWatts;
  }
  return {
    halls: document.halls.length,
    rows,
    racks,
    nodes: document.nodes.length,
    gpus,
    siteCapacityWatts: document.site.capacityWatts,
    nodeMaxWatts,
  };
}
