import type { ValidPod } from '../request';
import type { NodeFacts } from './node-facts';
import { capAllowed } from './power-choice';
import { FITS, unresolvable, type FilterStatus } from './status';

/**
 * GPU product, then GPU memory (a CPU-only pod skips both), then, for a pod that must always
 * run capped, whether every GPU of the node accepts its power limit.
 */
export function gpuKindFilter(pod: ValidPod, node: NodeFacts): FilterStatus {
  if (pod.totalMilli > 0) {
    if (node.product === null || (pod.products !== null && !pod.products.has(node.product)))
      return unresolvable('gpu-product');
    if (node.gpuMemoryMiB < pod.minGpuMemoryMiB)
      return unresolvable('gpu-memory', pod.minGpuMemoryMiB, node.gpuMemoryMiB, 'MiB');
  }
  if (!pod.uncapped && !capAllowed(pod, node.limitMin, node.limitMax)) return unresolvable('gpu-power-limit');
  return FITS;
}
