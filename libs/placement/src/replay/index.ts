export { replayTrace, type ReplayTraceOptions } from './replay-trace';
export {
  replayWorkload,
  arrivalOrder,
  nodeOrder,
  REPORTED_DEMANDS,
  type ReplayResult,
  type ReplaySeedResult,
  type AllocationCurvePoint,
  type AllocationByDemand,
  type ReportedDemand,
  type ReplayCluster,
  type ReplayWorkloadOptions,
} from './trace-replay';
export { allocationCurveCsv, allocationCurveSvg } from './allocation-curve';
export { parseTraceNodes, parseTracePods, TraceFormatError, type TraceNode, type TracePod } from './trace-csv';
export { engineReplayCluster, traceCluster } from './engine-cluster';
export { tuneWorkload } from './workload-tuning';
export {
  powerLimitedQuality,
  powerLimitedCluster,
  physicalGpuLimit,
  type PowerLimitedOptions,
  type PowerLimitedResult,
  type PowerLimitedSeedResult,
} from './power-limited';
export { resampleWorkload, podKind, HELD_OUT_MIXES, type PodKind, type WorkloadMix } from './workload-mix';
