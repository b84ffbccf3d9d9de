import { PlacementEngine } from '../engine';
import type { ClusterInput } from '../model';
import type { PodDemand, ScoringPolicy, WorkloadShape } from '../policies/policy';
import type { ReplayCluster } from './trace-replay';
import type { TraceNode } from './trace-csv';

/**
 * The trace's nodes as a cluster for the placement engine: one site whose power is not a
 * limit (the published experiment has no power model), nodes numbered in the order given,
 * so the engine's "lowest node number wins ties" means "first in that order" (the replay
 * gives them in the run's seeded order).
 */
export function traceCluster(nodes: readonly TraceNode[]): ClusterInput {
  const unlimited = 1e15;
  return {
    scopes: [{ id: 'site', kind: 'site', parentId: null, capacityWatts: unlimited }],
    nodes: nodes.map((n) => ({
      id: n.name,
      scopeId: 'site',
      cpuMilli: n.cpuMilli,
      memoryMiB: n.memoryMiB,
      idleWatts: 0,
      maxWatts: unlimited,
      gpuProduct: n.gpuCount > 0 ? n.gpuProduct : null,
      gpus: Array.from({ length: n.gpuCount }, () => ({
        memoryMiB: 0,
        tdpWatts: 0,
        minLimitWatts: 0,
        maxLimitWatts: 0,
      })),
    })),
  };
}

/** Places trace pods one at a time through the same engine the control plane uses. */
export function engineReplayCluster(
  nodes: readonly TraceNode[],
  policy: ScoringPolicy,
  workload: readonly WorkloadShape[],
): ReplayCluster {
  // The experiment has no power model, so a power-aware policy would score every node the
  // same as its power-blind self; saying so lets the engine score once per node class.
  const scoring: ScoringPolicy = policy.powerAware ? { ...policy, powerAware: false } : policy;
  const engine = new PlacementEngine(traceCluster(nodes), { policy: scoring, context: { workload } });
  let next = 0;
  return {
    place(pod: PodDemand): boolean {
      const id = `pod-${next++}`;
      const result = engine.place({
        id,
        pods: [
          {
            id,
            cpuMilli: pod.cpuMilli,
            memoryMiB: pod.memoryMiB,
            gpuCount: pod.gpuCount,
            gpuMilli: pod.gpuMilli,
            allowedProducts: pod.allowedProducts,
            wattsPerGpu: 0,
          },
        ],
      });
      return result.placed;
    },
  };
}
