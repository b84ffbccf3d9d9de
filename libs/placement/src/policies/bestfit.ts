import type { NodeResources, PodDemand, ScoringPolicy } from './policy';

/**
 * Best fit: the node left with the least free GPU share wins (then the least free CPU and
 * memory), so partly used nodes fill up before empty ones are touched. A fractional pod
 * takes the fullest GPU that still has room for it.
 */
export function bestfitAssign(node: NodeResources, pod: PodDemand): number[] | null {
  if (node.cpuFreeMilli < pod.cpuMilli || node.memoryFreeMiB < pod.memoryMiB) return null;
  if (pod.gpuCount === 0 || pod.gpuMilli === 0) return [];
  const free = node.gpuFreeMilli;
  if (pod.gpuMilli >= 1000) {
    const picked: number[] = [];
    for (let i = 0; i < free.length && picked.length < pod.gpuCount; i++) if (free[i] === 1000) picked.push(i);
    return picked.length === pod.gpuCount ? picked : null;
  }
  let best = -1;
  for (let i = 0; i < free.length; i++) if (free[i] >= pod.gpuMilli && (best < 0 || free[i] < free[best])) best = i;
  return best < 0 ? null : [best];
}

export function bestfitScore(node: NodeResources, pod: PodDemand, gpus: readonly number[]): number {
  let gpuFree = 0;
  for (const f of node.gpuFreeMilli) gpuFree += f;
  const gpuTotal = node.gpuFreeMilli.length * 1000;
  const gpuLeft = gpuTotal === 0 ? 0 : (gpuFree - gpus.length * pod.gpuMilli) / gpuTotal;
  const cpuLeft = node.cpuCapacityMilli === 0 ? 0 : (node.cpuFreeMilli - pod.cpuMilli) / node.cpuCapacityMilli;
  const memLeft = node.memoryCapacityMiB === 0 ? 0 : (node.memoryFreeMiB - pod.memoryMiB) / node.memoryCapacityMiB;
  return 100 * (1 - gpuLeft) + (1 - cpuLeft) + (1 - memLeft);
}

export function bestfitPolicy(): ScoringPolicy {
  return {
    name: 'bestfit',
    powerAware: false,
    assignGpus: (node, pod) => bestfitAssign(node, pod),
    score: (node, pod, gpus) => bestfitScore(node, pod, gpus),
  };
}
