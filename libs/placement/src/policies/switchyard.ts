import { MILLI_PER_GPU, canUseProduct, firstWholeGpus, fitsCpuAndMemory } from './fgd';
import { enclosingHeadroomShare } from './policy';
import type { NodeResources, PodDemand, PolicyContext, PowerView, ScoringPolicy, WorkloadShape } from './policy';

/**
 * Switchyard's default policy: FGD's fragmentation measure, made to see more, with its many
 * ties broken on purpose instead of by node order.
 *
 * 1. Fragmentation counts memory as well as CPU: free GPU share on a node whose memory a
 *    typical pod cannot get is as unusable as one without CPU.
 * 2. The score keeps FGD's coarse resolution (sigmoid of the fragmentation change, in whole
 *    points): measured on the traces, resolving differences of a few dozen milli-GPU spreads
 *    pods over empty nodes and loses more than it gains. Within a point the policy packs:
 *    it prefers the node whose GPUs and CPU end up most used, so whole nodes stay free for
 *    multi-GPU pods and CPU is not taken from nodes with idle GPUs.
 * 3. Products: a pod that may run anywhere avoids products that the workload's restricted
 *    pods need (keeping scarce models for pods that can only use them).
 * 4. A shared GPU goes to the GPU whose use grows fragmentation least, then the fullest one.
 * 5. Power: where a budget applies it prefers the node whose enclosing scope (its rack) has
 *    the least unused headroom relative to its budget (best fit on watts), so small pods use
 *    up the watts of power-bound racks and racks with headroom stay able to take big pods:
 *    neither GPUs nor watts are stranded. The term reads only the enclosing scope, whose load
 *    changes only when one of its own few nodes changes; that lets the engine keep nodes
 *    ordered by it ('enclosing-scope') instead of scoring them one by one. Higher scopes
 *    (row, hall, site) are still hard limits, checked on every placement. Without a budget
 *    this term is zero for every node and never reorders them.
 */

export interface SwitchyardTuning {
  /** Weight of the GPU share used on the node after placement (tie-break within one score point). */
  readonly gpuPackWeight: number;
  /** Weight of the CPU share used on the node after placement. */
  readonly cpuPackWeight: number;
  /** Weight of the enclosing scope's unused headroom (fraction of its budget) before placement. */
  readonly powerWeight: number;
  /** Count memory in fragmentation (FGD counts CPU only). */
  readonly memoryAware: boolean;
  /** Fragmentation change (milli-GPU) per unit of the sigmoid's argument; FGD uses 1000. */
  readonly pointScaleMilli: number;
  /** Weight of the penalty for a pod that may run anywhere taking a product that restricted pods need. */
  readonly scarcityWeight: number;
}

export const SWITCHYARD_TUNING: SwitchyardTuning = {
  gpuPackWeight: 0.7,
  cpuPackWeight: 0.2,
  powerWeight: 0.15,
  memoryAware: true,
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
export function fragmentation(node: View, workload: readonly WorkloadShape[], memoryAware: boolean): number {
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
  return fragmented;
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
  memoryAware: boolean,
): number {
  return fragmentation(after(node, pod, gpus), workload, memoryAware) - fragmentation(node, workload, memoryAware);
}

/** The power-blind part of the score: FGD's point scale plus the packing tie-break. */
function resourceScore(
  node: NodeResources,
  pod: PodDemand,
  gpus: readonly number[],
  workload: readonly WorkloadShape[],
  t: SwitchyardTuning,
): number {
  const growth = fragmentationGrowth(node, pod, gpus, workload, t.memoryAware);
  const points = Math.trunc((1 / (1 + Math.exp(growth / t.pointScaleMilli))) * 100);
  let free = 0;
  for (const f of node.gpuFreeMilli) free += f;
  const capacity = node.gpuFreeMilli.length * MILLI_PER_GPU;
  const freeAfter = free - gpus.length * pod.gpuMilli;
  const gpuUsedAfter = capacity > 0 ? 1 - freeAfter / capacity : 1;
  const cpuUsedAfter = node.cpuCapacityMilli > 0 ? 1 - (node.cpuFreeMilli - pod.cpuMilli) / node.cpuCapacityMilli : 1;
  return points + t.gpuPackWeight * gpuUsedAfter + t.cpuPackWeight * cpuUsedAfter;
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
        const growth = fragmentationGrowth(node, pod, [i], ctx.workload, t.memoryAware);
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
