import { type Random, randomIndex } from './seeded-random';
import { requestedGpuMilli, type TracePod } from './trace-csv';

/**
 * Sizes a trace to `ratio` x the cluster's GPU milli, as the published experiment does: a
 * trace that asks for less gets random copies of its own pods (CPU-only pods included)
 * until the next copy would pass the target; one that asks for more loses random pods until
 * it is at or under the target. As in the published simulator, the pods keep their order and
 * copies are appended after them, so a caller that shuffles first replays the whole trace
 * before any copy. Copies are named `<name>-copy<k>` so names stay unique.
 */
export function tuneWorkload(
  pods: readonly TracePod[],
  clusterGpuMilli: number,
  ratio: number,
  random: Random,
): TracePod[] {
  if (!(ratio > 0) || !Number.isFinite(ratio))
    throw new RangeError(`tune ratio must be a positive number, got ${ratio}`);
  const target = ratio * clusterGpuMilli;
  const out = [...pods];
  let total = out.reduce((sum, p) => sum + requestedGpuMilli(p.demand), 0);
  if (pods.length === 0) return out;
  if (total < target) {
    let copies = 0;
    for (;;) {
      const pick = pods[randomIndex(random, pods.length)];
      const milli = requestedGpuMilli(pick.demand);
      if (total + milli > target) break;
      copies += 1;
      out.push({ name: `${pick.name}-copy${copies}`, demand: pick.demand });
      total += milli;
    }
  } else {
    while (total > target && out.length > 0) {
      const [removed] = out.splice(randomIndex(random, out.length), 1);
      total -= requestedGpuMilli(removed.demand);
    }
  }
  return out;
}
