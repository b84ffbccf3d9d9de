import { MILLI_PER_GPU, canUseProduct, firstWholeGpus, fitsCpuAndMemory } from './fgd';
import { enclosingHeadroomShare } from './policy';
import type { NodeResources, PodDemand, PolicyContext, PowerView, ScoringPolicy, WorkloadShape } from './policy';

/**
 * Switchyard's default policy: FGD's fragmentation measure, made to see more, with its coarse
 * score kept and a few workload-shaped preferences inside one score point.
 *
 * 1. Fragmentation counts memory as well as CPU: free GPU share on a node whose memory a
 *    typical pod cannot get is as unusable as one without CPU.
 * 2. The score keeps FGD's coarse resolution (sigmoid of the fragmentation change, in whole
 *    points). Measured on the traces, resolving differences of a few dozen milli-GPU, or
 *    breaking ties toward the fuller node, loses more than it gains: ties are best left to
 *    the engine's fixed node order (first fit), except as below.
 * 3. A shared pod prefers joining a GPU that is already shared to opening a whole one, so
 *    whole GPUs stay whole for whole-GPU pods.
 * 4. CPU strands GPUs, and FGD looks at one pod at a time. A whole-GPU pod prefers the node
 *    where it most reduces the free GPUs that the node's CPU cannot feed with copies of the
 *    whole-GPU typical pods (unfedGpuMilli): a GPU that would idle anyway is the cheapest to
 *    take. A CPU-only pod prefers a node whose CPU exceeds what its free GPUs will need (at
 *    the typical pods' CPU per GPU): CPU taken from a node with idle GPUs strands them.
 *    (Counting unfed GPUs in the points instead, `cpuForCopies`, is off: it loses on
 *    whole-GPU-heavy mixes, see bench/RESULTS.md.)
 * 5. Products: a pod that may run anywhere avoids products that the workload's restricted
 *    pods need, and when part of the workload is restricted, ties go to the node whose GPUs
 *    end up most used, keeping whole nodes of each product free for the pods that can only
 *    use it (the packing weight grows with the restricted share; it is zero without one).
 * 6. A shared GPU goes to the GPU whose use grows fragmentation least, then the fullest one.
 * 7. Power: where a budget applies it prefers the node whose enclosing scope (its rack) has
 *    the least unused headroom relative to its budget (best fit on watts), so small pods use
 *    up the watts of power-bound racks and racks with headroom stay able to take big pods:
 *    neither GPUs nor watts are stranded. The term reads only the enclosing scope, whose load
 *    changes only when one of its own few nodes changes; that lets the engine keep nodes
 *    ordered by it ('enclosing-scope') instead of scoring them one by one. Higher scopes
 *    (row, hall, site) are still hard limits, checked on every placement. Without a budget
 *    this term is zero for every node and never reorders them.
 *
 * The preferences in 3-7 are tie-breaks of about half a point to two points (the restricted
 * packing reaches 2 x the restricted share; together they can reach about 3), so they decide
 * between nodes whose fragmentation change is close, and a clear fragmentation difference
 * still wins. Weights measured on the traces (bench/RESULTS.md), checked on held-out mixes.
 */

export interface SwitchyardTuning {
  /** Bonus for a shared pod that joins an already shared GPU instead of opening a whole one. */
  readonly sharedGpuWeight: number;
  /** Weight of a CPU-only pod's preference for nodes with CPU to spare beyond their free GPUs' needs. */
  readonly spareCpuWeight: number;
  /** Spare CPU (milli) at which that preference is full. */
  readonly spareCpuScaleMilli: number;
  /** Packing weight (GPU share used after placement) per unit of product-restricted typical-pod weight. */
  readonly restrictedPackWeight: number;
  /** Weight of the enclosing scope's unused headroom (fraction of its budget) before placement. */
  readonly powerWeight: number;
  /** Count memory in fragmentation (FGD counts CPU only). */
  readonly memoryAware: boolean;
  /** Count free GPUs the node's CPU cannot feed with copies of a whole-GPU typical pod as fragmented (in the points). */
  readonly cpuForCopies: boolean;
  /** Whole-GPU pods, within a point: weight of the drop in GPUs the node's CPU cannot feed (unfedGpuMilli). */
  readonly unfedGpuWeight: number;
  /** Fragmentation change (milli-GPU) per unit of the sigmoid's argument; FGD uses 1000. */
  readonly pointScaleMilli: number;
  /** Weight of the penalty for a pod that may run anywhere taking a product that restricted pods need. */
  readonly scarcityWeight: number;
}

