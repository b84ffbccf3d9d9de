import { PlacementEngine } from '../engine';
import { countViolations } from '../invariants';
import type { ClusterInput, PodRequest, ReplicaRequest } from '../model';
import { policyByName } from '../policies/registry';
import { workloadFromDemands } from '../policies/workload';
import { gridCluster } from '../testing/builders';
import { scopeBudget } from '../topology';
import { randomIndex, seededRandom } from './seeded-random';

/**
 * Power-limited quality: on a cluster whose budgets (rack, row, hall and site) are all below
 * what its GPUs draw at TDP, a stream of pods arrives until 130% of what power allows, and
 * the figure is the GPUs allocated as a share of the physical limit: for each scope the
 * lesser of its GPUs and budget / predicted watts per GPU, taken bottom-up and summed.
 */

export interface PowerLimitedOptions {
  readonly policy: string;
  readonly seeds: readonly number[];
  /** Predicted watts of one busy GPU (every pod predicts the same, so the limit is well defined). */
  readonly wattsPerGpu?: number;
  /** Arrived GPU demand as a multiple of the physical limit. */
  readonly demand?: number;
  /** Only 1, 2, 4 and 8 whole-GPU pods: no fractional pods to soak up the last watts of a scope. */
  readonly wholeGpusOnly?: boolean;
}

export interface PowerLimitedSeedResult {
  readonly seed: number;
  readonly pods: number;
  readonly placed: number;
  readonly allocatedGpus: number;
  readonly qualityPercent: number;
  readonly violations: number;
}

export interface PowerLimitedResult {
  readonly policy: string;
  readonly gpus: number;
  /** GPUs at TDP would draw this much; the site budget is below it. */
  readonly gpuTdpWatts: number;
  readonly siteBudgetWatts: number;
  readonly physicalLimitGpus: number;
  readonly wattsPerGpu: number;
  /** Mean over seeds. */
  readonly qualityPercent: number;
  readonly minQualityPercent: number;
  readonly violations: number;
  readonly perSeed: readonly PowerLimitedSeedResult[];
}

/**
 * 2 halls x 5 rows x 8 racks x 4 nodes x 8 GPUs (2,560 GPUs at 700 W TDP, 22.4 kW per rack):
 * racks get 16 kW, rows 120 kW (less than their racks' sum), halls 580 kW (less than their
 * rows' sum) and the site 1.3 MW (below the 1.79 MW of all GPUs at TDP, above its halls' sum):
 * power binds at every level below the site, so watts stranded in one rack cannot be made
 * up elsewhere.
 */
export function powerLimitedCluster(): ClusterInput {
  return gridCluster({
    halls: 2,
    rowsPerHall: 5,
    racksPerRow: 8,
    nodesPerRack: 4,
    gpusPerNode: 8,
    rackWatts: 16_000,
    rowWatts: 120_000,
    hallWatts: 580_000,
    siteWatts: 1_300_000,
  });
}

/** GPUs that can run at `wattsPerGpu` under every budget: per scope min(GPUs, budget / watts), bottom-up. */
export function physicalGpuLimit(cluster: ClusterInput, wattsPerGpu: number): number {
  const children = new Map<string, string[]>();
  for (const s of cluster.scopes)
    if (s.parentId !== null) children.set(s.parentId, [...(children.get(s.parentId) ?? []), s.id]);
  const nodesOf = new Map<string, number>();
  for (const n of cluster.nodes)
    nodesOf.set(n.scopeId, (nodesOf.get(n.scopeId) ?? 0) + Math.min(n.gpus.length, n.maxWatts / wattsPerGpu));
  const byId = new Map(cluster.scopes.map((s) => [s.id, s]));
  const limit = (id: string): number => {
    const s = byId.get(id)!;
    const inside = (nodesOf.get(id) ?? 0) + (children.get(id) ?? []).reduce((sum, c) => sum + limit(c), 0);
    return Math.min(inside, scopeBudget(s) / wattsPerGpu);
  };
  const root = cluster.scopes.find((s) => s.parentId === null)!;
  return limit(root.id);
}

