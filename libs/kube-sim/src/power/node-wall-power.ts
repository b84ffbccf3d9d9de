/** What a node's breaker sees, given its GPUs' draw. */
export interface NodePowerSpec {
  readonly idleWatts: number;
  readonly maxWatts: number;
  /** Sum of the node's GPU TDPs. */
  readonly gpuTdpWatts: number;
}

/**
 * Idle power + GPU draw + a host share (CPUs, memory, NICs, fans) that grows with GPU load,
 * so that all GPUs at TDP give exactly `maxWatts`: host = gpu x (max - idle - sum TDP) / sum TDP.
 * The engine's prediction rule, applied to measured GPU watts. Whole watts, as DCMI reports.
 */
export function nodeWallWatts(node: NodePowerSpec, gpuWatts: number): number {
  if (node.gpuTdpWatts <= 0) return Math.round(node.idleWatts);
  const hostPerGpuWatt = Math.max(0, node.maxWatts - node.idleWatts - node.gpuTdpWatts) / node.gpuTdpWatts;
  return Math.round(node.idleWatts + gpuWatts * (1 + hostPerGpuWatt));
}
