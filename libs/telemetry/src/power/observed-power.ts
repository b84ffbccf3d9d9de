import type {
  GpuPowerReading,
  NodePowerReading,
  PowerInventory,
  PowerReading,
  PowerSourceKind,
  SeriesCounts,
  SeriesState,
} from './power-reading';
import type { PowerSourceTiming } from './power-source-timing';
import { IndexedReadings, inventoryIndex } from './indexed-readings';

/** One series as a source saw it: its last value, and whether a live sample (not a stale marker) stands behind it. */
export interface ObservedSeries {
  readonly watts: number;
  /** Time of the sample (ms since the epoch), when the source knows it. */
  readonly sampledAt: number | null;
  readonly live: boolean;
}

/** What a source collected in one read, before it is laid over the inventory. */
export interface ObservedPower {
  /** By GPU UUID. */
  readonly gpus: ReadonlyMap<string, ObservedSeries>;
  /** Enforced limits by GPU UUID; only live ones are reported. */
  readonly gpuLimits: ReadonlyMap<string, ObservedSeries>;
  /** By node name. */
  readonly nodes: ReadonlyMap<string, ObservedSeries>;
  readonly errors: string[];
}

/** Inventory nodes laid over between two turns of the event loop (~16,000 GPUs, a few ms). */
const NODES_PER_TURN = 2_000;

class Counter {
  fresh = 0;
  stale = 0;
  missing = 0;
  watts = 0;
  counts(): SeriesCounts {
    return { fresh: this.fresh, stale: this.stale, missing: this.missing };
  }
}

/** The state of one series, counted. A series gone for longer than the lookback is missing, not stale. */
function stateOf(
  observed: ObservedSeries | undefined,
  readAt: number,
  timing: Pick<PowerSourceTiming, 'maxAgeMs' | 'lookbackMs'>,
  count: Counter,
): SeriesState {
  const age = observed?.sampledAt === null || observed === undefined ? null : readAt - observed.sampledAt;
  if (!observed || (!observed.live && age !== null && age > timing.lookbackMs)) {
    count.missing++;
    return 'missing';
  }
  if (observed.live && age !== null && age <= timing.maxAgeMs) {
    count.fresh++;
    count.watts += observed.watts;
    return 'fresh';
  }
  count.stale++;
  return 'stale';
}

/**
 * Every GPU and node of the inventory with its state; a series the source did not see is
 * `missing`, never 0 W. Yields to the event loop between slices of the inventory. The
 * inventory's UUIDs and names must be unique; pass the same object while it does not change
 * (its index is kept per object).
 */
export async function buildPowerReading(
  source: PowerSourceKind,
  inventory: PowerInventory,
  observed: ObservedPower,
  readAt: number,
  timing: Pick<PowerSourceTiming, 'maxAgeMs' | 'lookbackMs'>,
): Promise<PowerReading> {
  const index = inventoryIndex(inventory);
  const gpus: GpuPowerReading[] = [];
  const nodes: NodePowerReading[] = [];
  const gpuCount = new Counter();
  const nodeCount = new Counter();
  let foundGpus = 0;
  let foundNodes = 0;
  for (let from = 0; from < inventory.nodes.length; from += NODES_PER_TURN) {
    if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const node of inventory.nodes.slice(from, from + NODES_PER_TURN)) {
      const seen = observed.nodes.get(node.name);
      const state = stateOf(seen, readAt, timing, nodeCount);
      if (seen) foundNodes++;
      const known = state !== 'missing';
      nodes.push({
        node: node.name,
        state,
        watts: state === 'fresh' ? seen!.watts : null,
        sampledAt: known ? seen!.sampledAt : null,
        lastWatts: known ? seen!.watts : null,
      });
      for (const uuid of node.gpuUuids) {
        const gpu = observed.gpus.get(uuid);
        const gpuState = stateOf(gpu, readAt, timing, gpuCount);
        if (gpu) foundGpus++;
        const limit = gpuState === 'fresh' ? observed.gpuLimits.get(uuid) : undefined;
        const gpuKnown = gpuState !== 'missing';
        gpus.push({
          uuid,
          node: node.name,
          state: gpuState,
          watts: gpuState === 'fresh' ? gpu!.watts : null,
          sampledAt: gpuKnown ? gpu!.sampledAt : null,
          lastWatts: gpuKnown ? gpu!.watts : null,
          limitWatts: limit?.live ? limit.watts : null,
        });
      }
    }
  }
  // Inventory names are unique, so whatever was observed and not found belongs to no known GPU or node.
  const unknownSeries = observed.gpus.size - foundGpus + observed.nodes.size - foundNodes;
  return {
    source,
    readAt,
    maxAgeMs: timing.maxAgeMs,
    gpus: new IndexedReadings(index.gpus, gpus),
    nodes: new IndexedReadings(index.nodes, nodes),
    counts: { gpus: gpuCount.counts(), nodes: nodeCount.counts() },
    freshWatts: { gpus: gpuCount.watts, nodes: nodeCount.watts },
    unknownSeries,
    errors: observed.errors,
  };
}