/** The arriving pods: shares, 1, 2, 4 and 8 GPUs, sized so CPU and memory never bind before power. */
function podStream(seed: number, gpuDemand: number, wattsPerGpu: number, wholeGpusOnly: boolean): ReplicaRequest[] {
  const random = seededRandom(seed);
  const shapes: { gpuCount: number; gpuMilli: number; weight: number }[] = [
    { gpuCount: 1, gpuMilli: 250, weight: 8 },
    { gpuCount: 1, gpuMilli: 500, weight: 8 },
    { gpuCount: 1, gpuMilli: 1000, weight: 40 },
    { gpuCount: 2, gpuMilli: 1000, weight: 14 },
    { gpuCount: 4, gpuMilli: 1000, weight: 10 },
    { gpuCount: 8, gpuMilli: 1000, weight: 6 },
  ];
  const bag = shapes
    .filter((s) => !wholeGpusOnly || s.gpuMilli === 1000)
    .flatMap((s) => Array.from({ length: s.weight }, () => s));
  const out: ReplicaRequest[] = [];
  let milli = 0;
  while (milli < gpuDemand * 1000) {
    const s = bag[randomIndex(random, bag.length)];
    const id = `p${out.length}`;
    const pod: PodRequest = {
      id,
      cpuMilli: 2_000 * s.gpuCount,
      memoryMiB: 8_192 * s.gpuCount,
      gpuCount: s.gpuCount,
      gpuMilli: s.gpuMilli,
      wattsPerGpu,
    };
    out.push({ id, pods: [pod] });
    milli += s.gpuCount * s.gpuMilli;
  }
  return out;
}

export function powerLimitedQuality(opts: PowerLimitedOptions): PowerLimitedResult {
  const wattsPerGpu = opts.wattsPerGpu ?? 600;
  const demand = opts.demand ?? 1.3;
  if (!(wattsPerGpu > 0)) throw new RangeError(`wattsPerGpu must be > 0, got ${wattsPerGpu}`);
  if (opts.seeds.length === 0) throw new RangeError('at least one seed is needed');
  const cluster = powerLimitedCluster();
  const policy = policyByName(opts.policy);
  const limit = physicalGpuLimit(cluster, wattsPerGpu);
  const gpus = cluster.nodes.reduce((s, n) => s + n.gpus.length, 0);
  const perSeed = opts.seeds.map((seed) => {
    const stream = podStream(seed, demand * limit, wattsPerGpu, opts.wholeGpusOnly ?? false);
    const workload = workloadFromDemands(stream.map((r) => ({ ...r.pods[0], allowedProducts: null })));
    const engine = new PlacementEngine(cluster, { policy, context: { workload } });
    let placed = 0;
    for (const r of stream) if (engine.place(r).placed) placed++;
    const allocatedGpus = engine.allocatedMilli / 1000;
    return {
      seed,
      pods: stream.length,
      placed,
      allocatedGpus,
      qualityPercent: (100 * allocatedGpus) / limit,
      violations: countViolations(engine).total,
    };
  });
  const site = cluster.scopes.find((s) => s.parentId === null)!;
  return {
    policy: policy.name,
    gpus,
    gpuTdpWatts: cluster.nodes.reduce((s, n) => s + n.gpus.reduce((a, g) => a + g.tdpWatts, 0), 0),
    siteBudgetWatts: scopeBudget(site),
    physicalLimitGpus: limit,
    wattsPerGpu,
    qualityPercent: perSeed.reduce((s, r) => s + r.qualityPercent, 0) / perSeed.length,
    minQualityPercent: Math.min(...perSeed.map((r) => r.qualityPercent)),
    violations: perSeed.reduce((s, r) => s + r.violations, 0),
    perSeed,
  };
}
