import type { NodeResources, PodDemand, PolicyContext, ScoringPolicy, WorkloadShape } from './policy';

/**
 * Fragmentation Gradient Descent (Weng et al., USENIX ATC'23), as implemented by the public
 * simulator the paper's figures come from (hkust-adsl/kubernetes-scheduler-simulator):
 * a node's fragmentation is, for each typical pod weighted by its frequency, the free GPU
 * milli that pod could not use there; the score is sigmoid(-(growth of that fragmentation)/1000)
 * scaled to 0..100 and truncated to an integer, so nodes within ~40 milli of each other tie.
 */

export const MILLI_PER_GPU = 1000;

/** What fragmentation depends on: the product, the free share of each GPU and the free CPU. */
export interface FragmentationView {
  readonly gpuProduct: string;
  readonly gpuFreeMilli: readonly number[];
  readonly cpuFreeMilli: number;
}

export function canUseProduct(allowed: readonly string[] | null, product: string): boolean {
  return allowed === null || allowed.length === 0 || allowed.includes(product);
}

/**
 * Free GPU milli on the node that a pod of this shape could not use: all of it when the pod
 * cannot land here at all (no GPU asked, wrong product, too few GPUs with enough free share,
 * not enough CPU), else the free share of the GPUs too full for it.
 */
export function unusableGpuMilli(node: FragmentationView, totalFree: number, shape: PodDemand): number {
  if (shape.gpuMilli === 0 || shape.gpuCount === 0) return totalFree;
  if (!canUseProduct(shape.allowedProducts, node.gpuProduct)) return totalFree;
  if (node.cpuFreeMilli < shape.cpuMilli) return totalFree;
  let usable = 0;
  let tooFull = 0;
  for (const free of node.gpuFreeMilli) {
    if (free >= shape.gpuMilli) usable += 1;
    else tooFull += free;
  }
  return usable >= shape.gpuCount ? tooFull : totalFree;
}

/** Expected GPU milli of this node that the workload's typical pods could not use. */
export function gpuFragmentation(node: FragmentationView, workload: readonly WorkloadShape[]): number {
  let totalFree = 0;
  for (const free of node.gpuFreeMilli) totalFree += free;
  if (totalFree === 0) return 0;
  let fragmented = 0;
  for (const { demand, weight } of workload) fragmented += weight * unusableGpuMilli(node, totalFree, demand);
  return fragmented;
}

/** The node as it would be after the pod takes those GPUs (CPU included, as FGD counts it). */
export function afterPlacement(node: FragmentationView, pod: PodDemand, gpus: readonly number[]): FragmentationView {
  const gpuFreeMilli = [...node.gpuFreeMilli];
  for (const g of gpus) gpuFreeMilli[g] -= pod.gpuMilli;
  return { gpuProduct: node.gpuProduct, gpuFreeMilli, cpuFreeMilli: node.cpuFreeMilli - pod.cpuMilli };
}

export function fitsCpuAndMemory(node: NodeResources, pod: PodDemand): boolean {
  return node.cpuFreeMilli >= pod.cpuMilli && node.memoryFreeMiB >= pod.memoryMiB;
}

/** The first k fully free GPUs by index, or null; FGD and the simulator give whole GPUs this way. */
export function firstWholeGpus(free: readonly number[], count: number): number[] | null {
  const picked: number[] = [];
  for (let i = 0; i < free.length && picked.length < count; i++) if (free[i] === MILLI_PER_GPU) picked.push(i);
  return picked.length === count ? picked : null;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The simulator's integer score: int64(sigmoid(fragmentation decrease / 1000) * 100). */
export function fgdScoreOf(
  node: FragmentationView,
  pod: PodDemand,
  gpus: readonly number[],
  workload: readonly WorkloadShape[],
): number {
  const before = gpuFragmentation(node, workload);
  const after = gpuFragmentation(afterPlacement(node, pod, gpus), workload);
  return Math.trunc(sigmoid((before - after) / 1000) * 100);
}

export function fgdPolicy(): ScoringPolicy {
  return {
    name: 'fgd',
    powerAware: false,
    assignGpus(node: NodeResources, pod: PodDemand, ctx: PolicyContext): number[] | null {
      if (!fitsCpuAndMemory(node, pod)) return null;
      if (pod.gpuCount === 0) return [];
      if (pod.gpuMilli >= MILLI_PER_GPU) return firstWholeGpus(node.gpuFreeMilli, pod.gpuCount);
      // A shared GPU: the one whose use grows fragmentation least; the first such index on ties.
      let best = -1;
      let bestScore = -Infinity;
      node.gpuFreeMilli.forEach((free, i) => {
        if (free < pod.gpuMilli) return;
        const s = fgdScoreOf(node, pod, [i], ctx.workload);
        if (s > bestScore) {
          best = i;
          bestScore = s;
        }
      });
      return best < 0 ? null : [best];
    },
    score(node: NodeResources, pod: PodDemand, gpus: readonly number[], ctx: PolicyContext): number {
      return fgdScoreOf(node, pod, gpus, ctx.workload);
    },
  };
}
