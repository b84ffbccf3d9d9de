/**
 * The placement filters, one per concern, each returning a FilterStatus. Hot code (the
 * search) imports the files directly: a re-export here is a getter in CommonJS output.
 */
export * from './status';
export * from './node-facts';
export { nodeReadyFilter } from './node-ready';
export { gpuKindFilter } from './gpu-kind';
export { resourcesFilter } from './resources';
export { policyGpusFilter } from './policy-gpus';
export { powerFilter, powerFits } from './power';
export { capAllowed, minNeedMw, podMilliwatts, runsCapped } from './power-choice';
export { tenantGpuQuotaFilter, tenantWattQuotaFilter } from './tenant-quota';
export { gangAnchorFilter, gangDemand, gangScopeHolds, type GangDemand } from './gang-anchor';
export { nodeStatus, stateStatus, wattsStatus } from './pipeline';
