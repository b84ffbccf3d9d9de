import type { ClusterState } from '../cluster-state/cluster-state';
import type { PodScheduler } from './pod-scheduler';
import type { AllocationRecord } from './scheduling-ports';
import type { PodExplanation } from './unschedulable-reporter';

/**
 * What readers of scheduling outcomes (the ModelDeployment controller, the REST API) may see:
 * why a pod waits, what a pod was given, how tight the budgets above a node are. Read only,
 * and narrow, so they depend on neither the scheduler's parts nor the engine.
 */
export interface SchedulingReadModel {
  explanation(namespace: string, name: string): PodExplanation | undefined;
  explanationsFor(namespace: string, podNames: readonly string[]): ReadonlyMap<string, PodExplanation>;
  allocationOf(namespace: string, name: string): AllocationRecord | undefined;
  /** How tight the tightest budget above a node is, 0..1 (0 when not leading or unknown). */
  budgetPressure(nodeName: string): number;
}

/** The read model over the scheduler (explanations, allocations) and the cluster state (budgets). */
export function schedulingReadModel(
  scheduler: Pick<PodScheduler, 'explanation' | 'explanationsFor' | 'allocationOf'>,
  state: Pick<ClusterState, 'budgetPressure'>,
): SchedulingReadModel {
  return {
    explanation: (namespace, name) => scheduler.explanation(namespace, name),
    explanationsFor: (namespace, podNames) => scheduler.explanationsFor(namespace, podNames),
    allocationOf: (namespace, name) => scheduler.allocationOf(namespace, name),
    budgetPressure: (nodeName) => state.budgetPressure(nodeName),
  };
}