export const SWITCHYARD_TUNING: SwitchyardTuning = {
  sharedGpuWeight: 0.5,
  spareCpuWeight: 0.5,
  spareCpuScaleMilli: 8000,
  restrictedPackWeight: 2,
  powerWeight: 0.15,
  memoryAware: true,
  cpuForCopies: false,
  unfedGpuWeight: 0.5,
  pointScaleMilli: 1000,
  scarcityWeight: 1,
};

interface View {
  readonly gpuProduct: string;
  readonly gpuFreeMilli: readonly number[];
  readonly cpuFreeMilli: number;
  readonly memoryFreeMiB: number;
}

/** FGD's fragmentation (free GPU milli the typical pods could not use), memory-aware when asked. */
export function fragmentation(
  node: View,
  workload: readonly WorkloadShape[],
  memoryAware: boolean,
  cpuForCopies = false,
): number {
  let totalFree = 0;
  for (const free of node.gpuFreeMilli) totalFree += free;
  if (totalFree === 0) return 0;
  let fragmented = 0;
  for (const { demand, weight } of workload) {
    let unusable = totalFree;
    if (
      demand.gpuMilli > 0 &&
      canUseProduct(demand.allowedProducts, node.gpuProduct) &&
      node.cpuFreeMilli >= demand.cpuMilli &&
      (!memoryAware || node.memoryFreeMiB >= demand.memoryMiB)
    ) {
      let usable = 0;
      let tooFull = 0;
      for (const free of node.gpuFreeMilli) {
        if (free >= demand.gpuMilli) usable += 1;
        else tooFull += free;
      }
      if (usable >= demand.gpuCount) unusable = tooFull;
    }
    fragmented += weight * unusable;
  }
  return cpuForCopies ? fragmented + unfedGpuMilli(node, workload, memoryAware) : fragmented;
}

/**
 * Free whole GPUs (milli) that the node's free CPU cannot feed with copies of a whole-GPU
 * typical pod able to land there, frequency-weighted. FGD checks one copy at a time: a node
 * with four free GPUs and CPU for one more such pod looks unfragmented to it, yet three of
 * those GPUs will idle.
 */
export function unfedGpuMilli(node: View, workload: readonly WorkloadShape[], memoryAware: boolean): number {
  let whole = 0;
  for (const free of node.gpuFreeMilli) if (free >= MILLI_PER_GPU) whole += 1;
  if (whole === 0) return 0;
  let unfed = 0;
  for (const { demand, weight } of workload) {
    if (demand.gpuMilli < MILLI_PER_GPU || demand.cpuMilli <= 0 || whole < demand.gpuCount) continue;
    if (!canUseProduct(demand.allowedProducts, node.gpuProduct) || node.cpuFreeMilli < demand.cpuMilli) continue;
    if (memoryAware && node.memoryFreeMiB < demand.memoryMiB) continue;
    const copies = Math.floor(node.cpuFreeMilli / demand.cpuMilli);
    unfed += weight * Math.max(0, whole - copies * demand.gpuCount) * MILLI_PER_GPU;
  }
  return unfed;
}

function after(node: View, pod: PodDemand, gpus: readonly number[]): View {
  const gpuFreeMilli = [...node.gpuFreeMilli];
  for (const g of gpus) gpuFreeMilli[g] -= pod.gpuMilli;
  return {
    gpuProduct: node.gpuProduct,
    gpuFreeMilli,
    cpuFreeMilli: node.cpuFreeMilli - pod.cpuMilli,
    memoryFreeMiB: node.memoryFreeMiB - pod.memoryMiB,
  };
}

function fragmentationGrowth(
  node: View,
  pod: PodDemand,
  gpus: readonly number[],
  workload: readonly WorkloadShape[],
  t: SwitchyardTuning,
): number {
  return (
    fragmentation(after(node, pod, gpus), workload, t.memoryAware, t.cpuForCopies) -
    fragmentation(node, workload, t.memoryAware, t.cpuForCopies)
  );
}

