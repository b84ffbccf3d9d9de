/**
 * Synthetic data centers in the topology format: `demo` (the small data center that
 * `npm start` loads) and `campus-200mw` (the full campus the project is sized for).
 * Deterministic: the same preset and options always give the same document.
 */
import { stringifyTopology } from './topology-yaml';
import {
  TOPOLOGY_API_VERSION,
  TOPOLOGY_KIND,
  type TopologyDocument,
  type TopologyGpuProduct,
  type TopologyHall,
  type TopologyNode,
} from './topology.schema';

export const TOPOLOGY_PRESETS = ['demo', 'campus-200mw'] as const;
export type TopologyPreset = (typeof TOPOLOGY_PRESETS)[number];

export function isTopologyPreset(value: string): value is TopologyPreset {
  return (TOPOLOGY_PRESETS as readonly string[]).includes(value);
}

/** An HGX/DGX H200 class GPU: 141 GB (143,771 MiB as nvidia-smi reports it), 700 W TDP. */
export const NVIDIA_H200: TopologyGpuProduct = {
  name: 'NVIDIA-H200',
  memoryMiB: 143_771,
  tdpWatts: 700,
  minPowerLimitWatts: 200,
  maxPowerLimitWatts: 700,
};

export interface TopologyShape {
  siteName: string;
  siteCapacityWatts: number;
  siteOversubscriptionRatio: number;
  halls: number;
  rowsPerHall: number;
  racksPerRow: number;
  nodesPerRack: number;
  rackCapacityWatts: number;
  rowCapacityWatts: number;
  hallCapacityWatts: number;
  /** Hall h gets hallOversubscriptionRatios[h % length]: halls differ, as real ones do. */
  hallOversubscriptionRatios: number[];
  gpuProduct: TopologyGpuProduct;
  gpusPerNode: number;
  nodeCpuMilli: number;
  nodeMemoryMiB: number;
  nodeIdleWatts: number;
  /** About 10.2 kW: 8 x 700 W of GPUs plus CPUs, memory, NICs and fans at full load. */
  nodeMaxWatts: number;
  instanceType: string;
}

const H200_NODE = {
  gpuProduct: NVIDIA_H200,
  gpusPerNode: 8,
  nodeCpuMilli: 224_000,
  nodeMemoryMiB: 2_097_152,
  nodeIdleWatts: 2_000,
  nodeMaxWatts: 10_200,
  instanceType: 'hgx-h200-8',
  nodesPerRack: 4,
  rackCapacityWatts: 40_000,
} as const;

/**
 * The presets. Racks hold 4 nodes (40.8 kW at full power) on a 40 kW budget; rows and
 * halls are budgeted below the sum of their children even with the halls' 1.1-1.2
 * oversubscription, so power, not only GPUs, limits placement at every level. The demo's
 * site (2 MW) is below its two halls (2 x 1.1 MW); the campus site is 200 MW of facility
 * power, above its IT halls (about 135 MW), as it would be with cooling on the same feed.
 */
export const TOPOLOGY_PRESET_SHAPES: Record<TopologyPreset, Readonly<TopologyShape>> = {
  // 2 halls x 4 rows x 8 racks x 4 nodes = 256 nodes, 2,048 GPUs.
  demo: {
    ...H200_NODE,
    siteName: 'demo-dc',
    siteCapacityWatts: 2_000_000,
    siteOversubscriptionRatio: 1,
    halls: 2,
    rowsPerHall: 4,
    racksPerRow: 8,
    rowCapacityWatts: 300_000,
    hallCapacityWatts: 1_000_000,
    hallOversubscriptionRatios: [1.1],
  },
  // 15 halls x 25 rows x 10 racks x 4 nodes = 15,000 nodes, 120,000 GPUs, 3,750 racks.
  'campus-200mw': {
    ...H200_NODE,
    siteName: 'campus-200mw',
    siteCapacityWatts: 200_000_000,
    siteOversubscriptionRatio: 1,
    halls: 15,
    rowsPerHall: 25,
    racksPerRow: 10,
    rowCapacityWatts: 380_000,
    hallCapacityWatts: 7_800_000,
    hallOversubscriptionRatios: [1.1, 1.15, 1.2],
  },
};

