import type { ValidPod } from '../request';
import type { NodeFacts } from './node-facts';
import { FITS, unschedulable, type FilterStatus } from './status';

/**
 * Free whole GPUs (or one GPU with enough free share for a fraction), then CPU, then memory.
 * A fraction asks one GPU, so "enough GPUs with that share free" is "the largest free share
 * is enough".
 */
export function resourcesFilter(pod: ValidPod, node: NodeFacts): FilterStatus {
  const d = pod.demand;
  if (pod.totalMilli > 0) {
    if (d.gpuMilli === 1000) {
      if (node.wholeFreeGpus < d.gpuCount) return unschedulable('gpus', d.gpuCount, node.wholeFreeGpus, 'gpus');
    } else if (node.maxFreeMilli < d.gpuMilli) return unschedulable('gpus', d.gpuMilli, node.maxFreeMilli, 'milli');
  }
  const res = node.resources;
  if (res.cpuFreeMilli < d.cpuMilli) return unschedulable('cpu', d.cpuMilli, res.cpuFreeMilli, 'milli');
  if (res.memoryFreeMiB < d.memoryMiB) return unschedulable('memory', d.memoryMiB, res.memoryFreeMiB, 'MiB');
  return FITS;
}
