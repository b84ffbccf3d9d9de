import type { PodDemand, ScoringPolicy, WorkloadShape } from '../policies/policy';
import { workloadFromDemands } from '../policies/workload';
import { type Random, seededRandom, shuffleInPlace } from './seeded-random';
import { requestedGpuMilli, type TraceNode, type TracePod } from './trace-csv';
import { tuneWorkload } from './workload-tuning';

/**
 * The published experiment (Weng et al., ATC'23; see traces/alibaba-gpu-v2023/README.md),
 * in the order its simulator (hkust-adsl/kubernetes-scheduler-simulator) does it: pods sorted
 * by name and shuffled with the seed, then tuned to `tune` x GPU capacity (copies appended
 * after the shuffled trace, removals keeping the order), then the GPU nodes put in a seeded
 * random order (the simulator renames them with a prefix from a seeded permutation, which is
 * the order its scheduler breaks score ties in). Typical pods come from the trace as read,
 * before tuning. Pods are placed one at a time, never leave, and are dropped when they do not
 * fit. After every pod the arrived demand and the allocated GPU milli are recorded as % of
 * the cluster's GPUs; "allocation at X%" is the mean allocation over the pod events whose
 * arrived demand rounds to X.
 */

export const REPORTED_DEMANDS = ['100', '110', '120', '130'] as const;
export type ReportedDemand = (typeof REPORTED_DEMANDS)[number];
export type AllocationByDemand = Record<ReportedDemand, number>;

export interface ReplaySeedResult {
  readonly seed: number;
  readonly pods: number;
  readonly placed: number;
  readonly dropped: number;
  /** GPU milli of the dropped pods, as % of the cluster's GPUs. */
  readonly droppedDemandPercent: number;
  readonly allocation: AllocationByDemand;
  /** Allocation % at each integer arrived demand 0..max (index = demand %); null where no pod event rounds there. */
  readonly curve: readonly (number | null)[];
}

export interface AllocationCurvePoint {
  readonly demandPercent: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export interface ReplayResult {
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly tune: number;
  readonly nodes: number;
  readonly gpus: number;
  /** Mean over seeds of the allocation % at each reported arrived demand. */
  readonly allocation: AllocationByDemand;
  /** Sample standard deviation over seeds (0 for one seed). */
  readonly spread: AllocationByDemand;
  readonly perSeed: readonly ReplaySeedResult[];
  readonly curve: readonly AllocationCurvePoint[];
}

/** Something that places one pod on the cluster it was built for, or reports that it does not fit. */
export interface ReplayCluster {
  place(pod: PodDemand): boolean;
}

/**
 * Builds a fresh cluster for one seeded run that places with `policy` against the workload's
 * typical pods. `nodes` are the GPU nodes in the run's seeded order; score ties go to the
 * earliest of them.
 */
export type ReplayClusterFactory = (
  nodes: readonly TraceNode[],
  policy: ScoringPolicy,
  workload: readonly WorkloadShape[],
) => ReplayCluster;

export interface ReplayWorkloadOptions {
  readonly nodes: readonly TraceNode[];
  readonly pods: readonly TracePod[];
  readonly policy: ScoringPolicy;
  readonly seeds: readonly number[];
  readonly tune: number;
  readonly cluster: ReplayClusterFactory;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The pods of one seeded run, in arrival order: the trace shuffled, then tuned, so the whole
 * trace arrives before any appended copy (as in the simulator).
 */
export function arrivalOrder(
  pods: readonly TracePod[],
  clusterGpuMilli: number,
  tune: number,
  random: Random,
): TracePod[] {
  // Sorting first makes the run a function of the seed and the set of pods, not of the file's row order.
  const shuffled = shuffleInPlace([...pods].sort(byName), random);
  return tuneWorkload(shuffled, clusterGpuMilli, tune, random);
}

/** The GPU nodes of one seeded run in tie-break order: a seeded permutation of the name order. */
export function nodeOrder(nodes: readonly TraceNode[], random: Random): TraceNode[] {
  return shuffleInPlace([...nodes].sort(byName), random);
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sampleStdDev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1));
}

function byDemand(f: (d: ReportedDemand) => number): AllocationByDemand {
  return { '100': f('100'), '110': f('110'), '120': f('120'), '130': f('130') };
}

export function replayWorkload(opts: ReplayWorkloadOptions): ReplayResult {
  const gpuNodes = opts.nodes.filter((n) => n.gpuCount > 0);
  const gpus = gpuNodes.reduce((sum, n) => sum + n.gpuCount, 0);
  if (gpus === 0) throw new RangeError('the node list has no GPU node');
  if (opts.seeds.length === 0) throw new RangeError('at least one seed is needed');
  const capacity = gpus * 1000;
  const maxDemand = Math.round(opts.tune * 100);
  const perSeed: ReplaySeedResult[] = [];
  const runs = opts.seeds.map((seed) => {
    const random = seededRandom(seed);
    const order = arrivalOrder(opts.pods, capacity, opts.tune, random);
    return { order, nodes: nodeOrder(gpuNodes, random) };
  });
  const total = runs.reduce((a, r) => a + r.order.length, 0);
  // Typical pods are those of the trace as read, before tuning (the simulator's SetTypicalPods).
  const workload = workloadFromDemands(opts.pods.map((p) => p.demand));
  let done = 0;
  opts.seeds.forEach((seed, s) => {
    const { order } = runs[s];
    const cluster = opts.cluster(runs[s].nodes, opts.policy, workload);
    const sums = new Array<number>(maxDemand + 1).fill(0);
    const counts = new Array<number>(maxDemand + 1).fill(0);
    let arrived = 0;
    let allocated = 0;
    let placed = 0;
    let droppedMilli = 0;
    for (const pod of order) {
      const milli = requestedGpuMilli(pod.demand);
      arrived += milli;
      if (cluster.place(pod.demand)) {
        allocated += milli;
        placed += 1;
      } else droppedMilli += milli;
      const bucket = Math.round((arrived * 100) / capacity);
      if (bucket <= maxDemand) {
        sums[bucket] += (allocated * 100) / capacity;
        counts[bucket] += 1;
      }
      done += 1;
      if (opts.onProgress && done % 500 === 0) opts.onProgress(done, total);
    }
    const curve = sums.map((sum, i) => (counts[i] > 0 ? sum / counts[i] : null));
    // A demand no pod event rounds to (a big pod jumped over it) reads the last value before it.
    const at = (x: number): number => {
      for (let i = Math.min(x, maxDemand); i >= 0; i--) if (curve[i] !== null) return curve[i] as number;
      return 0;
    };
    perSeed.push({
      seed,
      pods: order.length,
      placed,
      dropped: order.length - placed,
      droppedDemandPercent: (droppedMilli * 100) / capacity,
      allocation: byDemand((d) => at(Number(d))),
      curve,
    });
  });
  opts.onProgress?.(total, total);
  const curve: AllocationCurvePoint[] = [];
  for (let x = 0; x <= maxDemand; x++) {
    const values = perSeed.map((r) => r.curve[x]).filter((v): v is number => v !== null);
    if (values.length === 0) continue;
    curve.push({ demandPercent: x, mean: mean(values), min: Math.min(...values), max: Math.max(...values) });
  }
  return {
    policy: opts.policy.name,
    seeds: [...opts.seeds],
    tune: opts.tune,
    nodes: gpuNodes.length,
    gpus,
    allocation: byDemand((d) => mean(perSeed.map((r) => r.allocation[d]))),
    spread: byDemand((d) => sampleStdDev(perSeed.map((r) => r.allocation[d]))),
    perSeed,
    curve,
  };
}
