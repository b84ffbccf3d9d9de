import type { NodeInput } from '../model';
import type { NodeResources } from '../policies/policy';

/**
 * What the filters read about one node: its fixed GPU facts and its free resources now. A
 * node class (every node in one free state) is one; the brute-force reference builds one
 * per node from its own recount.
 */
export interface NodeFacts {
  /** Ready and schedulable. */
  readonly up: boolean;
  readonly product: string | null;
  /** Smallest GPU memory on the node: each GPU a pod gets must have enough. */
  readonly gpuMemoryMiB: number;
  /** The power-limit range every GPU of the node accepts. */
  readonly limitMin: number;
  readonly limitMax: number;
  readonly resources: NodeResources;
  /** GPUs with all 1000 milli free, and the largest free share of any one GPU. */
  readonly wholeFreeGpus: number;
  readonly maxFreeMilli: number;
}

/** The GPU facts of a node that never change. */
export function fixedGpuFacts(node: NodeInput): { gpuMemoryMiB: number; limitMin: number; limitMax: number } {
  if (node.gpus.length === 0) return { gpuMemoryMiB: 0, limitMin: 0, limitMax: 0 };
  return {
    gpuMemoryMiB: Math.min(...node.gpus.map((g) => g.memoryMiB)),
    limitMin: Math.max(...node.gpus.map((g) => g.minLimitWatts)),
    limitMax: Math.min(...node.gpus.map((g) => g.maxLimitWatts)),
  };
}

export function freeGpuSummary(free: ArrayLike<number>): { wholeFreeGpus: number; maxFreeMilli: number } {
  let whole = 0;
  let max = 0;
  for (let g = 0; g < free.length; g++) {
    if (free[g] === 1000) whole++;
    if (free[g] > max) max = free[g];
  }
  return { wholeFreeGpus: whole, maxFreeMilli: max };
}