/** Builds a preset's topology; `options` override any part of its shape (e.g. fewer halls in a test). */
export function generateTopology(preset: TopologyPreset, options: Partial<TopologyShape> = {}): TopologyDocument {
  const base = TOPOLOGY_PRESET_SHAPES[preset];
  if (!base)
    throw new RangeError(`unknown topology preset ${JSON.stringify(preset)} (known: ${TOPOLOGY_PRESETS.join(', ')})`);
  const shape: TopologyShape = { ...base, ...options };
  const halls: TopologyHall[] = [];
  const nodes: TopologyNode[] = [];
  const rowDigits = String(shape.rowsPerHall).length < 2 ? 2 : String(shape.rowsPerHall).length;
  const rackDigits = String(shape.racksPerRow).length < 2 ? 2 : String(shape.racksPerRow).length;
  for (let h = 0; h < shape.halls; h++) {
    const hallLetter = hallLetters(h);
    const hall: TopologyHall = {
      name: `hall-${hallLetter}`,
      capacityWatts: shape.hallCapacityWatts,
      oversubscriptionRatio: shape.hallOversubscriptionRatios[h % shape.hallOversubscriptionRatios.length] ?? 1,
      rows: [],
    };
    for (let r = 1; r <= shape.rowsPerHall; r++) {
      const rowId = `${hallLetter}${pad(r, rowDigits)}`;
      const row: TopologyHall['rows'][number] = {
        name: `row-${rowId}`,
        capacityWatts: shape.rowCapacityWatts,
        oversubscriptionRatio: 1,
        racks: [],
      };
      for (let k = 1; k <= shape.racksPerRow; k++) {
        const rackId = `${rowId}-${pad(k, rackDigits)}`;
        const rackName = `rack-${rackId}`;
        row.racks.push({ name: rackName, capacityWatts: shape.rackCapacityWatts, oversubscriptionRatio: 1 });
        for (let n = 1; n <= shape.nodesPerRack; n++) {
          nodes.push({
            name: `gpu-${rackId}-n${n}`,
            rack: rackName,
            cpuMilli: shape.nodeCpuMilli,
            memoryMiB: shape.nodeMemoryMiB,
            idleWatts: shape.nodeIdleWatts,
            maxWatts: shape.nodeMaxWatts,
            labels: { 'node.kubernetes.io/instance-type': shape.instanceType },
            gpus: { product: shape.gpuProduct.name, count: shape.gpusPerNode },
          });
        }
      }
      hall.rows.push(row);
    }
    halls.push(hall);
  }
  return {
    apiVersion: TOPOLOGY_API_VERSION,
    kind: TOPOLOGY_KIND,
    site: {
      name: shape.siteName,
      capacityWatts: shape.siteCapacityWatts,
      oversubscriptionRatio: shape.siteOversubscriptionRatio,
    },
    gpuProducts: [{ ...shape.gpuProduct }],
    halls,
    nodes,
  };
}

/** 0 -> "a", 25 -> "z", 26 -> "aa": hall letters as data centers name them. */
function hallLetters(index: number): string {
  let out = '';
  let i = index;
  do {
    out = String.fromCharCode(97 + (i % 26)) + out;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return out;
}

function pad(value: number, digits: number): string {
  return String(value).padStart(digits, '0');
}

/**
 * A preset as the YAML file `switchyard topology generate` writes, with a header saying
 * where it came from (`deploy/examples/topology-demo.yaml` is this for `demo`).
 */
export function presetTopologyYaml(preset: TopologyPreset, options: Partial<TopologyShape> = {}): string {
  const header = [
    `# Switchyard topology, preset "${preset}": generated by \`switchyard topology generate --preset ${preset}\`.`,
    '# Format: libs/contracts/src/topology/topology.schema.ts. Validate with `switchyard topology validate <file>`.',
  ];
  return `${header.join('\n')}\n${stringifyTopology(generateTopology(preset, options))}`;
}