/** What the workload's typical pods say about a node, computed once per workload. */
export interface WorkloadTraits {
  /** Share of the typical pods (by weight) limited to some products. */
  readonly restrictedShare: number;
  /** CPU (milli) the typical GPU pods ask per GPU, frequency- and GPU-weighted; 0 without GPU pods. */
  readonly cpuPerGpu: number;
}

const traitsOf = new WeakMap<readonly WorkloadShape[], WorkloadTraits>();

export function workloadTraits(workload: readonly WorkloadShape[]): WorkloadTraits {
  let got = traitsOf.get(workload);
  if (got) return got;
  let restrictedShare = 0;
  let gpus = 0;
  let cpu = 0;
  for (const { demand, weight } of workload) {
    if (demand.allowedProducts !== null && demand.allowedProducts.length > 0) restrictedShare += weight;
    if (demand.gpuCount === 0) continue;
    gpus += (weight * demand.gpuCount * demand.gpuMilli) / MILLI_PER_GPU;
    cpu += weight * demand.cpuMilli;
  }
  got = { restrictedShare, cpuPerGpu: gpus > 0 ? cpu / gpus : 0 };
  traitsOf.set(workload, got);
  return got;
}

/** The power-blind part of the score: FGD's point scale plus the preferences within a point. */
function resourceScore(
  node: NodeResources,
  pod: PodDemand,
  gpus: readonly number[],
  workload: readonly WorkloadShape[],
  t: SwitchyardTuning,
): number {
  const growth = fragmentationGrowth(node, pod, gpus, workload, t);
  const points = Math.trunc((1 / (1 + Math.exp(growth / t.pointScaleMilli))) * 100);
  const traits = workloadTraits(workload);
  let free = 0;
  for (const f of node.gpuFreeMilli) free += f;
  const freeAfter = free - gpus.length * pod.gpuMilli;
  let within = 0;
  if (pod.gpuCount === 1 && pod.gpuMilli < MILLI_PER_GPU && gpus.length === 1) {
    if (node.gpuFreeMilli[gpus[0]] < MILLI_PER_GPU) within += t.sharedGpuWeight;
  } else if (pod.gpuCount === 0 && traits.cpuPerGpu > 0) {
    const spare = node.cpuFreeMilli - pod.cpuMilli - (freeAfter / MILLI_PER_GPU) * traits.cpuPerGpu;
    within += t.spareCpuWeight * Math.max(-1, Math.min(1, spare / t.spareCpuScaleMilli));
  }
  if (pod.gpuCount > 0 && pod.gpuMilli >= MILLI_PER_GPU && t.unfedGpuWeight !== 0) {
    // A whole GPU taken where the CPU could not feed it anyway is a GPU saved elsewhere.
    const drop =
      unfedGpuMilli(node, workload, t.memoryAware) - unfedGpuMilli(after(node, pod, gpus), workload, t.memoryAware);
    within += t.unfedGpuWeight * Math.max(-1, Math.min(1, drop / MILLI_PER_GPU));
  }
  const packWeight = t.restrictedPackWeight * traits.restrictedShare;
  if (packWeight > 0) {
    const capacity = node.gpuFreeMilli.length * MILLI_PER_GPU;
    within += packWeight * (capacity > 0 ? 1 - freeAfter / capacity : 1);
  }
  return points + within;
}

/**
 * How much the workload's product-restricted pods lean on each product, 0..1 (1 for the most
 * needed one): the typical pods that may use it, each weighted by its frequency and shared
 * equally among the products it allows. Unrestricted workloads give an empty map.
 */
export function productScarcity(workload: readonly WorkloadShape[]): ReadonlyMap<string, number> {
  const need = new Map<string, number>();
  for (const { demand, weight } of workload) {
    const allowed = demand.allowedProducts;
    if (allowed === null || allowed.length === 0) continue;
    const distinct = [...new Set(allowed)];
    for (const p of distinct)
      need.set(p, (need.get(p) ?? 0) + (weight * demand.gpuCount * demand.gpuMilli) / distinct.length);
  }
  const max = Math.max(0, ...need.values());
  return new Map([...need].map(([p, v]) => [p, max > 0 ? v / max : 0]));
}

