import type { PodDemand, WorkloadShape } from './policy';

/**
 * FGD's "typical pods": the most frequent pod shapes that together cover this share of all
 * pods (CPU-only pods included), each weighted by its frequency. Same parameters as the
 * published experiments (popularity threshold 95%, one shape at a time, unweighted counts).
 */
export const TYPICAL_POD_COVERAGE = 0.95;

/** A shape is what FGD tells pods apart by: CPU, GPU share, GPU count and allowed products (memory is not part of it). */
function shapeKey(d: PodDemand): string {
  return `${d.cpuMilli}/${d.gpuMilli}/${d.gpuCount}/${d.allowedProducts === null ? '' : d.allowedProducts.join('|')}`;
}

/** Frequency ties are broken by the larger shape first, so the cut at the coverage threshold is deterministic. */
function compareShapesDescending(a: PodDemand, b: PodDemand): number {
  if (a.cpuMilli !== b.cpuMilli) return b.cpuMilli - a.cpuMilli;
  if (a.gpuMilli !== b.gpuMilli) return b.gpuMilli - a.gpuMilli;
  if (a.gpuCount !== b.gpuCount) return b.gpuCount - a.gpuCount;
  const pa = a.allowedProducts === null ? '' : a.allowedProducts.join('|');
  const pb = b.allowedProducts === null ? '' : b.allowedProducts.join('|');
  return pa < pb ? 1 : pa > pb ? -1 : 0;
}

/**
 * The typical pods of a workload: shapes sorted by decreasing count, taken until they cover
 * 95% of the pods, weights normalised to sum to 1. Empty input gives an empty list.
 */
export function workloadFromDemands(demands: readonly PodDemand[]): WorkloadShape[] {
  const counts = new Map<string, { first: PodDemand; count: number; memorySum: number }>();
  for (const d of demands) {
    const key = shapeKey(d);
    const entry = counts.get(key);
    if (entry) {
      entry.count += 1;
      entry.memorySum += d.memoryMiB;
    } else counts.set(key, { first: d, count: 1, memorySum: d.memoryMiB });
  }
  // Memory is not part of a shape; a shape carries the mean memory of its pods.
  const shapes = [...counts.values()].map((e) => ({
    demand: {
      cpuMilli: e.first.cpuMilli,
      memoryMiB: Math.round(e.memorySum / e.count),
      gpuCount: e.first.gpuCount,
      gpuMilli: e.first.gpuMilli,
      allowedProducts: e.first.allowedProducts === null ? null : [...e.first.allowedProducts],
    },
    count: e.count,
  }));
  const sorted = shapes.sort((a, b) => b.count - a.count || compareShapesDescending(a.demand, b.demand));
  const total = demands.length;
  const wanted = TYPICAL_POD_COVERAGE * total;
  const chosen: { demand: PodDemand; count: number }[] = [];
  let covered = 0;
  for (const entry of sorted) {
    if (covered >= wanted) break;
    chosen.push(entry);
    covered += entry.count;
  }
  return chosen.map((e) => ({ demand: e.demand, weight: e.count / covered }));
}
