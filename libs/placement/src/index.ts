/**
 * @switchyard/placement: the pure placement core. Data in, decisions out; no I/O.
 * See README.md for the design and the power accounting rule.
 */
export * from './policies/policy';
export * from './model';
export * from './errors';
export {
  PlacementEngine,
  type PlacementEngineOptions,
  type ScoringChoice,
  type PlacedPod,
  type PlacedReplica,
} from './engine';
export { policyByName, policyNames, DEFAULT_POLICY } from './policies/registry';
export { bestfitPolicy } from './policies/bestfit';
export { scopeBudget, toMilliwatts } from './topology';
export { planPreemption, preempt, type PreemptionPlan } from './preemption';
export { whatIf, replicasThatFit, type ReplicaHeadroom } from './whatif';
export { checkInvariants, countViolations } from './invariants';
export { referencePlace, type ReferenceResult } from './reference';
export * as placementBuilders from './testing/builders';
export { campus200mw, clusterFromTopology } from './testing/campus';
export {
  benchmarkPlacement,
  campusRequests,
  seededRandom,
  type PlacementBenchOptions,
  type PlacementBenchResult,
} from './bench';
export { fgdPolicy } from './policies/fgd';
export { switchyardPolicy, SWITCHYARD_TUNING, type SwitchyardTuning } from './policies/switchyard';
export { workloadFromDemands } from './policies/workload';
export * from './replay';