export function switchyardPolicy(tuning: Partial<SwitchyardTuning> = {}): ScoringPolicy {
  const t: SwitchyardTuning = { ...SWITCHYARD_TUNING, ...tuning };
  // The engine asks for the same class and pod once per member node when power matters;
  // remembering the last power-blind score per node state makes that one computation.
  // The copied state guards against a caller that mutates a node object in place.
  interface Memo {
    readonly pod: PodDemand;
    readonly cpu: number;
    readonly memory: number;
    readonly free: readonly number[];
    readonly gpus: readonly number[];
    readonly workload: readonly WorkloadShape[];
    readonly score: number;
  }
  const lastScore = new WeakMap<NodeResources, Memo>();
  const sameNumbers = (a: readonly number[], b: readonly number[]): boolean => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  const scarcityOf = new WeakMap<readonly WorkloadShape[], ReadonlyMap<string, number>>();
  const scarcity = (workload: readonly WorkloadShape[], product: string): number => {
    let m = scarcityOf.get(workload);
    if (m === undefined) scarcityOf.set(workload, (m = productScarcity(workload)));
    return m.get(product) ?? 0;
  };
  const powerBlindScore = (
    node: NodeResources,
    pod: PodDemand,
    gpus: readonly number[],
    ctx: PolicyContext,
  ): number => {
    let memo = lastScore.get(node);
    if (
      memo === undefined ||
      memo.pod !== pod ||
      memo.workload !== ctx.workload ||
      memo.cpu !== node.cpuFreeMilli ||
      memo.memory !== node.memoryFreeMiB ||
      !sameNumbers(memo.free, node.gpuFreeMilli) ||
      !sameNumbers(memo.gpus, gpus)
    ) {
      const unrestricted = pod.gpuCount > 0 && (pod.allowedProducts === null || pod.allowedProducts.length === 0);
      const keepForRestricted = unrestricted ? t.scarcityWeight * scarcity(ctx.workload, node.gpuProduct) : 0;
      memo = {
        pod,
        cpu: node.cpuFreeMilli,
        memory: node.memoryFreeMiB,
        free: [...node.gpuFreeMilli],
        gpus: [...gpus],
        workload: ctx.workload,
        score: resourceScore(node, pod, gpus, ctx.workload, t) - keepForRestricted,
      };
      lastScore.set(node, memo);
    }
    return memo.score;
  };
  return {
    name: 'switchyard',
    powerAware: 'enclosing-scope',
    assignGpus(node: NodeResources, pod: PodDemand, ctx: PolicyContext): number[] | null {
      if (!fitsCpuAndMemory(node, pod)) return null;
      if (pod.gpuCount === 0) return [];
      if (pod.gpuMilli >= MILLI_PER_GPU) return firstWholeGpus(node.gpuFreeMilli, pod.gpuCount);
      let best = -1;
      let bestGrowth = Number.POSITIVE_INFINITY;
      node.gpuFreeMilli.forEach((free, i) => {
        if (free < pod.gpuMilli) return;
        const growth = fragmentationGrowth(node, pod, [i], ctx.workload, t);
        if (growth < bestGrowth - 1e-9 || (Math.abs(growth - bestGrowth) <= 1e-9 && free < node.gpuFreeMilli[best])) {
          best = i;
          bestGrowth = growth;
        }
      });
      return best < 0 ? null : [best];
    },
    score(node: NodeResources, pod: PodDemand, gpus: readonly number[], ctx: PolicyContext, power: PowerView): number {
      return powerBlindScore(node, pod, gpus, ctx) - t.powerWeight * enclosingHeadroomShare(power);
    },
    // enclosingHeadroomShare is within [0, 1], so the power term moves a score by at most powerWeight.
    scoreBounds(
      node: NodeResources,
      pod: PodDemand,
      gpus: readonly number[],
      ctx: PolicyContext,
    ): readonly [number, number] {
      const base = powerBlindScore(node, pod, gpus, ctx);
      return [base - t.powerWeight, base];
    },
  };
}
