/** Pods written straight into the embedded API, bound to a node, and what the node agent reported on them. */
import { ANNOTATION } from '@switchyard/contracts';
import type { KubeSim } from '@switchyard/kube-sim';

export function createBoundPod(sim: KubeSim, name: string, node: string, annotations: Record<string, string>): void {
  sim.api.create(sim.api.type('', 'pods'), 'v1', 'default', {
    metadata: { name, annotations },
    spec: { nodeName: node, schedulerName: 'switchyard', containers: [{ name: 'model', image: 'vllm:latest' }] },
  });
}

/** The two annotations the agent reports with, as [watts, enforcement]. */
export function reportedLimit(sim: KubeSim, name: string): [string | undefined, string | undefined] {
  const pod = sim.api.tryGet(sim.api.type('', 'pods'), 'default', name);
  const a = (pod?.metadata.annotations ?? {}) as Record<string, string>;
  return [a[ANNOTATION.enforcedPowerLimitWatts], a[ANNOTATION.powerLimitEnforcement]];
}
